"""Images per second of each ResNeXt form against the ResNet of equal cost, side by side.

    python -m resnext_edu.benchmark                         # ResNeXt-50 (32x4d) vs ResNet-50, 224x224, batch 8
    python -m resnext_edu.benchmark --block                 # one conv2-stage block (56x56, 256 channels)
    python -m resnext_edu.benchmark --network cifar-small   # chapter 6's small CIFAR network, 32x32, batch 64
    python -m resnext_edu.benchmark --variants resnet,c,auto --modes inference --rounds 3
    python -m resnext_edu.benchmark --variants resnet,c,keras:inference   # per-variant modes

Networks (``--network``): ``imagenet`` (ResNeXt-{depth} (C x d) against ResNet-{depth}, paper Table 1),
``block`` (one stride-1 block of the conv2 stage, 256 -> 256 channels, against the ResNet bottleneck;
``--block`` is short for it) and ``cifar-small`` (``models.resnext_cifar(C, d, blocks_per_stage=1,
out_channels=64, stem_filters=32)``, the small CIFAR network of chapter 6, against its ResNet, C=1 and
d=16). ``--width`` defaults to the bottleneck width d that keeps the block at the ResNet's cost
(``complexity.width_for_cardinality``: 4 for C=32), so that every variant has (nearly) the same
multiply-adds.

Variants (``--variants``, comma-separated; ``variant:mode`` or ``variant:inference+train`` limits one
variant to some modes):

- ``resnet``: the ResNet of equal cost (C=1, d=64; d=16 for cifar-small);
- ``a``, ``b``, ``c``: the forms of Fig. 3 (C paths summed; C paths concatenated, then one 1x1; one grouped
  3x3). ``c`` uses the library's ``layers.Conv2D``, whose grouped conv runs TensorFlow's native op;
- ``split``: form c, the grouped conv computed as one convolution per group, concatenated;
- ``keras``: form c with Keras' stock grouped conv (Keras 3 on TensorFlow sends it through XLA);
- ``auto``: what ``form="auto"`` builds on this device (form c with the fastest exact grouped conv).

Modes (``--modes``): ``inference`` (``model.predict_on_batch``) and ``train`` (one ``model.train_on_batch``:
forward, backward and an SGD update). Every (variant, mode) is warmed up (``--warmup`` untimed batches,
which also trace the graph), then all are timed in the same run, interleaved round by round (``--rounds``
rounds of ``--steps`` batches each), so that a busy machine slows them alike. Each figure is the median over
rounds; the ratio to ResNet is the median of the per-round ratios. Whole networks and the block classify
random images; the block (which has no classifier) and ``conv_sweep`` regress a zero target.

Slow pairs: the stock layer's training step (``keras`` in mode ``train``) takes seconds per batch on a
CPU, minutes for a whole network. It is measured with 1 step per round and at most 1 warm-up batch; on
whole networks it is skipped unless ``--slow`` (the table says "skipped (--slow)").

Progress goes to stderr; a description and a Markdown table go to stdout; ``--json FILE`` also writes the
raw measurements. From Python: ``results = run(network="block", image_size=28, rounds=3)``, then
``table(results)``, ``plot_results(results)``; ``conv_sweep()`` times single convolutions of equal
multiply-adds and growing numbers of groups, ``block_sweep()`` whole blocks of several C x d (both drawn by
``plot_sweep``).
"""

import argparse
import contextlib
import dataclasses
import json
import logging
import statistics
import sys
import textwrap
import time

from resnext_edu import style

#: What each variant builds (``--variants``).
VARIANTS = {
    "resnet": "the ResNet of equal cost (C=1)",
    "a": "form (a): C paths, summed",
    "b": "form (b): C paths, concatenated, then one 1x1",
    "c": "form (c): one grouped 3x3 (the library's Conv2D)",
    "split": "form (c), grouped 3x3 as one conv per group, concatenated",
    "keras": "form (c), Keras' stock grouped Conv2D",
    "auto": "what form='auto' builds on this device",
}
MODES = ("inference", "train")
NETWORKS = ("imagenet", "block", "cifar-small")

#: (variant, mode) pairs that take seconds per batch on a CPU: 1 step per round, skipped on whole
#: networks unless ``slow=True`` (``--slow``).
SLOW = {("keras", "train"): "the stock grouped conv's gradient runs through XLA: seconds per batch on a CPU"}
SKIPPED_SLOW = "skipped (--slow)"

#: The ResNet each network is compared with: (cardinality, bottleneck width) and the block's in/out channels.
_REFERENCE = {"imagenet": (1, 64, 256), "block": (1, 64, 256), "cifar-small": (1, 16, 64)}
_DEFAULTS = {  # cardinality, image size, batch size, classes
    "imagenet": (32, 224, 8, 1000),
    "block": (32, 56, 8, None),
    "cifar-small": (8, 32, 64, 10),
}
#: chapter 6's small CIFAR network: ``models.resnext_cifar(C, d, **CIFAR_SMALL)``.
CIFAR_SMALL = dict(blocks_per_stage=1, out_channels=64, stem_filters=32)


