"""ImageNet weights from torchvision: ``from_torchvision`` turns a ResNet/ResNeXt's tensors into ``models.resnext``.

torchvision's ``ResNet(Bottleneck, layers, groups=C, width_per_group=d)`` is the paper's network (Table 1; stride in
the 3x3). Its tensors map one to one onto the layers of ``models.resnext(depth, C, d, padding="symmetric")``:

    conv1, bn1                        -> conv1_conv, conv1_bn
    layer{s}.{i}.conv{k}, .bn{k}      -> conv{s+1}_block{i+1}_conv{k}, _bn{k}    (form c; a and b by path)
    layer{s}.{i}.downsample.0, .1     -> conv{s+1}_block{i+1}_shortcut_conv, _shortcut_bn
    fc                                -> fc

Layouts: conv kernels (out, in/C, kh, kw) -> (kh, kw, in/C, out), grouped ones included; fc (out, in) -> (in, out);
BatchNorm (weight, bias, running_mean, running_var) -> (gamma, beta, moving_mean, moving_variance), epsilon 1e-5 in
both. torch pads a strided conv and the max pool by (k - 1) / 2 on each side: the model is built with
``padding="symmetric"`` (``blocks.pad_for``), so outputs agree at every input size. Nothing is unpickled: tensors
come from a model the caller built, a mapping of names to arrays, or a ``.safetensors`` file.

Import torch/torchvision before TensorFlow: with TensorFlow >= 2.20, a later ``import triton`` (torch loads it)
crashes the process (tensorflow#124205). Importing this module imports neither: Keras comes with the first port.
"""

import os
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from resnext_edu import complexity, names
from resnext_edu._checks import FORMS, one_of

_BN = ("weight", "bias", "running_mean", "running_var")  # Keras: gamma, beta, moving_mean, moving_variance
_COUNTER = "num_batches_tracked"  # a BatchNorm's step counter: optional, unused
_BLOCK_KEY = re.compile(r"^layer([1-4])\.(\d+)\.")


def load_state_dict(source):
    """``{name: float32 numpy array}`` from a torch model (``.state_dict()``), a mapping, or a ``.safetensors`` path.

    A model's BatchNorms must divide by sqrt(var + ``blocks.BN_EPSILON``), as torchvision's do (checked; a state_dict
    does not record it). Names saved by ``DataParallel`` lose their ``module.`` prefix.
    """
    if isinstance(source, (str, os.PathLike)):
        return _read_safetensors(Path(source))
    if callable(getattr(source, "state_dict", None)):
        _check_epsilons(source)
        source = source.state_dict()
    if not isinstance(source, Mapping):
        raise ValueError(
            "source must be a torchvision ResNet/ResNeXt model, its state_dict (a mapping of names to tensors or "
            f"arrays) or the path of a .safetensors file; got {type(source).__name__}."
        )
    names = [str(name) for name in source]
    strip = len("module.") if names and all(n.startswith("module.") for n in names) else 0  # (Distributed)DataParallel
    return {str(name)[strip:]: _array(name, value) for name, value in source.items()}


def _read_safetensors(path):
    if path.suffix != ".safetensors":
        raise ValueError(
            f"{str(path)!r}: only .safetensors files are read. Pickle files (.pt, .pth, .bin) can run code when "
            "loaded and are never opened; save one with safetensors.torch.save_file(model.state_dict(), path)."
        )
    if not path.is_file():
        raise ValueError(f"no file {str(path)!r}.")
    try:
        from safetensors.numpy import load_file
    except ImportError:
        raise ImportError("reading .safetensors files needs the safetensors package: pip install safetensors") from None

    try:
        return {name: _array(name, value) for name, value in load_file(path).items()}
    except Exception as err:  # safetensors' own error types differ between versions
        raise ValueError(f"{str(path)!r} is not a readable safetensors file: {err}") from err


def _array(name, value):
    if hasattr(value, "detach"):  # a torch tensor; bfloat16 has no numpy type
        value = value.detach().cpu().float().numpy()
    try:
        array = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError) as err:
        raise ValueError(f"tensor {name!r} is not numeric ({type(value).__name__}): {err}") from None
    return array


