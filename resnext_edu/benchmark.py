"""Images per second of each ResNeXt form against the ResNet of equal cost, side by side.

    python -m resnext_edu.benchmark                     # ResNeXt-50 (32x4d) vs ResNet-50, CPU, batch 8
    python -m resnext_edu.benchmark --block             # one conv2-stage block (56x56, 256 channels)
    python -m resnext_edu.benchmark --variants resnet,c,auto --modes inference --rounds 3

Variants: ``resnet`` (the C=1, d=64 network of the same depth), ``a``, ``b``, ``c`` (the forms of
Fig. 3; c uses the library's grouped ``layers.Conv2D``), ``keras`` (form c with Keras' stock grouped conv)
and ``auto`` (what ``form="auto"`` builds on this device). All variants are timed in the same run,
interleaved round by round, so that a busy machine slows them alike; each figure is the median over
rounds. Inference is ``model.predict_on_batch``; a training step is ``model.train_on_batch`` with
SGD and cross-entropy. Progress goes to stderr, the table to stdout.
"""

import argparse
import json
import statistics
import sys
import time

VARIANTS = ("resnet", "keras", "a", "b", "c", "auto")
MODES = ("inference", "train")


def build(variant, args):
    """The Keras model of ``variant`` (whole network, or one block with ``args.block``)."""
    import keras

    from resnext_edu import blocks, models

    form = "c" if variant in ("resnet", "keras") else variant
    impl = "keras" if variant == "keras" else "auto"
    c, d = (1, 64) if variant == "resnet" else (args.cardinality, args.width)
    if args.block:
        inputs = keras.Input((args.image_size, args.image_size, 256))
        y = blocks.resnext_block(inputs, 256, c, d, form=form, name="block", conv_implementation=impl)
        x = keras.layers.GlobalAveragePooling2D()(y)
        return keras.Model(inputs, keras.layers.Dense(args.num_classes)(x), name=f"block_{variant}")
    return models.resnext(args.depth, c, d, num_classes=args.num_classes,
                          input_shape=(args.image_size, args.image_size, 3), form=form, conv_implementation=impl)


def _time(fn, steps):
    start = time.perf_counter()
    for _ in range(steps):
        fn()
    return time.perf_counter() - start


def run(args, log=sys.stderr):
    """Measure every (variant, mode); returns {variant: {mode: [images/s per round]}}."""
    import keras
    import numpy as np

    keras.utils.set_random_seed(0)
    channels = 256 if args.block else 3
    x = np.random.default_rng(0).standard_normal(
        (args.batch_size, args.image_size, args.image_size, channels)).astype("float32")
    y = np.arange(args.batch_size) % args.num_classes
    calls = {}
    for variant in args.variants:
        print(f"building {variant} ...", file=log, flush=True)
        model = build(variant, args)
        model.compile(optimizer=keras.optimizers.SGD(0.01),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        fns = {"inference": lambda m=model: m.predict_on_batch(x),
               "train": lambda m=model: m.train_on_batch(x, y)}
        for mode in args.modes:
            print(f"  warming up {variant} {mode} ...", file=log, flush=True)
            _time(fns[mode], args.warmup)
            calls[variant, mode] = fns[mode]
    results = {v: {m: [] for m in args.modes} for v in args.variants}
    for r in range(args.rounds):
        print(f"round {r + 1}/{args.rounds}", file=log, flush=True)
        for (variant, mode), fn in calls.items():
            results[variant][mode].append(args.batch_size * args.steps / _time(fn, args.steps))
    return results


def table(results, args):
    """A Markdown table: images/s (median over rounds) and the ratio to ResNet in the same run."""
    modes = [m for m in MODES if m in args.modes]
    head = "| variant | " + " | ".join(f"{m} img/s | {m} vs ResNet" for m in modes) + " |"
    lines = [head, "|" + "---|" * (1 + 2 * len(modes))]
    base = results.get("resnet")
    for variant, per_mode in results.items():
        cells = []
        for m in modes:
            ips = statistics.median(per_mode[m])
            ratio = (statistics.median(a / b for a, b in zip(per_mode[m], base[m])) if base else float("nan"))
            cells += [f"{ips:.1f}", f"{ratio:.2f}x" if base else "-"]
        lines.append(f"| {variant} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def describe(args):
    import keras

    from resnext_edu.blocks import resolve_form
    from resnext_edu.layers import resolve_implementation

    what = (f"one block 256->256 at {args.image_size}x{args.image_size}" if args.block
            else f"depth {args.depth} at {args.image_size}x{args.image_size}")
    return (f"{what}, ResNeXt {args.cardinality}x{args.width}d, batch {args.batch_size}, "
            f"{args.rounds} rounds of {args.steps} steps; Keras {keras.__version__} "
            f"({keras.backend.backend()}); form='auto' builds form {resolve_form('auto')} with the "
            f"'{resolve_implementation('auto')}' grouped conv")


def parse(argv=None):
    p = argparse.ArgumentParser(prog="python -m resnext_edu.benchmark", description=__doc__.split("\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--variants", default="resnet,keras,b,c,auto",
                   help=f"comma-separated, from {','.join(VARIANTS)} (form a of a whole net builds slowly)")
    p.add_argument("--modes", default="inference,train", help="comma-separated, from inference,train")
    p.add_argument("--depth", type=int, default=50)
    p.add_argument("--cardinality", type=int, default=32)
    p.add_argument("--width", type=int, default=4, help="bottleneck width d")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--image-size", type=int, default=None, help="default: 224, or 56 with --block")
    p.add_argument("--num-classes", type=int, default=1000)
    p.add_argument("--block", action="store_true", help="time one conv2-stage block instead of the network")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--steps", type=int, default=3, help="batches per round and variant")
    p.add_argument("--warmup", type=int, default=2, help="untimed batches per variant and mode")
    p.add_argument("--json", help="also write the raw measurements to this file")
    args = p.parse_args(argv)
    args.variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    bad = [v for v in args.variants if v not in VARIANTS] + [m for m in args.modes if m not in MODES]
    if bad:
        p.error(f"unknown variant or mode {bad}; variants: {', '.join(VARIANTS)}; modes: {', '.join(MODES)}")
    for name in ("rounds", "steps", "batch_size"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.image_size is None:
        args.image_size = 56 if args.block else 224
    return args


def main(argv=None):
    args = parse(argv)
    results = run(args)
    print(describe(args))
    print(table(results, args))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"config": vars(args), "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
