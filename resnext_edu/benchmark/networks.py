"""What ``run`` times: a network (a small record chosen once) in several variants, against its ResNet of equal cost.

A ``Network`` holds its reference ResNet (C x d), its defaults, its input and its builder; ``settings`` fills in the
defaults once and checks them; ``Settings.build(variant)`` builds one variant; ``run`` times them all.
"""

import dataclasses
from collections.abc import Callable

import keras
import numpy as np

from resnext_edu import blocks, complexity, models
from resnext_edu._checks import one_of, positive_int
from resnext_edu.benchmark import backends, protocol, pytorch
from resnext_edu.layers import resolve_implementation

#: The small CIFAR network of the training chapter: ``models.resnext_cifar(C, d, **CIFAR_SMALL)``.
CIFAR_SMALL = dict(blocks_per_stage=1, out_channels=64, stem_filters=32)


@dataclasses.dataclass(frozen=True)
class Variant:
    """What a variant builds: the form of Fig. 3 and the grouped conv's implementation (``layers.Conv2D``)."""

    description: str
    form: str = "c"
    implementation: str = "auto"
    reference: bool = False  # the ResNet of equal cost (C=1) instead of the ResNeXt
    pytorch: bool = False  # torchvision's network (``benchmark.pytorch``) instead of the library's
    backend: str | None = None  # the library's network on this other Keras backend (``benchmark.backends``)


_VARIANTS = {
    "resnet": Variant("the ResNet of equal cost (C=1)", reference=True),
    "a": Variant("form (a): C paths, summed", "a"),
    "b": Variant("form (b): C paths, concatenated, then one 1x1", "b"),
    "c": Variant("form (c): one grouped 3x3 (the library's Conv2D)"),
    "split": Variant("form (c), grouped 3x3 as one conv per group, concatenated", implementation="split"),
    "merged": Variant("form (c), grouped 3x3 merged into groups of >= 16 channels", implementation="merged"),
    "dense": Variant("form (c), grouped 3x3 as one dense block-diagonal conv", implementation="dense"),
    "keras": Variant("form (c), Keras' stock grouped Conv2D", implementation="keras"),
    "auto": Variant("what form='auto' builds on this device", "auto"),
    "torch-resnet": Variant("the ResNet in PyTorch (torchvision)", reference=True, pytorch=True),
    "torch-resnext": Variant("the ResNeXt in PyTorch (torchvision)", pytorch=True),
    **{
        f"{base}@{b}": Variant(f"{what}, on Keras' {b} backend", "auto", reference=base == "resnet", backend=b)
        for b in backends.BACKENDS
        for base, what in (("resnet", "the ResNet"), ("auto", "what form='auto' builds"))
    },
}
#: What each variant of the library builds (``--variants``).
VARIANTS = {name: v.description for name, v in _VARIANTS.items() if not v.pytorch and not v.backend}
#: The library's ResNet and ``auto`` on Keras' other backends (``benchmark.backends``: a process each).
BACKEND_VARIANTS = {name: v.description for name, v in _VARIANTS.items() if v.backend}
#: The same networks in PyTorch (``benchmark.pytorch``; needs torch and torchvision): ``run`` takes them too.
PYTORCH_VARIANTS = {name: v.description for name, v in _VARIANTS.items() if v.pytorch}

#: (variant, mode) pairs that take seconds per batch on a CPU: 1 step per round, skipped on whole networks unless
#: ``slow=True`` (``--slow``).
SLOW = {("keras", "train"): "the stock grouped conv's gradient runs through XLA: seconds per batch on a CPU"}
SKIPPED_SLOW = "skipped (--slow)"
NOT_IN_PYTORCH = "no such mode in PyTorch"


@dataclasses.dataclass(frozen=True)
class Network:
    """A network the benchmark times: its ResNet (C x d), defaults, input and builder."""

    name: str
    reference: tuple  # (cardinality, bottleneck_width) of the ResNet of equal cost
    channels: int  # in/out channels of the block whose cost sets the default d
    cardinality: int  # default C
    image_size: int
    batch_size: int
    num_classes: int | None  # None: no classifier; the variants regress a zero target
    variants: str  # what the command line times by default
    builder: Callable = dataclasses.field(repr=False)  # (settings, C, d, form, implementation) -> keras.Model
    title: Callable = dataclasses.field(repr=False)  # settings -> what is measured, in words
    depths: tuple = ()  # the depths it can be built at (empty: one depth)
    slow: bool = False  # measure the SLOW pairs by default

    @property
    def input_channels(self):
        return 3 if self.num_classes else self.channels


def _imagenet(s, c, d, form, impl):
    return models.resnext(s.depth, c, d, s.num_classes, s.input_shape, form, conv_implementation=impl)


