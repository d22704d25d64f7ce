"""The command line, ``python -m resnext_edu.benchmark`` (options: ``--help`` and the package's doc)."""

import argparse
import json

from resnext_edu.benchmark import networks, profiler, protocol, pytorch, reports

DESCRIPTION = "Images per second of each ResNeXt form against the ResNet of equal cost, side by side."

#: What ``--report`` measures: the library's default ResNeXt-50 against ResNet-50, every mode (and the same networks
#: in PyTorch, where it is installed).
REPORT = dict(variants="resnet,auto", pytorch_variants="torch-resnet,torch-resnext", modes="inference,folded,train")


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows "(default: ...)" only where there is a default worth showing (not None, not a flag's False)."""

    def _get_help_string(self, action):
        if action.default in (None, False):
            return action.help
        return super()._get_help_string(action)


def parser():
    """The argument parser of ``python -m resnext_edu.benchmark`` (options documented in the package's doc)."""
    p = argparse.ArgumentParser(
        prog="python -m resnext_edu.benchmark",
        description=DESCRIPTION,
        formatter_class=_HelpFormatter,
        epilog="Variants: "
        + "; ".join(f"{k}: {v}" for k, v in {**networks.VARIANTS, **networks.PYTORCH_VARIANTS}.items()),
    )
    nets = networks.NETWORKS
    p.add_argument(
        "--network",
        choices=tuple(nets),
        default="imagenet",
        help="what to time: a whole ImageNet network, one conv2-stage block, or the training chapter's CIFAR net",
    )
    p.add_argument("--block", action="store_true", help="short for --network block")
    p.add_argument(
        "--variants",
        default=None,
        help=f"comma-separated, from {','.join(networks.VARIANTS)} (and {','.join(networks.PYTORCH_VARIANTS)}: the "
        "same networks in PyTorch, if installed); 'name:mode' limits a variant to a mode "
        f"(default: {nets['imagenet'].variants}; every variant with --block; {nets['cifar-small'].variants} for "
        "cifar-small; form a of a whole ImageNet network builds slowly)",
    )
    p.add_argument(
        "--modes",
        default=None,
        help=f"comma-separated, from {','.join(networks.RUN_MODES)} ({protocol.FOLDED}: inference with every "
        f"BatchNorm folded into its convolution; default: {','.join(protocol.MODES)})",
    )
    p.add_argument(
        "--slow",
        action="store_true",
        help="also time the stock Keras layer's training step on whole networks (minutes on a CPU; 1 step per round)",
    )
    p.add_argument("--depth", type=int, default=None, help="ImageNet network depth: 50 (default), 101 or 152")
    p.add_argument("--cardinality", type=int, default=None, help="C (default: 32; 8 for cifar-small)")
    p.add_argument(
        "--bottleneck-width",
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
    p.add_argument(
        "--report",
        action="store_true",
        help=f"print the machine (CPU, cores, ISA, load, versions) before the table; with no --variants and "
        f"--modes, measure {REPORT['variants']} in {REPORT['modes']} (the README's performance section)",
    )
    p.add_argument(
        "--profile",
        choices=networks.RUN_MODES,
        default=None,
        help="instead of timing, profile the variants in this mode: milliseconds per step of their TensorFlow ops, "
        "by kind of layer (convolutions forward and their gradients, BatchNorm, ReLU, ...)",
    )
    p.add_argument("--json", metavar="FILE", help="also write the raw measurements to FILE")
    return p


def parse(argv=None):
    """The keyword arguments of ``run`` (and ``json``, ``report``) from command-line options; errors exit with a
    message."""
    p = parser()
    a = p.parse_args(argv)
    if a.block:
        if a.network not in ("imagenet", "block"):
            p.error(f"--block and --network {a.network} exclude each other")
        a.network = "block"
    if a.report:
        default = REPORT["variants"] + ("," + REPORT["pytorch_variants"] if pytorch.available() else "")
        a.variants, a.modes = a.variants or default, a.modes or REPORT["modes"]
    modes = [m.strip() for m in (a.modes or ",".join(protocol.MODES)).split(",") if m.strip()]
    config = dict(
        depth=a.depth,
        cardinality=a.cardinality,
        bottleneck_width=a.bottleneck_width,
        image_size=a.image_size,
        batch_size=a.batch_size,
        num_classes=a.num_classes,
    )
    config = {k: v for k, v in config.items() if v is not None}
    try:
        networks.settings(a.network, **config)
        variants = networks.variant_modes(a.variants or networks.NETWORKS[a.network].variants, modes)
        rounds, steps, warmup = protocol.check_timing(a.rounds, a.steps, a.warmup, prefix="--")
        if a.profile and any(v in networks.PYTORCH_VARIANTS for v in variants):
            raise ValueError("--profile reads TensorFlow's profiler: it takes the library's variants only.")
    except ValueError as e:
        p.error(str(e))
    return dict(
        network=a.network,
        variants=variants,
        modes=sorted({m for ms in variants.values() for m in ms}, key=networks.RUN_MODES.index),
        rounds=rounds,
        steps=steps,
        warmup=warmup,
        slow=True if a.slow else None,
        jit_compile={"auto": "auto", "true": True, "false": False}[a.jit_compile],
        json=a.json,
        report=a.report,
        profile=a.profile,
        **config,
    )


def main(argv=None):
    kwargs = parse(argv)
    path, report, mode = kwargs.pop("json"), kwargs.pop("report"), kwargs.pop("profile")
    if mode:
        config = {k: kwargs[k] for k in ("depth", "cardinality", "bottleneck_width", "image_size") if k in kwargs}
        s = networks.settings(kwargs["network"], num_classes=kwargs.get("num_classes"), **config)
        models = {v: s.build(v) for v in kwargs["variants"]}
        ms = profiler.profile(models.values(), mode, s.batch_size, kwargs["steps"], kwargs["warmup"])
        print(f"{s.describe()}, batch {s.batch_size}: milliseconds per {mode} step, by kind of layer\n")
        print(reports.profile_table(ms, {v: m.name for v, m in models.items()}))
        return
    if report:
        print("Machine, before the run:\n")
        print(reports.describe_machine())
        print()
    results = networks.run(**kwargs)
    print(reports.describe(results))
    print()
    print(reports.table(results))
    if report:
        load = reports.machine().get("load average (1, 5, 15 min)", "unknown")
        print(f"\nLoad average (1, 5, 15 min) after the run: {load}")
    if path:
        with open(path, "w") as f:
            json.dump(results.to_dict(), f, indent=1)