# --- configuration and models ----------------------------------------------------------------


def settings(
    network="imagenet", *, depth=50, cardinality=None, width=None, image_size=None, batch_size=None, num_classes=None
):
    """The network's settings with defaults filled in (see the module doc); raises ValueError on bad ones."""
    from resnext_edu import complexity
    from resnext_edu._checks import one_of, positive_int

    one_of("network", network, NETWORKS)
    c_default, size_default, batch_default, classes_default = _DEFAULTS[network]
    _, ref_width, channels = _REFERENCE[network]
    cardinality = positive_int("cardinality", c_default if cardinality is None else cardinality)
    if width is None:
        width = complexity.width_for_cardinality(cardinality, channels, channels, ref_width)
    s = dict(
        network=network,
        cardinality=cardinality,
        width=positive_int("width", width),
        image_size=positive_int("image_size", size_default if image_size is None else image_size),
        batch_size=positive_int("batch_size", batch_default if batch_size is None else batch_size),
    )
    if network == "imagenet":
        s["depth"] = one_of("depth", depth, tuple(complexity.STAGE_BLOCKS))
        complexity.imagenet_architecture(s["depth"], 1, 1, 1, s["image_size"])  # checks the size
    if network != "block":
        s["num_classes"] = positive_int("num_classes", classes_default if num_classes is None else num_classes)
    if network == "cifar-small":
        complexity.cifar_architecture(1, 1, 1, s["image_size"], **CIFAR_SMALL)  # checks the size
    return s


def _variant_build(variant):
    """(form, conv_implementation, is_reference) of a variant."""
    return {
        "resnet": ("c", "auto", True),
        "keras": ("c", "keras", False),
        "split": ("c", "split", False),
        "c": ("c", "auto", False),
    }.get(variant, (variant, "auto", False))


def build(variant, network="imagenet", **config):
    """The Keras model that ``run`` times for ``variant`` on ``network`` (keywords: as ``settings``)."""
    import keras

    from resnext_edu import blocks, models
    from resnext_edu._checks import one_of

    one_of("variant", variant, tuple(VARIANTS))
    s = settings(network, **config)
    form, impl, reference = _variant_build(variant)
    ref_c, ref_d, channels = _REFERENCE[network]
    c, d = (ref_c, ref_d) if reference else (s["cardinality"], s["width"])
    size = s["image_size"]
    if network == "block":
        inputs = keras.Input((size, size, channels), name="features")
        y = blocks.resnext_block(inputs, channels, c, d, form=form, name="block", conv_implementation=impl)
        return keras.Model(inputs, y, name=f"block_{variant}")
    if network == "cifar-small":
        model = models.resnext_cifar(
            c, d, s["num_classes"], (size, size, 3), form, conv_implementation=impl, **CIFAR_SMALL
        )
    else:
        model = models.resnext(s["depth"], c, d, s["num_classes"], (size, size, 3), form, conv_implementation=impl)
    model.name = f"{model.name}_{variant}"
    return model


def device(detail=False):
    """``"GPU"`` if TensorFlow sees a GPU, else ``"CPU"``; with ``detail``, the GPU's name or the CPU count."""
    import os

    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not detail:
        return "GPU" if gpus else "CPU"
    if gpus:
        name = tf.config.experimental.get_device_details(gpus[0]).get("device_name", gpus[0].name)
        return f"GPU: {name}" + (f" (1 of {len(gpus)} used)" if len(gpus) > 1 else "")
    return f"CPU: {os.cpu_count()} logical cores"


# --- measuring -------------------------------------------------------------------------------


@dataclasses.dataclass
class Results:
    """What ``run`` or ``conv_sweep`` measured.

    ``images_per_second[variant][mode]``: one figure per round; ``skipped[variant][mode]``: why a pair
    was not measured; ``macs[variant]``: multiply-adds per image (one forward pass, ``introspect``);
    ``setup_seconds[variant]``: building, compiling and warming up; ``reference``: the variant the
    ratios are taken to; ``labels``: what each variant is; ``config``: how it was measured.
    """

    config: dict
    labels: dict
    macs: dict
    images_per_second: dict
    skipped: dict
    setup_seconds: dict
    reference: str = None

    @property
    def variants(self):
        return list(self.labels)

    def modes(self):
        """The modes measured or skipped for some variant, in ``MODES`` order."""
        seen = {m for v in self.labels for m in (*self.images_per_second.get(v, {}), *self.skipped.get(v, {}))}
        return [m for m in MODES if m in seen]

    def median(self, variant, mode):
        """Images per second of ``variant`` in ``mode`` (median over rounds), None if not measured."""
        values = self.images_per_second.get(variant, {}).get(mode)
        return statistics.median(values) if values else None

    def ratio(self, variant, mode):
        """Images per second relative to the reference in the same rounds (median of per-round ratios)."""
        ours = self.images_per_second.get(variant, {}).get(mode)
        base = self.images_per_second.get(self.reference, {}).get(mode)
        if not ours or not base:
            return None
        return statistics.median(a / b for a, b in zip(ours, base))

    def to_dict(self):
        return dataclasses.asdict(self)


