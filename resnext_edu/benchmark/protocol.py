"""The measurement protocol: warm up, then time every (variant, mode) interleaved round by round.

Every (variant, mode) is warmed up first (untimed batches, which also trace the graph); then all are timed in the
same run, ``rounds`` rounds of ``steps`` batches each, the order reversed every other round, so that a busy machine
slows them alike. ``Results`` keeps every round's images/s; each figure it reports is the median over rounds with
its spread (min-max), and each ratio to the reference is the ratio of the two medians it shows, with the spread of
the per-round ratios beside it (the ratio of medians always lies inside that spread).
"""

import contextlib
import dataclasses
import logging
import statistics
import sys
import time

import keras
import numpy as np

from resnext_edu import fold, introspect
from resnext_edu._checks import positive_int

#: What every entry point measures by default: inference (``predict_on_batch``) and one training step
#: (``train_on_batch``: forward, backward and an SGD update).
MODES = ("inference", "train")
#: One more mode, on request: inference with every BatchNorm folded into its convolution (``fold.fold_batchnorm``).
FOLDED = "folded"
_ORDER = ("inference", FOLDED, "train")


@dataclasses.dataclass
class Results:
    """What ``run``, ``conv_sweep`` or ``block_sweep`` measured.

    ``images_per_second[variant][mode]``: one figure per round; ``skipped[variant][mode]``: why a pair was not
    measured; ``macs[variant]``: multiply-adds per image (one forward pass, ``introspect``); ``setup_seconds[variant]``:
    building, compiling and warming up; ``reference``: the variant the ratios are taken to; ``labels``: what each
    variant is; ``config``: how and where it was measured.
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
        """The modes measured or skipped for some variant: inference, folded, train (those present)."""
        seen = {m for v in self.labels for m in (*self.images_per_second.get(v, {}), *self.skipped.get(v, {}))}
        return [m for m in _ORDER if m in seen]

    def rounds(self, variant, mode):
        """Images/s of ``variant`` in ``mode``, one figure per round (empty if not measured)."""
        return list(self.images_per_second.get(variant, {}).get(mode) or [])

    def median(self, variant, mode):
        """Images/s of ``variant`` in ``mode``: the median over rounds, None if not measured."""
        values = self.rounds(variant, mode)
        return statistics.median(values) if values else None

    def spread(self, variant, mode):
        """``(min, max)`` images/s over rounds, None if not measured."""
        values = self.rounds(variant, mode)
        return (min(values), max(values)) if values else None

    def ratio(self, variant, mode):
        """Images/s relative to the reference: the ratio of the two medians (what ``table`` shows side by side)."""
        ours, base = self.median(variant, mode), self.median(self.reference, mode) if self.reference else None
        return ours / base if ours is not None and base else None

    def ratio_spread(self, variant, mode):
        """``(min, max)`` over rounds of the ratio to the reference measured in the same round; None if not measured.

        ``ratio`` always lies inside it: if every round's ratio is at least r, so is the ratio of the medians.
        """
        ours, base = self.rounds(variant, mode), self.rounds(self.reference, mode) if self.reference else []
        if not ours or len(ours) != len(base):
            return None
        per_round = [a / b for a, b in zip(ours, base)]
        return min(per_round), max(per_round)

    def to_dict(self):
        return dataclasses.asdict(self)


# --- argument checks and set-up, once for every entry point ---------------------------------------------------------


def check_modes(modes, allowed=MODES):
    """``modes`` (one name or several) as a list of names from ``allowed``, in their order; raises ValueError."""
    modes = [modes] if isinstance(modes, str) else list(modes)
    for m in modes:
        if m not in allowed:
            raise ValueError(f"mode must be one of {', '.join(allowed)}; got {m!r}.")
    return [m for m in _ORDER if m in modes]


def check_timing(rounds, steps, warmup, prefix=""):
    """``(rounds, steps, warmup)`` as ints (rounds, steps >= 1; warmup >= 0); the ValueError names ``prefix+name``."""
    return (
        positive_int(f"{prefix}rounds", rounds),
        positive_int(f"{prefix}steps", steps),
        positive_int(f"{prefix}warmup", warmup, 0),
    )


def check_specs(parsed, what):
    """A sweep's parsed specs ``(name, ...)``: at least one, each once."""
    if not parsed:
        raise ValueError(f"give at least one {what} spec.")
    if len({p[0] for p in parsed}) != len(parsed):
        raise ValueError("each spec may appear once.")


