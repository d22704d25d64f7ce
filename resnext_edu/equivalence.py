"""Carry weights between the block forms (a), (b) and (c) of Fig. 3: same function, other layout.

Path i of forms (a) and (b) owns channels [i*d, (i+1)*d) of form (c)'s 1x1 and grouped 3x3 convs
(and of their BatchNorms); form (a)'s per-path 1x1 kernels are the matching input rows of form
(c)'s last 1x1, whose outputs the sum adds up; form (b) keeps that 1x1 whole after the concat.
``convert`` rebuilds a model with the library's blocks in another form and moves every weight.
"""

import dataclasses

import keras
import numpy as np

from resnext_edu._checks import FORMS, one_of
from resnext_edu.blocks import depth2_block, resnext_block, resolve_form
from resnext_edu.names import layer_name, parse_layer_name


@dataclasses.dataclass(frozen=True)
class BlockSpec:
    """What ``resnext_block`` was called with, read back from a built model's layers."""

    name: str
    form: str
    in_channels: int
    filters: int
    cardinality: int
    bottleneck_width: int
    strides: int
    conv_implementation: str = "auto"
    padding: str = "same"


def _layer(model, name):
    try:
        return model.get_layer(name)
    except ValueError:
        return None


def find_blocks(model):
    """The library's blocks in ``model``, in order, as ``BlockSpec``s (found by the builder's layer names)."""
    specs = []
    for name in _block_names(model):
        bn3, add = _layer(model, layer_name(name, "bn3")), _layer(model, layer_name(name, "add"))
        if bn3 is None or add is None:
            continue
        conv1, impl = _layer(model, layer_name(name, "conv1")), "auto"
        if conv1 is not None:
            form, conv2 = "c", _layer(model, layer_name(name, "conv2"))
            c = conv2.groups if conv2 is not None else 0
            impl = getattr(conv2, "implementation", "auto")
            d = conv1.filters // max(c, 1)
        else:
            conv1, conv2 = _layer(model, layer_name(name, "conv1", 1)), _layer(model, layer_name(name, "conv2", 1))
            form = "a" if _layer(model, layer_name(name, "conv3", 1)) is not None else "b"
            c = 0
            while _layer(model, layer_name(name, "conv1", c + 1)) is not None:
                c += 1
            d = conv1.filters if conv1 is not None else 0
        if conv1 is None or conv2 is None or c < 1 or d < 1:
            continue
        padding = "symmetric" if conv2.padding == "valid" else "same"  # blocks.pad_for
        cin, cout = int(conv1.input.shape[-1]), int(bn3.gamma.shape[0])
        specs.append(BlockSpec(name, form, cin, cout, c, d, int(conv2.strides[0]), impl, padding))
    return specs


def _block_names(model):
    """Names of the blocks whose output layer (part ``out``) is in ``model``, in order."""
    parsed = (parse_layer_name(layer.name) for layer in model.layers)
    return [p[0] for p in parsed if p is not None and p[1] == "out" and p[2] is None]


def _block_layers(model, spec):
    return [layer for layer in model.layers if (parse_layer_name(layer.name) or ("",))[0] == spec.name]


def _get(model, name):
    return [np.asarray(w) for w in model.get_layer(name).get_weights()]


def _concat(parts, axis):
    return [np.concatenate(ws, axis=axis) for ws in zip(*parts)]


def canonical_weights(model, spec):
    """A block's weights in form (c)'s layout: {part: [arrays]} for conv1..3, bn1..3, shortcut."""
    n, c = spec.name, spec.cardinality
    w = {}
    if spec.form == "c":
        for part in ("conv1", "bn1", "conv2", "bn2", "conv3"):
            w[part] = _get(model, layer_name(n, part))
    else:
        for part in ("conv1", "bn1", "conv2", "bn2"):
            axis = -1  # output channels of kernels; the only axis of BN vectors
            w[part] = _concat([_get(model, layer_name(n, part, i)) for i in range(1, c + 1)], axis)
        if spec.form == "a":  # each path's 1x1 reads its own d channels: rows of one 1x1 kernel
            w["conv3"] = _concat([_get(model, layer_name(n, "conv3", i)) for i in range(1, c + 1)], 2)
        else:
            w["conv3"] = _get(model, layer_name(n, "conv3"))
    w["bn3"] = _get(model, layer_name(n, "bn3"))
    if _layer(model, layer_name(n, "shortcut_conv")) is not None:
        w["shortcut_conv"] = _get(model, layer_name(n, "shortcut_conv"))
        w["shortcut_bn"] = _get(model, layer_name(n, "shortcut_bn"))
    return w


