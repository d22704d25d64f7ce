"""Fold each BatchNorm into the convolution before it: the same inference function with fewer passes over memory.

In inference a BatchNorm is a fixed affine map per channel, y = gamma * (z - mean) / sqrt(var + eps) + beta (Ioffe
and Szegedy 2015, Alg. 1), and z = conv(x) is linear in its kernel, so the two are one convolution with a bias:

    kernel' = kernel * s,   bias' = (bias - mean) * s + beta,   s = gamma / sqrt(var + eps)   (per output channel).

A grouped kernel (kh, kw, in/groups, out) and a depthwise one (kh, kw, in, multiplier) scale along their output
channels the same way, so ``fold_batchnorm`` holds for every form of Fig. 3 and for ResNet. The folded model has no
BatchNorm to train: it is for inference (each folded BatchNorm becomes a ``FoldedBatchNorm`` of the same name, which
passes its input through). With the BatchNorm gone, TensorFlow's graph optimiser can fuse conv + bias + add + ReLU
at the end of each block into one oneDNN convolution.
"""

import keras
import numpy as np

from resnext_edu import layers

_FOLDABLE = (keras.layers.Conv2D, keras.layers.DepthwiseConv2D)


@keras.saving.register_keras_serializable(package="resnext_edu")
class FoldedBatchNorm(keras.layers.Layer):
    """Where a BatchNorm was before ``fold_batchnorm`` moved it into the convolution: passes its input through."""

    def call(self, inputs, training=None, mask=None):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


def _consumers(model):
    """``{id(tensor): number of layer calls that read it}`` over a functional model's graph."""
    counts = {}
    for layer in model.layers:
        for node in layer._inbound_nodes:
            for t in node.input_tensors:
                counts[id(t)] = counts.get(id(t), 0) + 1
    for t in model.outputs:
        counts[id(t)] = counts.get(id(t), 0) + 1
    return counts


def _sole_conv(tensor, consumers):
    """The convolution that computes ``tensor``, if it is called once, has no activation and ``tensor`` is read by
    one layer only; else None."""
    conv = tensor._keras_history[0]
    ok = (
        isinstance(conv, _FOLDABLE)
        and not isinstance(conv, keras.layers.Conv2DTranspose)
        and len(conv._inbound_nodes) == 1
        and consumers.get(id(tensor)) == 1
        and conv.data_format == "channels_last"
        and conv.get_config().get("activation") in (None, "linear")
    )
    return conv if ok else None


def foldable_pairs(model):
    """``{batchnorm name: [conv layers]}``: each BatchNorm, called once, whose input is read only by it and comes from
    one convolution (``Conv2D``, grouped or not, or ``DepthwiseConv2D``), or from an ``Add`` of such convolutions
    (form (a)'s sum of paths: a BatchNorm of a sum is the sum of the scaled terms, one of them shifted)."""
    consumers, pairs = _consumers(model), {}
    for bn in model.layers:
        if not isinstance(bn, keras.layers.BatchNormalization) or len(bn._inbound_nodes) != 1:
            continue
        if bn.axis not in (-1, len(bn.input.shape) - 1) or getattr(bn, "renorm", False):
            continue
        producer = bn.input._keras_history[0]
        if isinstance(producer, keras.layers.Add) and len(producer._inbound_nodes) == 1:
            if consumers.get(id(bn.input)) != 1:
                continue
            convs = [_sole_conv(t, consumers) for t in producer._inbound_nodes[0].input_tensors]
        else:
            convs = [_sole_conv(bn.input, consumers)]
        if all(convs):
            pairs[bn.name] = convs
    return pairs


def folded_weights(conv, bn, shift=True):
    """``(kernel, bias)`` of the convolution that computes ``bn(conv(x))`` in inference (module doc); without
    ``shift``, of one term of a sum that ``bn`` normalises (its scale only: another term carries the shift)."""
    kernel = keras.ops.convert_to_numpy(conv.kernel).astype("float64")
    depthwise = isinstance(conv, keras.layers.DepthwiseConv2D)  # output channel i * multiplier + m
    out = kernel.shape[2] * kernel.shape[3] if depthwise else kernel.shape[3]
    bias = keras.ops.convert_to_numpy(conv.bias).astype("float64") if conv.use_bias else np.zeros(out)
    gamma = keras.ops.convert_to_numpy(bn.gamma).astype("float64") if bn.scale else np.ones(out)
    beta = keras.ops.convert_to_numpy(bn.beta).astype("float64") if bn.center else np.zeros(out)
    mean = keras.ops.convert_to_numpy(bn.moving_mean).astype("float64")
    var = keras.ops.convert_to_numpy(bn.moving_variance).astype("float64")
    scale = gamma / np.sqrt(var + bn.epsilon)
    kernel = kernel * (scale.reshape(kernel.shape[2:]) if depthwise else scale)
    bias = (bias - mean) * scale + beta if shift else bias * scale
    return kernel.astype("float32"), bias.astype("float32")


def _with_bias(conv):
    """A new, unbuilt layer like ``conv`` with a bias; a stock ``Conv2D`` becomes the library's with Keras' own op."""
    config = dict(conv.get_config(), use_bias=True)
    if isinstance(conv, keras.layers.DepthwiseConv2D):
        return keras.layers.DepthwiseConv2D.from_config(config)
    return layers.Conv2D.from_config({"implementation": "keras", **config})


def fold_batchnorm(model):
    """A copy of functional ``model`` computing its inference outputs with each BatchNorm folded into its conv.

    Every BatchNorm that ``foldable_pairs`` finds is folded (``folded_weights``); other BatchNorms and layers are kept
    with their weights. Outputs agree with ``model(x, training=False)`` to float32 rounding. Raises ``ValueError``
    if ``model`` is not a functional model or has nothing to fold.
    """
    if not isinstance(model, keras.Model) or not getattr(model, "inputs", None):
        raise ValueError(f"fold_batchnorm needs a functional keras.Model; got {type(model).__name__}.")
    pairs = foldable_pairs(model)
    if not pairs:
        raise ValueError(f"model {model.name!r} has no BatchNormalization right after a convolution to fold.")
    convs = {conv.name: (model.get_layer(bn), i == 0) for bn, cs in pairs.items() for i, conv in enumerate(cs)}

    def clone(layer):
        if layer.name in pairs:
            return FoldedBatchNorm(name=layer.name)
        if layer.name in convs:
            return _with_bias(layer)
        return layer.__class__.from_config(layer.get_config())

    folded = keras.models.clone_model(model, clone_function=clone)
    folded.name = f"{model.name}_folded"
    for layer in model.layers:
        if layer.name in convs:
            folded.get_layer(layer.name).set_weights(list(folded_weights(layer, *convs[layer.name])))
        elif layer.name not in pairs and layer.weights:
            folded.get_layer(layer.name).set_weights(layer.get_weights())
    return folded