def seeded():
    """Seed Keras (weights) and return the NumPy generator of the inputs: every entry point starts from seed 0."""
    keras.utils.set_random_seed(0)
    return np.random.default_rng(0)


def device(detail=False):
    """``"GPU"`` if TensorFlow sees a GPU, else ``"CPU"``; with ``detail``, the GPU's name or the CPU count."""
    import os

    if keras.backend.backend() != "tensorflow":
        return "CPU" if not detail else f"CPU: {os.cpu_count()} logical cores"
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not detail:
        return "GPU" if gpus else "CPU"
    if gpus:
        name = tf.config.experimental.get_device_details(gpus[0]).get("device_name", gpus[0].name)
        return f"GPU: {name}" + (f" (1 of {len(gpus)} used)" if len(gpus) > 1 else "")
    return f"CPU: {os.cpu_count()} logical cores"


# --- the compile-and-time block -------------------------------------------------------------------------------------


def timed_model(model, x, y, loss, modes, steps, warmup, *, jit_compile="auto", slow_modes=()):
    """What ``measure`` times for one model: ``({mode: (fn, steps, warmup)}, batch, macs)``.

    ``model`` is compiled with plain SGD and ``loss``; inference is its ``predict_on_batch``, ``FOLDED`` that of
    ``fold.fold_batchnorm(model)``, a training step its ``train_on_batch``. Modes in ``slow_modes`` get 1 step per
    round and at most 1 warm-up batch.
    """
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss=loss, jit_compile=jit_compile)
    fns = {"inference": lambda: model.predict_on_batch(x), "train": lambda: model.train_on_batch(x, y)}
    if FOLDED in modes:
        folded = fold.fold_batchnorm(model)
        folded.compile(jit_compile=jit_compile)
        fns[FOLDED] = lambda: folded.predict_on_batch(x)
    calls = {m: (fns[m], *((1, min(warmup, 1)) if m in slow_modes else (steps, warmup))) for m in modes}
    return calls, len(x), introspect.count_macs(model)


def measure(setups, labels, config, reference, rounds, steps, warmup, log=None, skipped=None):
    """Set up, warm up and time ``setups`` ({name: function returning ``timed_model``'s triple}); returns ``Results``.

    ``config`` (what was measured) is completed with the protocol, the device and the Keras version and backend.
    ``log``: a stream for progress (default: stderr, looked up now), or False for none.
    """
    log = sys.stderr if log is None else _NullLog() if log is False else log
    calls, macs, seconds = {}, {}, {}
    with _quiet_tensorflow():
        for i, (name, setup) in enumerate(setups.items(), 1):
            start = time.perf_counter()
            print(f"[{i}/{len(setups)}] {name}: building ...", file=log, flush=True)
            fns, batch, macs[name] = setup()
            for mode, (fn, n, w) in fns.items():
                batches = f"{w} batch{'es' * (w != 1)}"
                print(f"[{i}/{len(setups)}] {name}: warming up {mode} ({batches}) ...", file=log, flush=True)
                _time(fn, w)
                calls[name, mode] = (fn, n, batch)
            seconds[name] = time.perf_counter() - start
        ips = {name: {mode: [] for (n2, mode) in calls if n2 == name} for name in setups}
        order = list(calls.items())
        for r in range(rounds):
            print(f"round {r + 1}/{rounds}", file=log, flush=True)
            for (name, mode), (fn, n, batch) in order if r % 2 == 0 else order[::-1]:
                ips[name][mode].append(batch * n / _time(fn, n))
    config = dict(
        config,
        rounds=rounds,
        steps=steps,
        warmup=warmup,
        device=device(detail=True),
        keras=keras.__version__,
        backend=keras.backend.backend(),
    )
    return Results(config, labels, macs, ips, skipped or {}, seconds, reference)


def _time(fn, steps):
    start = time.perf_counter()
    for _ in range(steps):
        fn()
    return time.perf_counter() - start


class _NullLog:
    def write(self, text):
        return len(text)

    def flush(self):
        pass


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
