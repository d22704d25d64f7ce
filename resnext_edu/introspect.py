"""Counts read off a built Keras model, to check ``resnext_edu.complexity`` against what Keras builds."""

import math

import keras


def trainable_params(model):
    """Trainable weights of ``model`` (Keras' ``count_params()`` also counts BN moving statistics)."""
    return sum(math.prod(w.shape) for w in model.trainable_weights)


def conv_macs(layer, output_shape=None):
    """Multiply-adds of one Conv2D / DepthwiseConv2D / Dense layer for one example (0 for other layers).

    Each output position costs one multiply-add per kernel weight: a grouped kernel (kh, kw, in/groups, out) and a
    depthwise one (kh, kw, in, multiplier) hold exactly those. ``output_shape``: of the call to count, for a layer
    used more than once (default: its only output's).
    """
    if not isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.Dense)):
        return 0
    shape = layer.output.shape if output_shape is None else output_shape
    return math.prod(int(s) for s in shape[1:-1]) * math.prod(layer.kernel.shape)


def count_macs(model):
    """Multiply-adds of one forward pass of ``model`` (convs and dense layers, nested models included)."""
    total = 0
    for layer in model.layers:
        total += count_macs(layer) if isinstance(layer, keras.Model) else conv_macs(layer)
    return total
