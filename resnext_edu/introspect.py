"""Counts read off a built Keras model, to check ``resnext_edu.complexity`` against what Keras builds."""

import math

import keras


def trainable_params(model):
    """Trainable weights of ``model`` (Keras' ``count_params()`` also counts BN moving statistics)."""
    return sum(math.prod(w.shape) for w in model.trainable_weights)


def _out_positions(layer):
    """Number of output positions (all dims but batch and channels) of a layer used once."""
    return math.prod(int(s) for s in layer.output.shape[1:-1])


def conv_macs(layer):
    """Multiply-adds of one Conv2D / Dense layer for one example (0 for other layers)."""
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        kh, kw, cin, mult = layer.kernel.shape
        return _out_positions(layer) * kh * kw * cin * mult
    if isinstance(layer, keras.layers.Conv2D):  # kernel (kh, kw, in/groups, out) covers groups too
        return _out_positions(layer) * math.prod(layer.kernel.shape)
    if isinstance(layer, keras.layers.Dense):
        return _out_positions(layer) * math.prod(layer.kernel.shape)
    return 0


def count_macs(model):
    """Multiply-adds of one forward pass of ``model`` (convs and dense layers, nested models included)."""
    total = 0
    for layer in model.layers:
        total += count_macs(layer) if isinstance(layer, keras.Model) else conv_macs(layer)
    return total