def set_canonical_weights(model, spec, w):
    """Write form (c)-layout weights ``w`` into the block ``spec`` of ``model`` (of any form)."""
    n, c, d = spec.name, spec.cardinality, spec.bottleneck_width
    assign = {layer_name(n, part): w[part] for part in ("bn3", "shortcut_conv", "shortcut_bn") if part in w}
    if spec.form == "c":
        assign.update({layer_name(n, part): w[part] for part in ("conv1", "bn1", "conv2", "bn2", "conv3")})
    else:
        for i in range(c):
            channels = slice(i * d, (i + 1) * d)
            for part in ("conv1", "bn1", "conv2", "bn2"):
                assign[layer_name(n, part, i + 1)] = [a[..., channels] for a in w[part]]
            if spec.form == "a":
                assign[layer_name(n, "conv3", i + 1)] = [w["conv3"][0][:, :, channels, :]]
        if spec.form == "b":
            assign[layer_name(n, "conv3")] = w["conv3"]
    layers = {layer.name: layer for layer in model.layers}  # get_layer searches the list: slow for C paths
    for name, arrays in assign.items():
        layers[name].set_weights(arrays)


def convert(model, form):
    """A new model with every library block of ``model`` in ``form`` ("a", "b", "c" or "auto").

    The weights are carried over so that both models compute the same function (to float32
    rounding). Raises ``ValueError`` for a model that holds no block built by ``resnext_edu``.
    """
    one_of("form", form, FORMS)
    form = resolve_form(form)
    if not isinstance(model, keras.Model) or not hasattr(model, "inputs") or not model.inputs:
        raise ValueError(
            "convert needs a functional keras.Model built with resnext_edu's blocks or models; "
            f"got {type(model).__name__}."
        )
    specs = find_blocks(model)
    if not specs:
        raise ValueError(
            f"convert found no resnext_edu block in model {model.name!r}: it works on models built "
            "with resnext_edu.blocks.resnext_block / bottleneck_block or resnext_edu.models."
        )
    owner = {layer.name: spec for spec in specs for layer in _block_layers(model, spec)}
    input_names = {id(layer.output): layer.name for layer in model.layers if isinstance(layer, keras.layers.InputLayer)}
    new_inputs = [keras.Input(batch_shape=t.shape, dtype=t.dtype, name=input_names.get(id(t))) for t in model.inputs]
    tensors = {id(t): n for t, n in zip(model.inputs, new_inputs)}
    copies, done = [], set()

    def mapped(t):
        return [mapped(x) for x in t] if isinstance(t, (list, tuple)) else tensors[id(t)]

    try:
        for layer in model.layers:
            if isinstance(layer, keras.layers.InputLayer):
                continue
            spec = owner.get(layer.name)
            if spec is None:
                new = layer.__class__.from_config(layer.get_config())
                tensors[id(layer.output)] = new(mapped(layer.input))
                copies.append((new, layer))
            elif spec.name not in done:
                first = layer_name(spec.name, "conv1", None if spec.form == "c" else 1)
                x = mapped(model.get_layer(first).input)
                tensors[id(model.get_layer(layer_name(spec.name, "out")).output)] = resnext_block(
                    x,
                    spec.filters,
                    spec.cardinality,
                    spec.bottleneck_width,
                    spec.strides,
                    form,
                    spec.name,
                    conv_implementation=spec.conv_implementation,
                    padding=spec.padding,
                )
                done.add(spec.name)
        inputs = new_inputs[0] if len(new_inputs) == 1 else new_inputs
        outputs = mapped(model.outputs)
        new_model = keras.Model(inputs, outputs[0] if len(outputs) == 1 else outputs, name=model.name)
    except (KeyError, AttributeError) as err:
        raise ValueError(
            f"convert cannot follow the graph of model {model.name!r} (it handles chains of "
            f"layers and resnext_edu blocks, each layer used once): {err!r}"
        ) from err
    for new, old in copies:
        new.set_weights(old.get_weights())
    for spec in specs:
        set_canonical_weights(new_model, dataclasses.replace(spec, form=form), canonical_weights(model, spec))
    return new_model


def depth2_to_wide(model, name=None):
    """The wide twin (Fig. 4 right) of a one-block model ``input -> blocks.depth2_block(form="a")``.

    Path i's first 3x3 kernel becomes output channels [i*d, (i+1)*d) of the wide first conv; its
    second 3x3 kernel becomes the matching input rows of the wide second conv, whose sum over those
    rows is the paths' sum. Outputs agree to float32 rounding.
    """
    if not isinstance(model, keras.Model) or len(model.inputs) != 1:
        raise ValueError("depth2_to_wide needs a one-input keras.Model holding a blocks.depth2_block.")
    ends = _block_names(model)
    name = name or next(
        (n for n in ends if _layer(model, layer_name(n, "conv1", 1)) and _layer(model, layer_name(n, "sum"))), None
    )
    if name is None or _layer(model, layer_name(name, "conv2", 1)) is None:
        raise ValueError(f"depth2_to_wide found no form-'a' depth2_block in model {model.name!r}.")
    c = 0
    while _layer(model, layer_name(name, "conv1", c + 1)) is not None:
        c += 1
    d = model.get_layer(layer_name(name, "conv1", 1)).filters
    filters = model.get_layer(layer_name(name, "bn2")).gamma.shape[0]
    inputs = keras.Input(batch_shape=model.inputs[0].shape)
    wide = keras.Model(inputs, depth2_block(inputs, filters, c, d, form="wide", name=name), name=f"{model.name}_wide")
    for part, axis in (("conv1", -1), ("bn1", -1), ("conv2", 2)):  # conv2: the input rows of the wide 3x3
        per_path = [_get(model, layer_name(name, part, i)) for i in range(1, c + 1)]
        wide.get_layer(layer_name(name, part)).set_weights(_concat(per_path, axis))
    for part in ("bn2", "shortcut_conv", "shortcut_bn"):
        if _layer(model, layer_name(name, part)) is not None:
            wide.get_layer(layer_name(name, part)).set_weights(_get(model, layer_name(name, part)))
    return wide