def _check_epsilons(model):
    from resnext_edu.blocks import BN_EPSILON

    for name, module in getattr(model, "named_modules", lambda: [])():
        eps = getattr(module, "eps", None)
        if hasattr(module, "running_var") and eps is not None and eps != BN_EPSILON:
            raise ValueError(f"BatchNorm {name!r} has eps={eps}; the library's BatchNorm uses {BN_EPSILON}.")


def read_architecture(state):
    """``(depth, cardinality, bottleneck_width, num_classes)`` of a torchvision state_dict, read from its shapes.

    Blocks per stage give the depth (``complexity.STAGE_BLOCKS``); the first grouped 3x3, (C*d, d, 3, 3), gives C
    and d (wide_resnet50_2: C=1, d=128); fc's rows give the classes. ``from_torchvision`` then checks every tensor.
    """
    counts = [0, 0, 0, 0]
    for name in state:
        match = _BLOCK_KEY.match(name)
        if match:
            stage, block = int(match[1]) - 1, int(match[2])
            counts[stage] = max(counts[stage], block + 1)
    if "layer1.0.conv2.weight" in state and "layer1.0.conv3.weight" not in state:
        raise ValueError(
            f"the state_dict has {tuple(counts)} blocks in layer1..layer4 of basic blocks (two 3x3 convs, no conv3, "
            "as in resnet18/34): the library builds ResNet/ResNeXt of bottleneck blocks only."
        )
    depth = next((k for k, blocks in complexity.STAGE_BLOCKS.items() if tuple(counts) == blocks), None)
    if depth is None:
        supported = "; ".join(f"{k}: {blocks}" for k, blocks in complexity.STAGE_BLOCKS.items())
        raise ValueError(
            f"the state_dict has {tuple(counts)} blocks in layer1..layer4, which is no supported depth ({supported}). "
            "It must be a torchvision ResNet/ResNeXt of bottleneck blocks (resnet18/34 have basic blocks)."
        )
    conv2 = _required(state, "layer1.0.conv2.weight", "(C*d, d, 3, 3)")
    group_width, per_group = conv2.shape[:2] if conv2.ndim == 4 else (0, 0)
    if conv2.shape[2:] != (3, 3) or per_group < 1 or group_width % per_group:
        raise ValueError(
            f"tensor 'layer1.0.conv2.weight' has shape {conv2.shape}; a grouped 3x3 of C groups of d channels "
            "has shape (C*d, d, 3, 3)."
        )
    fc = _required(state, "fc.weight", "(num_classes, 2048)")
    if fc.ndim != 2:
        raise ValueError(f"tensor 'fc.weight' has shape {fc.shape}; expected (num_classes, 2048).")
    return depth, group_width // per_group, per_group, int(fc.shape[0])


def _required(state, name, shape):
    if name not in state:
        raise ValueError(f"the state_dict has no tensor {name!r} of shape {shape}: is it a torchvision ResNet/ResNeXt?")
    return state[name]


def _stage_prefixes(arch):
    """``(torch prefix, Keras block name, in_channels, stage, first)`` for every block, in order."""
    channels = arch.stem_filters
    for s, stage in enumerate(arch.stages, start=1):
        for i in range(stage.blocks):
            yield f"layer{s}.{i}", names.block_name(stage.name, i + 1), channels, stage, i == 0
            channels = stage.out_channels


def torchvision_shapes(depth, cardinality, bottleneck_width, num_classes=1000):
    """Every tensor of torchvision's ResNeXt-{depth} (C x d), in its order: ``{name: shape}``."""
    arch = complexity.imagenet_architecture(depth, cardinality, bottleneck_width, num_classes)
    shapes = {"conv1.weight": (arch.stem_filters, 3, arch.stem_kernel, arch.stem_kernel)}
    shapes.update(_bn_shapes("bn1", arch.stem_filters))
    for prefix, _, cin, stage, first in _stage_prefixes(arch):
        w, out = stage.group_width, stage.out_channels
        shapes[f"{prefix}.conv1.weight"] = (w, cin, 1, 1)
        shapes.update(_bn_shapes(f"{prefix}.bn1", w))
        shapes[f"{prefix}.conv2.weight"] = (w, stage.bottleneck_width, 3, 3)
        shapes.update(_bn_shapes(f"{prefix}.bn2", w))
        shapes[f"{prefix}.conv3.weight"] = (out, w, 1, 1)
        shapes.update(_bn_shapes(f"{prefix}.bn3", out))
        if first:  # the projection shortcut of each stage's first block
            shapes[f"{prefix}.downsample.0.weight"] = (out, cin, 1, 1)
            shapes.update(_bn_shapes(f"{prefix}.downsample.1", out))
    shapes["fc.weight"] = (num_classes, arch.stages[-1].out_channels)
    shapes["fc.bias"] = (num_classes,)
    return shapes