def _log_stream(log):
    """The stream progress goes to: ``log``, or stderr (looked up now) if None, or nowhere if False."""
    return sys.stderr if log is None else _NullLog() if log is False else log


class _NullLog:
    def write(self, text):
        return len(text)

    def flush(self):
        pass


def _time(fn, steps):
    start = time.perf_counter()
    for _ in range(steps):
        fn()
    return time.perf_counter() - start


@contextlib.contextmanager
def _quiet_tensorflow():
    """Hide TensorFlow's retracing warnings (each new model traces its functions once; that is expected)."""
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _check_modes(modes):
    """``modes`` (one name or several) as a list of names from ``MODES``; raises ValueError."""
    modes = [modes] if isinstance(modes, str) else list(modes)
    for m in modes:
        if m not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}; got {m!r}.")
    return modes


def _check_specs(parsed, what):
    """A sweep's parsed specs ``(name, ...)``: at least one, each once."""
    if not parsed:
        raise ValueError(f"give at least one {what} spec.")
    if len({p[0] for p in parsed}) != len(parsed):
        raise ValueError("each spec may appear once.")


def _timed(setups, labels, config, reference, rounds, steps, warmup, log, skipped=None):
    """Measure ``setups`` interleaved (``_measure``) and return ``Results``, ``config`` plus how and where."""
    import keras

    with _quiet_tensorflow():
        ips, macs, seconds = _measure(setups, rounds, steps, warmup, _log_stream(log))
    config = dict(
        config,
        rounds=rounds,
        steps=steps,
        warmup=warmup,
        device=device(detail=True),
        keras=keras.__version__,
        backend=keras.backend.backend(),
    )
    return Results(
        config=config,
        labels=labels,
        macs=macs,
        images_per_second=ips,
        skipped=skipped or {},
        setup_seconds=seconds,
        reference=reference,
    )


def _variant_modes(variants, modes):
    """``{variant: [modes]}`` from names, ``"name:mode+mode"`` strings or a dict; raises ValueError."""
    modes = _check_modes(modes)
    if isinstance(variants, str):
        variants = [v for v in variants.split(",") if v.strip()]
    items = (
        variants.items()
        if isinstance(variants, dict)
        else [(v.split(":", 1)[0].strip(), v.split(":", 1)[1].split("+") if ":" in v else None) for v in variants]
    )
    out = {}
    for name, own in items:
        if name not in VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(VARIANTS)}; got {name!r}.")
        own = modes if own is None else ([own] if isinstance(own, str) else [m.strip() for m in own])
        for m in own:
            if m not in MODES:
                raise ValueError(f"mode of variant {name!r} must be one of {', '.join(MODES)}; got {m!r}.")
        if name in out:
            raise ValueError(f"variant {name!r} is listed twice.")
        out[name] = [m for m in MODES if m in own]
    if not out:
        raise ValueError("give at least one variant.")
    return out


def _measure(setups, rounds, steps, warmup, log):
    """Warm up, then time every (name, mode) interleaved round by round; ``setups``: name -> setup function.

    A setup function returns ``(calls, batch, macs)``, ``calls``: {mode: (fn, steps, warmup)}.
    Returns ({name: {mode: [images/s]}}, {name: macs}, {name: setup seconds}).
    """
    calls, macs, seconds = {}, {}, {}
    for i, (name, setup) in enumerate(setups.items(), 1):
        start = time.perf_counter()
        print(f"[{i}/{len(setups)}] {name}: building ...", file=log, flush=True)
        fns, batch, macs[name] = setup()
        for mode, (fn, n, w) in fns.items():
            print(
                f"[{i}/{len(setups)}] {name}: warming up {mode} ({w} batch{'es' * (w != 1)}) ...", file=log, flush=True
            )
            _time(fn, w)
            calls[name, mode] = (fn, n, batch)
        seconds[name] = time.perf_counter() - start
    results = {name: {mode: [] for (n2, mode) in calls if n2 == name} for name in setups}
    order = list(calls.items())
    for r in range(rounds):
        print(f"round {r + 1}/{rounds}", file=log, flush=True)
        for (name, mode), (fn, n, batch) in order if r % 2 == 0 else order[::-1]:  # alternate the order
            results[name][mode].append(batch * n / _time(fn, n))
    return results, macs, seconds


def _positive(name, value, minimum=1):
    from resnext_edu._checks import positive_int

    return positive_int(name, value, minimum)