# --- the far end of cardinality: groups = channels is a depthwise convolution -------------------------


def is_depthwise(layer):
    """Whether ``layer`` is a ``Conv2D`` with one input channel per group: a depthwise (channel-wise) convolution."""
    if not isinstance(layer, keras.layers.Conv2D) or getattr(layer, "kernel", None) is None:
        return False
    return layer.groups > 1 and layer.kernel.shape[2] == 1


def grouped_to_depthwise(conv):
    """The ``keras.layers.DepthwiseConv2D`` computing what a built ``Conv2D`` with groups = input channels computes.

    A grouped kernel (kh, kw, in/groups = 1, out) in which output channel j reads input channel
    j // m, with m = out / in, is a depthwise kernel (kh, kw, in, m) reshaped: the channel-wise
    convolution of Xception (Chollet 2017) and MobileNet (Howard et al. 2017), which the ResNeXt
    paper (Sec. 2) names as the special case of grouped convolution with groups = channels. Bias,
    strides, padding, dilation and activation are carried over; outputs agree to float32 rounding.
    """
    if not isinstance(conv, keras.layers.Conv2D) or isinstance(conv, keras.layers.Conv2DTranspose):
        raise ValueError(f"grouped_to_depthwise needs a keras.layers.Conv2D; got {type(conv).__name__}.")
    if getattr(conv, "kernel", None) is None:
        raise ValueError(f"grouped_to_depthwise needs a built layer (call it on an input first): {conv.name!r}.")
    kh, kw, per_group, out = (int(s) for s in conv.kernel.shape)
    channels = per_group * conv.groups
    if per_group != 1:
        raise ValueError(
            f"{conv.name!r} is depthwise only with groups = input channels (one channel per group); "
            f"it has groups={conv.groups} for {channels} input channels ({per_group} per group)."
        )
    config = conv.get_config()
    depthwise = keras.layers.DepthwiseConv2D(
        (kh, kw),
        strides=conv.strides,
        padding=conv.padding,
        depth_multiplier=out // channels,
        data_format=conv.data_format,
        dilation_rate=conv.dilation_rate,
        activation=config["activation"],
        use_bias=conv.use_bias,
        name=conv.name,
        dtype=conv.dtype_policy,
    )
    shape = (None, None, None, channels) if conv.data_format == "channels_last" else (None, channels, None, None)
    depthwise.build(shape)
    weights = [np.asarray(keras.ops.convert_to_numpy(conv.kernel)).reshape(kh, kw, channels, out // channels)]
    if conv.use_bias:
        weights.append(np.asarray(keras.ops.convert_to_numpy(conv.bias)))
    depthwise.set_weights(weights)
    return depthwise


def depthwise_convs(model):
    """A copy of functional ``model`` whose depthwise grouped convs (``is_depthwise``) are ``DepthwiseConv2D`` layers.

    Every other layer is rebuilt from its config with its weights, so both models compute the same function: a
    ResNeXt block with C = group width (d = 1) becomes 1x1 -> DepthwiseConv2D 3x3 -> 1x1. Raises
    ``ValueError`` if ``model`` has no such conv.
    """
    if not isinstance(model, keras.Model) or not getattr(model, "inputs", None):
        raise ValueError(f"depthwise_convs needs a functional keras.Model; got {type(model).__name__}.")
    targets = [layer.name for layer in model.layers if is_depthwise(layer)]
    if not targets:
        raise ValueError(f"model {model.name!r} has no grouped Conv2D with one input channel per group.")

    def clone(layer):
        return grouped_to_depthwise(layer) if layer.name in targets else layer.__class__.from_config(layer.get_config())

    new_model = keras.models.clone_model(model, clone_function=clone)
    for layer in model.layers:
        if layer.name not in targets and layer.weights:
            new_model.get_layer(layer.name).set_weights(layer.get_weights())
    return new_model


__all__ = [
    "BlockSpec",
    "find_blocks",
    "canonical_weights",
    "set_canonical_weights",
    "convert",
    "depth2_to_wide",
    "is_depthwise",
    "grouped_to_depthwise",
    "depthwise_convs",
]
