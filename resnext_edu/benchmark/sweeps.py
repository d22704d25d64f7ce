"""Sweeps over the number of groups: single convolutions (``conv_sweep``) and whole blocks (``block_sweep``).

Both time their specs with the protocol of ``run`` (interleaved rounds); the first spec is the reference, and
``config["specs"]`` records each one's channels, groups and resolved op for ``plot_sweep``.
"""

import keras
import numpy as np

from resnext_edu import blocks, equivalence, layers
from resnext_edu._checks import positive_int
from resnext_edu.benchmark import protocol

#: The sweeps' name for Keras' ``DepthwiseConv2D`` (groups = channels), beside ``layers.IMPLEMENTATIONS``.
DEPTHWISE = "depthwise"
#: How ``config["specs"]`` records that op: apart from the library's own "depthwise" implementation, which
#: ``"auto"`` takes for one channel per group on TensorFlow without an exact native grouped op.
KERAS_DEPTHWISE = "DepthwiseConv2D"

#: Equal multiply-adds, more and thinner groups: (channels, groups) with channels**2 / groups = 64**2.
EQUAL_MACS = ((64, 1), (128, 4), (256, 16), (512, 64), (1024, 256))


def _regression(model_fn, x, modes, steps, warmup):
    """A setup function for ``protocol.measure``: the model regresses a zero target (mean squared error)."""
    return lambda: protocol.timed_model(model_fn(), x, np.zeros_like(x), "mse", modes, steps, warmup)