def run(
    variants=("resnet", "keras", "split", "c", "auto"),
    modes=MODES,
    *,
    network="imagenet",
    rounds=5,
    steps=3,
    warmup=2,
    slow=None,
    jit_compile="auto",
    log=None,
    **config,
):
    """Measure every (variant, mode) on ``network``, interleaved round by round; returns ``Results``.

    ``variants``: names from ``VARIANTS``, or ``"name:mode"`` strings, or ``{name: modes}``; ``modes``:
    from ``MODES``; ``config``: ``depth``, ``cardinality``, ``width``, ``image_size``, ``batch_size``,
    ``num_classes`` (see ``settings``). ``slow``: measure the ``SLOW`` pairs (None: on the block only).
    ``jit_compile`` is passed to ``model.compile`` (Keras' "auto": XLA for the whole model on a GPU, not on
    a CPU). ``log``: a stream for progress (default: stderr), or False for none.
    """
    import keras
    import numpy as np

    from resnext_edu import introspect

    wanted = _variant_modes(variants, modes)
    s = settings(network, **config)
    rounds, steps, warmup = _positive("rounds", rounds), _positive("steps", steps), _positive("warmup", warmup, 0)
    if slow is None:
        slow = network == "block"
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    batch, size = s["batch_size"], s["image_size"]
    channels = _REFERENCE[network][2] if network == "block" else 3
    x = rng.standard_normal((batch, size, size, channels)).astype("float32")
    if network == "block":
        y, loss = np.zeros_like(x), keras.losses.MeanSquaredError()
    else:
        y, loss = np.arange(batch) % s["num_classes"], keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    skipped = {}
    setups = {}
    xla = {}
    for variant, variant_modes in wanted.items():
        measured = []
        for mode in variant_modes:
            if (variant, mode) in SLOW and not slow:
                skipped.setdefault(variant, {})[mode] = SKIPPED_SLOW
            else:
                measured.append(mode)
        if not measured:
            continue

        def setup(variant=variant, measured=measured):
            model = build(variant, network, **{k: v for k, v in s.items() if k != "network"})
            model.compile(optimizer=keras.optimizers.SGD(0.01), loss=loss, jit_compile=jit_compile)
            xla[variant] = bool(model.jit_compile)
            fns = {"inference": lambda: model.predict_on_batch(x), "train": lambda: model.train_on_batch(x, y)}
            return (
                {m: (fns[m], *((1, min(warmup, 1)) if (variant, m) in SLOW else (steps, warmup))) for m in measured},
                batch,
                introspect.count_macs(model),
            )

        setups[variant] = setup

    results = _timed(
        setups,
        {v: VARIANTS[v] for v in wanted},
        dict(s, slow=slow, jit_compile=jit_compile),
        "resnet" if "resnet" in wanted else None,
        rounds,
        steps,
        warmup,
        log,
        skipped,
    )
    results.config.update(xla=any(xla.values()), auto=_auto_description())  # xla: known once the models compiled
    return results


def _auto_description():
    from resnext_edu.blocks import resolve_form
    from resnext_edu.layers import resolve_implementation

    return f"form {resolve_form('auto')} with the '{resolve_implementation('auto')}' grouped conv"


#: ``conv_sweep``'s name for Keras' ``DepthwiseConv2D`` (groups = channels), beside ``layers.IMPLEMENTATIONS``.
DEPTHWISE = "depthwise"

#: Equal multiply-adds, more and thinner groups: (channels, groups) with channels**2 / groups = 64**2.
EQUAL_MACS = ((64, 1), (128, 4), (256, 16), (512, 64), (1024, 256))