def _block(s, c, d, form, impl):
    inputs = keras.Input(s.input_shape, name="features")
    y = blocks.resnext_block(inputs, s.network.channels, c, d, form=form, name="block", conv_implementation=impl)
    return keras.Model(inputs, y)


def _cifar_small(s, c, d, form, impl):
    return models.resnext_cifar(c, d, s.num_classes, s.input_shape, form, conv_implementation=impl, **CIFAR_SMALL)


NETWORKS = {
    n.name: n
    for n in (
        Network(
            "imagenet", (1, 64), 256, 32, 224, 8, 1000, "resnet,keras,split,c,auto", _imagenet,
            lambda s: f"ResNeXt-{s.depth} at {s.image_size}x{s.image_size}", depths=tuple(complexity.STAGE_BLOCKS),
        ),
        Network(
            "block", (1, 64), 256, 32, 56, 8, None, ",".join(VARIANTS), _block,
            lambda s: f"one block {s.network.channels}->{s.network.channels} at {s.image_size}x{s.image_size}",
            slow=True,
        ),
        Network(
            "cifar-small", (1, 16), 64, 8, 32, 64, 10, "resnet,a,b,c,auto", _cifar_small,
            lambda s: f"the training chapter's small CIFAR network at {s.image_size}x{s.image_size}",
        ),
    )
}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Settings:
    """A network with every setting filled in (``settings``)."""

    network: Network
    cardinality: int
    bottleneck_width: int
    image_size: int
    batch_size: int
    num_classes: int | None
    depth: int | None

    @property
    def input_shape(self):
        return (self.image_size, self.image_size, self.network.input_channels)

    def build(self, variant):
        """The Keras model of ``variant`` (a name from ``VARIANTS``, not a PyTorch one)."""
        one_of("variant", variant, tuple(VARIANTS))
        v = _VARIANTS[variant]
        c, d = self.network.reference if v.reference else (self.cardinality, self.bottleneck_width)
        model = self.network.builder(self, c, d, v.form, v.implementation)
        model.name = f"{model.name}_{variant}"
        return model

    def describe(self):
        """What is measured, in words: the network, its C x d and the ResNet's."""
        (ref_c, ref_d), c, d = self.network.reference, self.cardinality, self.bottleneck_width
        return f"{self.network.title(self)}, {c}x{d}d vs ResNet {ref_c}x{ref_d}d"

    def to_dict(self):
        return dict(dataclasses.asdict(self), network=self.network.name)


def settings(
    network="imagenet",
    *,
    depth=None,
    cardinality=None,
    bottleneck_width=None,
    image_size=None,
    batch_size=None,
    num_classes=None,
):
    """The ``Settings`` of ``network`` (a name from ``NETWORKS``), defaults filled in; raises ValueError on bad ones.

    ``bottleneck_width`` defaults to the d that keeps the block at the ResNet's cost
    (``complexity.width_for_cardinality``: 4 for C = 32).
    """
    net = NETWORKS[one_of("network", network, tuple(NETWORKS))]
    c = positive_int("cardinality", net.cardinality if cardinality is None else cardinality)
    if bottleneck_width is None:
        bottleneck_width = complexity.width_for_cardinality(c, net.channels, net.channels, net.reference[1])
    if depth is not None and not net.depths:
        raise ValueError(f"depth applies to the imagenet network only; {network!r} has one depth.")
    if num_classes is not None and net.num_classes is None:
        raise ValueError(f"num_classes does not apply to {network!r}: a block has no classifier.")
    s = Settings(
        net,
        c,
        positive_int("bottleneck_width", bottleneck_width),
        positive_int("image_size", net.image_size if image_size is None else image_size),
        positive_int("batch_size", net.batch_size if batch_size is None else batch_size),
        None if net.num_classes is None else positive_int("num_classes", num_classes or net.num_classes),
        one_of("depth", 50 if depth is None else depth, net.depths) if net.depths else None,
    )
    if net.depths:
        complexity.imagenet_architecture(s.depth, 1, 1, 1, s.image_size)  # checks the size
    elif net.num_classes:
        complexity.cifar_architecture(1, 1, 1, s.image_size, **CIFAR_SMALL)  # checks the size
    return s


def build(variant, network="imagenet", **config):
    """The Keras model that ``run`` times for ``variant`` on ``network`` (keywords: as ``settings``)."""
    return settings(network, **config).build(variant)


#: The modes ``run`` measures: ``MODES``, and ``FOLDED`` on request.
RUN_MODES = (*protocol.MODES, protocol.FOLDED)