def conv_sweep(
    specs=EQUAL_MACS,
    modes=protocol.MODES,
    *,
    image_size=28,
    batch_size=8,
    kernel_size=3,
    implementation="auto",
    rounds=5,
    steps=3,
    warmup=2,
    log=None,
):
    """Time single ``layers.Conv2D`` convolutions side by side; the first spec is the reference.

    ``specs``: ``(channels, groups)`` or ``(channels, groups, implementation)`` tuples (the latter overrides
    ``implementation``, one of ``layers.IMPLEMENTATIONS``: "keras" is the stock layer's op; or ``DEPTHWISE``:
    Keras' ``DepthwiseConv2D``, for groups = channels). Each conv maps ``channels`` to ``channels`` on an
    ``image_size`` map; its multiply-adds per image are ``image_size**2 * kernel_size**2 * channels**2 / groups``.
    The default specs (``EQUAL_MACS``) all have those of the dense 3x3 of ResNet-50's conv2 stage (64 channels),
    spread over 1 to 256 groups (256 groups of 4 channels: ResNeXt's group width). Variants are named
    ``"C=groups, channels ch"`` (plus ``", implementation"`` if given).
    """
    modes = protocol.check_modes(modes)
    parsed = []
    for spec in specs:
        if not isinstance(spec, (tuple, list)) or len(spec) not in (2, 3):
            raise ValueError(f"a spec is (channels, groups) or (channels, groups, implementation); got {spec!r}.")
        c, g = positive_int("channels", spec[0]), positive_int("groups", spec[1])
        if c % g:
            raise ValueError(f"channels must be a multiple of groups; got {c} channels in {g} groups.")
        impl = spec[2] if len(spec) == 3 else implementation
        if impl == DEPTHWISE and g != c:
            raise ValueError(
                f"the {DEPTHWISE!r} conv (Keras' DepthwiseConv2D) needs groups = channels; got {c} channels in {g} "
                "groups."
            )
        resolved = KERAS_DEPTHWISE if impl == DEPTHWISE else layers.resolve_implementation(impl, c // g)  # validates
        parsed.append((f"C={g}, {c} ch" + (f", {impl}" if len(spec) == 3 else ""), c, g, impl, resolved))
    protocol.check_specs(parsed, "(channels, groups)")
    size, batch = positive_int("image_size", image_size), positive_int("batch_size", batch_size)
    kernel_size = positive_int("kernel_size", kernel_size)
    rounds, steps, warmup = protocol.check_timing(rounds, steps, warmup)
    rng = protocol.seeded()

    labels, setups, done = {}, {}, []
    for name, c, g, impl, resolved in parsed:
        op = resolved if g > 1 or impl == DEPTHWISE else "dense"
        done.append(dict(name=name, channels=c, groups=g, implementation=op))
        k = f"{kernel_size}x{kernel_size}"
        labels[name] = (
            f"{k} depthwise conv, {c} channels, Keras' DepthwiseConv2D"
            if impl == DEPTHWISE
            else f"{k} conv, {c} -> {c} channels, " + (f"{g} groups of {c // g}, '{op}' op" if g > 1 else "dense")
        )

        def model(c=c, g=g, impl=impl):
            if impl == DEPTHWISE:
                conv = keras.layers.DepthwiseConv2D(kernel_size, padding="same", use_bias=False)
            else:
                conv = layers.Conv2D(c, kernel_size, padding="same", groups=g, use_bias=False, implementation=impl)
            return keras.Sequential([keras.Input((size, size, c)), conv])

        x = rng.standard_normal((batch, size, size, c)).astype("float32")
        setups[name] = _regression(model, x, modes, steps, warmup)
    ops = ", ".join(repr(i) for i in sorted({p[4] for p in parsed}))
    config = dict(
        network="conv",
        what=f"single {kernel_size}x{kernel_size} convolutions at {size}x{size} (grouped: {ops} op)",
        image_size=size,
        batch_size=batch,
        kernel_size=kernel_size,
        implementations=sorted({p[4] for p in parsed}),
        specs=done,
    )
    return protocol.measure(setups, labels, config, parsed[0][0], rounds, steps, warmup, log)


def block_sweep(
    specs=((1, 128), (32, 4), (128, 1), (128, 1, DEPTHWISE)),
    modes=protocol.MODES,
    *,
    channels=256,
    image_size=28,
    batch_size=8,
    implementation="auto",
    rounds=5,
    steps=3,
    warmup=2,
    log=None,
):
    """Time whole stride-1 blocks (``blocks.resnext_block``, form c) side by side; the first spec is the reference.

    ``specs``: ``(cardinality, bottleneck_width)`` or ``(cardinality, bottleneck_width, DEPTHWISE)``: the block with
    its grouped 3x3 (d = 1 only) as Keras' ``DepthwiseConv2D`` (``equivalence.depthwise_convs``). Each block maps
    ``channels`` to ``channels`` on an ``image_size`` map and regresses a zero target. The defaults hold the group
    width at ResNeXt-50's conv2 stage (128): C = 1 (a wide ResNet bottleneck), 32x4d, and the depthwise end (128x1d)
    both ways (the extremes of cardinality). Variants are named ``"Cxdd"`` (plus ``", depthwise"``).
    """
    modes = protocol.check_modes(modes)
    resolved = layers.resolve_implementation(implementation)
    parsed = []
    for spec in specs:
        if not isinstance(spec, (tuple, list)) or len(spec) not in (2, 3) or (len(spec) == 3 and spec[2] != DEPTHWISE):
            raise ValueError(
                f"a spec is (cardinality, bottleneck_width) or (cardinality, bottleneck_width, {DEPTHWISE!r}); "
                f"got {spec!r}."
            )
        c, d = positive_int("cardinality", spec[0]), positive_int("bottleneck_width", spec[1])
        depthwise = len(spec) == 3
        if depthwise and (d != 1 or c == 1):
            raise ValueError(f"a {DEPTHWISE!r} block needs d = 1 and C > 1 (one channel per group); got {c}x{d}d.")
        parsed.append((f"{c}x{d}d" + (f", {DEPTHWISE}" if depthwise else ""), c, d, depthwise))
    protocol.check_specs(parsed, "(cardinality, bottleneck_width)")
    channels = positive_int("channels", channels)
    size, batch = positive_int("image_size", image_size), positive_int("batch_size", batch_size)
    rounds, steps, warmup = protocol.check_timing(rounds, steps, warmup)
    x = protocol.seeded().standard_normal((batch, size, size, channels)).astype("float32")

    labels, setups, done = {}, {}, []
    for name, c, d, depthwise in parsed:
        op = KERAS_DEPTHWISE if depthwise else "dense" if c == 1 else layers.resolve_implementation(implementation, d)
        done.append(dict(name=name, cardinality=c, bottleneck_width=d, groups=c, implementation=op))
        named = {"dense": "dense", KERAS_DEPTHWISE: "depthwise (Keras' DepthwiseConv2D)"}
        how = named.get(op, f"in {c} groups of {d}, '{op}' op")
        labels[name] = f"block, 1x1 to {c * d}, 3x3 {how}, 1x1 to {channels}"

        def model(c=c, d=d, depthwise=depthwise):
            inputs = keras.Input((size, size, channels))
            y = blocks.resnext_block(inputs, channels, c, d, name="block", conv_implementation=implementation)
            return equivalence.depthwise_convs(keras.Model(inputs, y)) if depthwise else keras.Model(inputs, y)

        setups[name] = _regression(model, x, modes, steps, warmup)
    config = dict(
        network="blocks",
        what=f"whole blocks {channels}->{channels} at {size}x{size} (grouped 3x3: {resolved!r} op)",
        channels=channels,
        image_size=size,
        batch_size=batch,
        implementation=resolved,
        specs=done,
    )
    return protocol.measure(setups, labels, config, parsed[0][0], rounds, steps, warmup, log)