def conv_sweep(
    specs=EQUAL_MACS,
    modes=MODES,
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

    ``specs``: ``(channels, groups)`` or ``(channels, groups, implementation)`` tuples (the latter
    overrides ``implementation``, one of ``layers.IMPLEMENTATIONS``: "keras" is the stock layer's op; or
    ``DEPTHWISE``: Keras' ``DepthwiseConv2D``, for groups = channels). Each
    conv maps ``channels`` to ``channels`` on an ``image_size`` map; its multiply-adds per image are
    ``image_size**2 * kernel_size**2 * channels**2 / groups``. The default specs (``EQUAL_MACS``) all have
    those of the dense 3x3 of ResNet-50's conv2 stage (64 channels), spread over 1 to 256 groups (256
    groups of 4 channels: ResNeXt's group width). Same interleaved protocol as ``run``; returns
    ``Results`` whose variants are named ``"C=groups, channels ch"`` (plus ``", implementation"`` if given);
    ``config["specs"]`` lists each one's channels, groups and resolved op (``plot_sweep`` draws them).
    """
    import keras
    import numpy as np

    from resnext_edu import introspect, layers

    modes = _check_modes(modes)
    parsed = []
    for spec in specs:
        if not isinstance(spec, (tuple, list)) or len(spec) not in (2, 3):
            raise ValueError(f"a spec is (channels, groups) or (channels, groups, implementation); got {spec!r}.")
        c, g = _positive("channels", spec[0]), _positive("groups", spec[1])
        if c % g:
            raise ValueError(f"channels must be a multiple of groups; got {c} channels in {g} groups.")
        impl = spec[2] if len(spec) == 3 else implementation
        if impl == DEPTHWISE:
            if g != c:
                raise ValueError(
                    f"the {DEPTHWISE!r} conv (Keras' DepthwiseConv2D) needs groups = channels; "
                    f"got {c} channels in {g} groups."
                )
        else:
            layers.resolve_implementation(impl)  # validates
        name = f"C={g}, {c} ch" + (f", {impl}" if len(spec) == 3 else "")
        parsed.append((name, c, g, impl))
    _check_specs(parsed, "(channels, groups)")
    size, batch = _positive("image_size", image_size), _positive("batch_size", batch_size)
    rounds, steps, warmup = _positive("rounds", rounds), _positive("steps", steps), _positive("warmup", warmup, 0)
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)

    def resolve(impl):
        return impl if impl == DEPTHWISE else layers.resolve_implementation(impl)

    labels, setups, specs_done = {}, {}, []
    for name, c, g, impl in parsed:
        resolved = resolve(impl) if g > 1 or impl == DEPTHWISE else "dense"
        specs_done.append(dict(name=name, channels=c, groups=g, implementation=resolved))
        if impl == DEPTHWISE:
            labels[name] = f"{kernel_size}x{kernel_size} depthwise conv, {c} channels, Keras' DepthwiseConv2D"
        else:
            labels[name] = f"{kernel_size}x{kernel_size} conv, {c} -> {c} channels, " + (
                f"{g} groups of {c // g}, '{resolved}' op" if g > 1 else "dense"
            )

        def setup(c=c, g=g, impl=impl):
            x = rng.standard_normal((batch, size, size, c)).astype("float32")
            if impl == DEPTHWISE:
                conv = keras.layers.DepthwiseConv2D(kernel_size, padding="same", use_bias=False)
            else:
                conv = layers.Conv2D(c, kernel_size, padding="same", groups=g, use_bias=False, implementation=impl)
            model = keras.Sequential([keras.Input((size, size, c)), conv])
            model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
            y = np.zeros_like(x)
            fns = {"inference": lambda: model.predict_on_batch(x), "train": lambda: model.train_on_batch(x, y)}
            return {m: (fns[m], steps, warmup) for m in modes}, batch, introspect.count_macs(model)

        setups[name] = setup
    config = dict(
        network="conv",
        image_size=size,
        batch_size=batch,
        kernel_size=kernel_size,
        implementations=sorted({resolve(p[3]) for p in parsed}),
        specs=specs_done,
    )
    return _timed(setups, labels, config, parsed[0][0], rounds, steps, warmup, log)


def block_sweep(
    specs=((1, 128), (32, 4), (128, 1), (128, 1, DEPTHWISE)),
    modes=MODES,
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
    both ways (chapter 9). Same interleaved protocol as ``run``; variants are named ``"Cxdd"`` (plus ``", depthwise"``).
    """
    import keras
    import numpy as np

    from resnext_edu import blocks, equivalence, introspect, layers

    modes = _check_modes(modes)
    layers.resolve_implementation(implementation)
    parsed = []
    for spec in specs:
        if not isinstance(spec, (tuple, list)) or len(spec) not in (2, 3) or (len(spec) == 3 and spec[2] != DEPTHWISE):
            raise ValueError(
                f"a spec is (cardinality, bottleneck_width) or (cardinality, bottleneck_width, "
                f"{DEPTHWISE!r}); got {spec!r}."
            )
        c, d = _positive("cardinality", spec[0]), _positive("bottleneck_width", spec[1])
        depthwise = len(spec) == 3
        if depthwise and (d != 1 or c == 1):
            raise ValueError(f"a {DEPTHWISE!r} block needs d = 1 and C > 1 (one channel per group); got {c}x{d}d.")
        parsed.append((f"{c}x{d}d" + (f", {DEPTHWISE}" if depthwise else ""), c, d, depthwise))
    _check_specs(parsed, "(cardinality, bottleneck_width)")
    channels = _positive("channels", channels)
    size, batch = _positive("image_size", image_size), _positive("batch_size", batch_size)
    rounds, steps, warmup = _positive("rounds", rounds), _positive("steps", steps), _positive("warmup", warmup, 0)
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, size, size, channels)).astype("float32")
    y = np.zeros_like(x)
    resolved = layers.resolve_implementation(implementation)

    labels, setups, done = {}, {}, []
    for name, c, d, depthwise in parsed:
        op = DEPTHWISE if depthwise else "dense" if c == 1 else resolved
        done.append(dict(name=name, cardinality=c, bottleneck_width=d, groups=c, implementation=op))
        labels[name] = (
            f"block, 1x1 to {c * d}, 3x3 "
            + (
                "dense"
                if c == 1
                else "depthwise (Keras' DepthwiseConv2D)"
                if depthwise
                else f"in {c} groups of {d}, '{resolved}' op"
            )
            + f", 1x1 to {channels}"
        )

        def setup(c=c, d=d, depthwise=depthwise):
            inputs = keras.Input((size, size, channels))
            model = keras.Model(
                inputs, blocks.resnext_block(inputs, channels, c, d, name="block", conv_implementation=implementation)
            )
            if depthwise:
                model = equivalence.depthwise_convs(model)
            model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
            fns = {"inference": lambda: model.predict_on_batch(x), "train": lambda: model.train_on_batch(x, y)}
            return {m: (fns[m], steps, warmup) for m in modes}, batch, introspect.count_macs(model)

        setups[name] = setup
    config = dict(
        network="blocks", channels=channels, image_size=size, batch_size=batch, implementation=resolved, specs=done
    )
    return _timed(setups, labels, config, parsed[0][0], rounds, steps, warmup, log)


