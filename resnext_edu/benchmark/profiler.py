"""Where the time goes: TensorFlow's profiler, per kind of layer, for networks side by side.

``profile(models, mode)`` runs each model (inference, a training step, or its folded inference) under
``tf.profiler.experimental``, reads the trace it writes (XPlane, the profiler's own format) and adds up the time of
every TensorFlow op by the Keras layer it computes: a convolution's forward pass and its two gradients, a
BatchNorm, a ReLU, the residual additions, the rest. Ops that TensorFlow's graph optimiser fused (a convolution with
the BatchNorm, bias, add or ReLU after it, named after the last of them) are counted with their convolution. Times are
thread time summed over ops (two ops running at once on two cores both count), per step.
"""

import collections
import glob
import os
import tempfile

import keras
import numpy as np

from resnext_edu import fold
from resnext_edu.benchmark import protocol

_PHASES = {"Conv2DBackpropInput": "gradient wrt input", "Conv2DBackpropFilter": "gradient wrt kernel"}


def layer_kind(layer):
    """What ``profile`` files a layer's ops under: the kind of convolution (kernel, grouped), or the layer's class."""
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        return "depthwise conv"
    if isinstance(layer, keras.layers.Conv2D):
        kh, kw = layer.kernel_size
        strided = ", strided" if max(layer.strides) > 1 and (kh, kw) == (1, 1) else ""
        return f"{kh}x{kw} conv" + (" (grouped)" if layer.groups > 1 else "") + strided
    name = type(layer).__name__
    return {"BatchNormalization": "BatchNorm", "ReLU": "ReLU", "Add": "add"}.get(name, name)


def _producer_conv(layer):
    """The convolution that a BatchNorm, ReLU or add reads (through up to three such layers; for an add, its last
    input, the residual branch of the library's blocks), else None: TensorFlow names a fused op after its last op."""
    for _ in range(3):
        if not layer._inbound_nodes or not layer._inbound_nodes[0].input_tensors:
            return None
        layer = layer._inbound_nodes[0].input_tensors[-1]._keras_history[0]
        if isinstance(layer, keras.layers.Conv2D):
            return layer
    return None


def _kinds(model):
    """``{layer name: kind}``; for a BatchNorm or ReLU right after a conv, also the conv's kind (for fused ops)."""
    kinds, fused = {}, {}
    for layer in model.layers:
        kinds[layer.name] = layer_kind(layer)
        conv = _producer_conv(layer) if not isinstance(layer, keras.layers.Conv2D) else None
        if conv is not None:
            fused[layer.name] = layer_kind(conv)
    return kinds, fused


def _op_events(logdir):
    """``(op name, op type, duration in ms)`` of every TensorFlow op of the host in the trace under ``logdir``."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    space = xplane_pb2.XSpace()
    with open(glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True)[0], "rb") as f:
        space.ParseFromString(f.read())
    for plane in space.planes:
        if plane.name != "/host:CPU":
            continue
        names = {k: v.name for k, v in plane.event_metadata.items()}
        for line in plane.lines:
            for event in line.events:
                name = names.get(event.metadata_id, "")
                if ":" in name and "/" in name:  # TensorFlow ops are "scope/name:Type"
                    op, kind = name.rsplit(":", 1)
                    yield op, kind, event.duration_ps / 1e9


def _layer_of(parts, names):
    """The layer an op belongs to: the first path segment naming a layer (TensorFlow may add a "_1")."""
    for part in parts[1:]:
        for name in (part, part.rsplit("_", 1)[0]):
            if name in names:
                return name
    return None


def _row(op, kind, kinds, fused):
    """The row of ``profile``'s table an op belongs to."""
    parts = op.split("/")
    layer = _layer_of(parts, kinds)
    if layer is None or "Variable" in kind:
        return "other (optimizer, loss, variables)"
    if "Conv2D" not in kind:
        return kinds[layer] + (" (gradient)" if parts[0] == "gradient_tape" else "")
    row = fused.get(layer, kinds[layer])
    if "Backprop" in kind:
        return f"{row}: " + next(v for k, v in _PHASES.items() if k in kind)
    return f"{row}: forward" + (" (fused with what follows)" if layer in fused else "")


def profile(models, mode="inference", batch_size=8, steps=3, warmup=2):
    """Milliseconds per step of each model's ops, by kind of layer: ``{row: {model name: ms}}``.

    ``models``: Keras models of the TensorFlow backend, each fed ``batch_size`` random inputs of its input shape (a
    classifier of logits trains on random labels, anything else on a zero target); ``mode``: one of ``RUN_MODES``.
    """
    if keras.backend.backend() != "tensorflow":
        raise ValueError(f"profile reads TensorFlow's profiler; this is the {keras.backend.backend()!r} backend.")
    protocol.check_modes(mode, (*protocol.MODES, protocol.FOLDED))
    import tensorflow as tf

    rng = protocol.seeded()
    table = collections.defaultdict(dict)
    for model in models:
        x = rng.standard_normal((batch_size, *model.input_shape[1:])).astype("float32")
        if len(model.output_shape) == 2:  # a classifier of logits
            y = rng.integers(0, model.output_shape[-1], batch_size)
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        else:  # a block: regress a zero target
            y, loss = np.zeros((batch_size, *model.output_shape[1:]), "float32"), "mse"
        calls, _, _ = protocol.timed_model(model, x, y, loss, [mode], steps, warmup)
        fn, n, w = calls[mode]
        traced = fold.fold_batchnorm(model) if mode == protocol.FOLDED else model
        kinds, fused = _kinds(traced)
        for _ in range(max(w, 1)):
            fn()
        with tempfile.TemporaryDirectory() as logdir:
            tf.profiler.experimental.start(logdir)
            for _ in range(n):
                fn()
            tf.profiler.experimental.stop()
            for op, kind, ms in _op_events(logdir):
                row = _row(op, kind, kinds, fused)
                table[row][model.name] = table[row].get(model.name, 0.0) + ms / n
    return dict(table)