def variant_modes(variants, modes):
    """``{variant: [modes]}`` from names, ``"name:mode+mode"`` strings or a dict; raises ValueError."""
    modes = protocol.check_modes(modes, RUN_MODES)
    if isinstance(variants, str):
        variants = [v for v in variants.split(",") if v.strip()]
    items = (
        variants.items()
        if isinstance(variants, dict)
        else [(v.split(":", 1)[0].strip(), v.split(":", 1)[1].split("+") if ":" in v else None) for v in variants]
    )
    out = {}
    for name, own in items:
        if name not in _VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(_VARIANTS)}; got {name!r}.")
        own = modes if own is None else ([own] if isinstance(own, str) else [m.strip() for m in own])
        for m in own:
            if m not in RUN_MODES:
                raise ValueError(f"mode of variant {name!r} must be one of {', '.join(RUN_MODES)}; got {m!r}.")
        if name in out:
            raise ValueError(f"variant {name!r} is listed twice.")
        out[name] = protocol.check_modes(own, RUN_MODES)
    if not out:
        raise ValueError("give at least one variant.")
    return out


def run(
    variants=None,
    modes=protocol.MODES,
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

    ``variants``: names from ``VARIANTS``, ``"name:mode"`` strings or ``{name: modes}`` (default: the network's);
    ``modes``: from ``RUN_MODES`` (``"folded"``: inference with every BatchNorm folded into its convolution,
    ``fold.fold_batchnorm``); ``config``: ``depth``, ``cardinality``, ``bottleneck_width``, ``image_size``,
    ``batch_size``, ``num_classes`` (see ``settings``). ``slow``: measure the ``SLOW`` pairs (None: on the block
    only). ``jit_compile`` is passed to ``model.compile`` (Keras' "auto": XLA for the whole model on a GPU, not on
    a CPU). ``log``: a stream for progress (default: stderr), or False for none.
    """
    s = settings(network, **config)
    wanted = variant_modes(s.network.variants if variants is None else variants, modes)
    rounds, steps, warmup = protocol.check_timing(rounds, steps, warmup)
    slow = s.network.slow if slow is None else bool(slow)
    rng = protocol.seeded()
    x = rng.standard_normal((s.batch_size, *s.input_shape)).astype("float32")
    if s.num_classes is None:
        y, loss = np.zeros_like(x), keras.losses.MeanSquaredError()
    else:
        y, loss = np.arange(s.batch_size) % s.num_classes, keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    if any(_VARIANTS[v].pytorch for v in wanted):
        if not s.network.depths:
            raise ValueError(f"the PyTorch variants time the imagenet network only; got {network!r}.")
        if not pytorch.available():
            raise ValueError("the PyTorch variants need torch and torchvision (pip install torch torchvision).")

    missing = sorted({v.backend for v in map(_VARIANTS.get, wanted) if v.backend} - set(backends.available()))
    if missing:
        raise ValueError(
            f"the variants on Keras' {' and '.join(missing)} backend need it installed "
            f"(pip install {' '.join(missing)}); installed here: {', '.join(backends.available()) or 'neither'}."
        )

    skipped, setups, xla = {}, {}, {}
    for variant, wanted_modes in wanted.items():
        v = _VARIANTS[variant]
        reasons = {m: SKIPPED_SLOW for m in wanted_modes if not slow and (variant, m) in SLOW}
        reasons.update({m: NOT_IN_PYTORCH for m in wanted_modes if v.pytorch and m not in protocol.MODES})
        measured = [m for m in wanted_modes if m not in reasons]
        if reasons:
            skipped[variant] = reasons
        if not measured:
            continue
        if v.pytorch:
            c, d = s.network.reference if v.reference else (s.cardinality, s.bottleneck_width)
            args = (s.depth, c, d, s.num_classes, x, y, measured, steps, warmup)
            setups[variant] = lambda args=args: pytorch.timed_model(*args)
            continue

        if v.backend:
            base = variant.split("@")[0]
            keys = ("depth", "cardinality", "bottleneck_width", "image_size", "batch_size", "num_classes")
            config = {k: getattr(s, k) for k in keys}
            args = (v.backend, base, s.network.name, config, x, y, measured, steps, warmup)
            setups[variant] = lambda args=args: backends.timed_model(*args)
            continue

        def setup(variant=variant, measured=measured):
            model = s.build(variant)
            timed = protocol.timed_model(
                model, x, y, loss, measured, steps, warmup, jit_compile=jit_compile,
                slow_modes=[m for m in measured if (variant, m) in SLOW],
            )  # fmt: skip
            xla[variant] = bool(model.jit_compile)
            return timed

        setups[variant] = setup

    config = dict(s.to_dict(), what=s.describe(), slow=slow, jit_compile=jit_compile)
    results = protocol.measure(
        setups, {v: _VARIANTS[v].description for v in wanted}, config, "resnet" if "resnet" in wanted else None,
        rounds, steps, warmup, log, skipped,
    )  # fmt: skip
    results.config.update(xla=any(xla.values()), auto=_auto_description())  # xla: known once the models compiled
    return results


def _auto_description():
    return f"form {blocks.resolve_form('auto')} with the '{resolve_implementation('auto')}' grouped conv"