# --- reporting -------------------------------------------------------------------------------


def _number(x):
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}" if x >= 0.1 else f"{x:.3f}"


def _macs(n):
    return f"{n / 1e9:.2f} G" if n >= 1e9 else f"{n / 1e6:.1f} M" if n >= 1e7 else f"{n / 1e6:.2f} M"


def describe(results):
    """One line: what was measured, how, and on what."""
    c = results.config
    size = f"{c['image_size']}x{c['image_size']}"
    if c["network"] == "conv":
        what = (
            f"single {c['kernel_size']}x{c['kernel_size']} convolutions at {size} "
            f"(grouped: {', '.join(repr(i) for i in c['implementations'])} op)"
        )
    elif c["network"] == "blocks":
        what = f"whole blocks {c['channels']}->{c['channels']} at {size} (grouped 3x3: {c['implementation']!r} op)"
    else:
        ref_c, ref_d, channels = _REFERENCE[c["network"]]
        what = {
            "imagenet": f"ResNeXt-{c.get('depth')}",
            "block": f"one block {channels}->{channels} at {size}",
            "cifar-small": "chapter 6's small CIFAR network",
        }[c["network"]]
        if c["network"] != "block":
            what += f" at {size}"
        what += f", {c['cardinality']}x{c['width']}d vs ResNet {ref_c}x{ref_d}d"
    line = (
        f"{what}, batch {c['batch_size']}, {c['rounds']} round{'s' * (c['rounds'] != 1)} of {c['steps']} "
        f"step{'s' * (c['steps'] != 1)} after {c['warmup']} warm-up; {c['device']}; Keras {c['keras']} "
        f"({c['backend']})"
    )
    if "auto" in c:
        line += f", XLA {'on' if c['xla'] else 'off'}; form='auto' builds {c['auto']}"
    return line