def _bn_shapes(prefix, channels):
    return {**{f"{prefix}.{part}": (channels,) for part in _BN}, f"{prefix}.{_COUNTER}": ()}


def check_state_dict(state, depth, cardinality, bottleneck_width, num_classes):
    """Raise ``ValueError`` at the first tensor of ``state`` that torchvision's ResNeXt does not have or shape."""
    expected = torchvision_shapes(depth, cardinality, bottleneck_width, num_classes)
    network = f"torchvision's ResNeXt-{depth} ({cardinality}x{bottleneck_width}d, {num_classes} classes)"
    for name, array in state.items():
        if name not in expected:
            raise ValueError(f"tensor {name!r} is not in {network}; is the state_dict from another network?")
        if tuple(array.shape) != expected[name]:
            raise ValueError(f"tensor {name!r} has shape {tuple(array.shape)}; {network} expects {expected[name]}.")
    missing = [name for name in expected if name not in state and not name.endswith(_COUNTER)]
    if missing:
        raise ValueError(f"the state_dict lacks {len(missing)} tensors of {network}, the first {missing[0]!r}.")


def _kernel(array):
    """torch's (out, in/groups, kh, kw) -> Keras' (kh, kw, in/groups, out)."""
    return np.ascontiguousarray(array.transpose(2, 3, 1, 0))


def _bn(state, prefix):
    return [state[f"{prefix}.{part}"] for part in _BN]


def from_torchvision(source, form="auto"):
    """The Keras ``models.resnext`` holding the weights of a torchvision ResNet/ResNeXt, in form a, b, c or auto.

    ``source``: a torchvision model (resnet50/101/152, resnext50_32x4d, resnext101_32x8d, resnext101_64x4d,
    wide_resnet50_2, ...), its ``state_dict()``, or a ``.safetensors`` file of it. The architecture is read from the
    tensors' shapes (``read_architecture``) and every tensor checked (``check_state_dict``). The model takes images of
    any size, normalised as torchvision's weights expect, channels last; it outputs logits.
    """
    from resnext_edu import equivalence, models
    from resnext_edu.blocks import resolve_form

    one_of("form", form, FORMS)
    state = load_state_dict(source)
    depth, c, d, num_classes = read_architecture(state)
    check_state_dict(state, depth, c, d, num_classes)
    model = models.resnext(depth, c, d, num_classes, input_shape=(None, None, 3), form=form, padding="symmetric")
    layers = {layer.name: layer for layer in model.layers}
    layers[names.STEM_CONV].set_weights([_kernel(state["conv1.weight"])])
    layers[names.STEM_BN].set_weights(_bn(state, "bn1"))
    arch = complexity.imagenet_architecture(depth, c, d, num_classes)
    form = resolve_form(form)
    for prefix, name, cin, stage, first in _stage_prefixes(arch):
        weights = {f"conv{k}": [_kernel(state[f"{prefix}.conv{k}.weight"])] for k in (1, 2, 3)}
        weights.update({f"bn{k}": _bn(state, f"{prefix}.bn{k}") for k in (1, 2, 3)})
        if first:
            weights["shortcut_conv"] = [_kernel(state[f"{prefix}.downsample.0.weight"])]
            weights["shortcut_bn"] = _bn(state, f"{prefix}.downsample.1")
        strides = stage.strides if first else 1
        spec = equivalence.BlockSpec(name, form, cin, stage.out_channels, c, stage.bottleneck_width, strides)
        equivalence.set_canonical_weights(model, spec, weights)
    layers[names.CLASSIFIER].set_weights([state["fc.weight"].T, state["fc.bias"]])
    return model


__all__ = ["from_torchvision", "load_state_dict", "read_architecture", "torchvision_shapes", "check_state_dict"]