def table(results):
    """A Markdown table: multiply-adds, images/s (median over rounds) and the ratio to the reference."""
    modes = results.modes()
    ref = results.reference
    head = ["variant", "what", "mult-adds/image"]
    for m in modes:
        head += [f"{m} img/s"] + ([f"{m} vs {ref}"] if ref else [])
    if "inference" in modes:
        head.append("inference G mult-adds/s")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * 3 + "--:|" * (len(head) - 3)]
    for v in results.variants:
        cells = [v, results.labels[v], _macs(results.macs[v]) if v in results.macs else "-"]
        for m in modes:
            ips, reason = results.median(v, m), results.skipped.get(v, {}).get(m)
            cells.append(_number(ips) if ips is not None else reason or "-")
            if ref:
                ratio = results.ratio(v, m)
                cells.append(f"{_number(ratio)}x" if ratio is not None else "-")
        if "inference" in modes:
            ips = results.median(v, "inference")
            cells.append(_number(ips * results.macs[v] / 1e9) if ips is not None and v in results.macs else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_results(results, ax=None, title=None):
    """A bar chart of each variant's images/s relative to the reference, one bar per mode; returns the Figure.

    The y axis is logarithmic (ratios from thousandths to a few); bars grow from the reference's line at 1,
    down for slower variants and up for faster ones, each labelled with its ratio; skipped pairs are
    marked. Without a reference variant the bars show images/s.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    own_figure = ax is None
    if own_figure:
        fig, ax = plt.subplots(figsize=(max(6.5, 1.1 * len(results.variants) + 2), 4.4), layout="constrained")
    else:
        fig = ax.figure
    modes = results.modes()
    ref = results.reference
    value = results.ratio if ref else results.median
    colors = style.MODE_COLORS
    width = 0.8 / max(1, len(modes))
    values = [r for v in results.variants for m in modes if (r := value(v, m))]
    base = 1.0 if ref else min(values + [1.0]) / 2
    lo, hi = min(values + [base]) / 3, max(values + [base]) * 3
    for j, m in enumerate(modes):
        for i, v in enumerate(results.variants):
            xpos = i + (j - (len(modes) - 1) / 2) * width
            r = value(v, m)
            if r is None:
                reason = results.skipped.get(v, {}).get(m) or "not measured"
                ax.text(
                    xpos,
                    base / 1.08 if ref else base * 1.08,
                    reason,
                    rotation=90,
                    ha="center",
                    va="top" if ref else "bottom",
                    fontsize=8,
                    color=style.MUTED,
                )
                continue
            ax.bar(xpos, r - base, width * 0.92, bottom=base, color=colors[m], zorder=2)
            up = r >= base
            ax.text(
                xpos,
                r * 1.08 if up else r / 1.08,
                f"{_number(r)}x" if ref else _number(r),
                ha="center",
                va="bottom" if up else "top",
                fontsize=8,
                zorder=3,
            )
    ax.set_yscale("log")
    ax.set_ylim(lo, hi)
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}x" if ref else f"{y:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    if ref:
        ax.axhline(1.0, color=style.INK, lw=1, ls="--", zorder=1)
    ax.set_xticks(range(len(results.variants)), results.variants)
    ax.set_ylabel(f"images/s relative to {ref}" if ref else "images/s")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colors[m]) for m in modes]
    if own_figure:  # below the axes, where no bar or label can be
        fig.legend(handles, modes, loc="outside lower center", ncol=len(modes), frameon=False, fontsize=9)
    else:
        ax.legend(handles, modes, loc="best", frameon=False, fontsize=9)
    if title is None:
        title = textwrap.fill(describe(results).split(";")[0], int(11 * fig.get_figwidth()))
    ax.set_title(title, fontsize=10, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig


def plot_sweep(results, ax=None, title=None):
    """Images/s of each conv (``conv_sweep``) or block (``block_sweep``) against its groups C, relative to the first.

    One line per mode and op (markers only for an op measured at a single C, e.g. ``DEPTHWISE``); the grey
    dashed line is the speed-up the multiply-adds predict (first conv's over each conv's): flat for chapter 7's
    equal-cost sweep, rising as 1/C at a fixed width (chapter 9). Returns the Figure.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter, NullLocator

    specs = results.config.get("specs")
    if results.config.get("network") not in ("conv", "blocks") or not specs:
        raise ValueError("plot_sweep needs the Results of conv_sweep or block_sweep (run's go to plot_results).")
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.5, 4.4), layout="constrained")
    else:
        fig = ax.figure
    ref = results.reference
    groups = sorted({s["groups"] for s in specs})
    by_groups = {}
    for s in specs:
        by_groups.setdefault(s["groups"], s["name"])
    predicted = [results.macs[ref] / results.macs[by_groups[g]] for g in groups]
    ax.plot(groups, predicted, color=style.GRAY, ls="--", lw=1.3, marker=".", label="if time followed multiply-adds")
    colors = style.MODE_COLORS
    ops = [op for op in dict.fromkeys(s["implementation"] for s in specs) if op != "dense"]
    styles = dict(zip(ops, ("-", ":", "-.", (0, (5, 1)))))
    markers = dict(zip(ops, "osD^v"))
    values = list(predicted)
    for m in results.modes():
        for op in ops or ["dense"]:
            points = sorted(
                (s["groups"], results.ratio(s["name"], m))
                for s in specs
                if s["implementation"] in (op, "dense") and results.ratio(s["name"], m) is not None
            )
            single = len([g for g, _ in points if g > 1]) <= 1 and len(ops) > 1
            if single:
                points = [(g, r) for g, r in points if g > 1] or points
            if not points:
                continue
            xs, ys = zip(*points)
            values += ys
            if single:  # beside the line's point at the same C, not on it
                xs = [x * 1.12 for x in xs]
            ax.plot(
                xs,
                ys,
                color=colors[m],
                ls="none" if single else styles.get(op, "-"),
                lw=1.8,
                marker="*" if single else markers.get(op, "o"),
                markersize=10 if single else 5,
                label=f"{m}, " + (f"'{op}' op" if op not in ("dense", DEPTHWISE) else f"{op}"),
            )
            offset = (9, 0) if single else (0, 7) if m == "inference" else (0, -8)
            ax.annotate(
                f"{ys[-1]:.2g}x",
                (xs[-1], ys[-1]),
                xytext=offset,
                textcoords="offset points",
                ha="left" if single else "center",
                va="center" if single else "bottom" if m == "inference" else "top",
                fontsize=8,
                color=colors[m],
            )
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(FixedLocator(groups))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_xlim(groups[0] / 1.4, groups[-1] * 1.8)
    ax.set_yscale("log")
    ax.set_ylim(min(values + [1.0]) / 2, max(values + [1.0]) * 2.5)
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}x"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.axhline(1.0, color=style.INK, lw=0.8, zorder=1)
    ax.set_xlabel("groups C (log scale)")
    ax.set_ylabel(f"images/s relative to {ref}")
    ax.legend(loc="upper left", frameon=False, fontsize=8.5)
    if title is None:
        title = textwrap.fill(describe(results).split(";")[0], int(11 * fig.get_figwidth()))
    ax.set_title(title, fontsize=10, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig


# --- command line ----------------------------------------------------------------------------


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows "(default: ...)" only where there is a default worth showing (not None, not a flag's False)."""

    def _get_help_string(self, action):
        if action.default in (None, False):
            return action.help
        return super()._get_help_string(action)


def parser():
    """The argument parser of ``python -m resnext_edu.benchmark`` (options documented in the module doc)."""
    p = argparse.ArgumentParser(
        prog="python -m resnext_edu.benchmark",
        description=__doc__.split("\n")[0],
        formatter_class=_HelpFormatter,
        epilog="Variants: " + "; ".join(f"{k}: {v}" for k, v in VARIANTS.items()),
    )
    p.add_argument(
        "--network",
        choices=NETWORKS,
        default="imagenet",
        help="what to time: a whole ImageNet network, one conv2-stage block, or chapter 6's CIFAR net",
    )
    p.add_argument("--block", action="store_true", help="short for --network block")
    p.add_argument(
        "--variants",
        default=None,
        help=f"comma-separated, from {','.join(VARIANTS)}; 'name:mode' limits a variant to a mode "
        "(default: resnet,keras,split,c,auto; every variant with --block; "
        "resnet,a,b,c,auto for cifar-small; form a of a whole ImageNet network builds slowly)",
    )
    p.add_argument("--modes", default="inference,train", help="comma-separated, from inference,train")
    p.add_argument(
        "--slow",
        action="store_true",
        help="also time the stock Keras layer's training step on whole networks (minutes on a CPU; 1 step per round)",
    )
    p.add_argument("--depth", type=int, default=50, help="ImageNet network depth: 50, 101 or 152")
    p.add_argument("--cardinality", type=int, default=None, help="C (default: 32; 8 for cifar-small)")
    p.add_argument(
        "--width",
        type=int,
        default=None,
        help="bottleneck width d (default: the width of the ResNet's cost, 4 for C=32)",
    )
    p.add_argument("--batch-size", type=int, default=None, help="default: 8; 64 for cifar-small")
    p.add_argument("--image-size", type=int, default=None, help="default: 224; 56 for --block; 32 for cifar-small")
    p.add_argument("--num-classes", type=int, default=None, help="default: 1000; 10 for cifar-small")
    p.add_argument("--rounds", type=int, default=5, help="timed rounds; each figure is the median over rounds")
    p.add_argument("--steps", type=int, default=3, help="batches per round, variant and mode")
    p.add_argument("--warmup", type=int, default=2, help="untimed batches per variant and mode (tracing included)")
    p.add_argument(
        "--jit-compile",
        choices=("auto", "true", "false"),
        default="auto",
        help="XLA for the whole model (Keras' 'auto': on a GPU only)",
    )
    p.add_argument("--json", metavar="FILE", help="also write the raw measurements to FILE")
    return p


def parse(argv=None):
    """The keyword arguments of ``run`` (and ``json``) from command-line options; errors exit with a message."""
    p = parser()
    a = p.parse_args(argv)
    if a.block:
        if a.network not in ("imagenet", "block"):
            p.error("--block and --network cifar-small exclude each other")
        a.network = "block"
    default_variants = {
        "imagenet": "resnet,keras,split,c,auto",
        "block": ",".join(VARIANTS),
        "cifar-small": "resnet,a,b,c,auto",
    }[a.network]
    kwargs = dict(
        network=a.network,
        variants=a.variants or default_variants,
        modes=[m.strip() for m in a.modes.split(",") if m.strip()],
        rounds=a.rounds,
        steps=a.steps,
        warmup=a.warmup,
        slow=True if a.slow else None,
        jit_compile={"auto": "auto", "true": True, "false": False}[a.jit_compile],
    )
    config = dict(
        depth=a.depth,
        cardinality=a.cardinality,
        width=a.width,
        image_size=a.image_size,
        batch_size=a.batch_size,
        num_classes=a.num_classes,
    )
    if a.network != "imagenet":
        if a.depth != 50:
            p.error("--depth applies to --network imagenet only")
        config.pop("depth")
    if a.network == "block":
        if a.num_classes is not None:
            p.error("--num-classes does not apply to --block (a block has no classifier)")
        config.pop("num_classes")
    kwargs.update({k: v for k, v in config.items() if v is not None})
    try:
        kwargs["variants"] = _variant_modes(kwargs["variants"], kwargs["modes"])
        settings(a.network, **{k: v for k, v in config.items() if v is not None})
        for name in ("rounds", "steps"):
            _positive(f"--{name}", kwargs[name])
        _positive("--warmup", kwargs["warmup"], 0)
    except ValueError as e:
        p.error(str(e))
    kwargs["json"] = a.json
    return kwargs


def main(argv=None):
    kwargs = parse(argv)
    path = kwargs.pop("json")
    results = run(**kwargs)
    print(describe(results))
    print(table(results))
    if path:
        with open(path, "w") as f:
            json.dump(results.to_dict(), f, indent=1)


if __name__ == "__main__":
    main()
