"""Images per second of each ResNeXt form against the ResNet of equal cost, side by side.

    python -m resnext_edu.benchmark                         # ResNeXt-50 (32x4d) vs ResNet-50, 224x224, batch 8
    python -m resnext_edu.benchmark --report                # the README's section: the machine, then resnet,auto
    python -m resnext_edu.benchmark --variants resnet,c --profile train   # where a training step spends its time
    python -m resnext_edu.benchmark --block                 # one conv2-stage block (56x56, 256 channels)
    python -m resnext_edu.benchmark --network cifar-small   # the training chapter's small CIFAR net, 32x32, batch 64
    python -m resnext_edu.benchmark --variants resnet,c,auto --modes inference,folded --rounds 3
    python -m resnext_edu.benchmark --variants resnet,c,keras:inference   # per-variant modes

Networks (``--network``, ``NETWORKS``): ``imagenet`` (ResNeXt-{depth} (C x d) against ResNet-{depth}, paper
Table 1), ``block`` (one stride-1 block of the conv2 stage, 256 -> 256 channels, against the ResNet bottleneck;
``--block`` is short for it) and ``cifar-small`` (``models.resnext_cifar(C, d, **CIFAR_SMALL)``, the small CIFAR
network of the training chapter, against its ResNet, C=1 and d=16). ``--bottleneck-width`` defaults to the
bottleneck width d that keeps the block at the ResNet's cost (``complexity.width_for_cardinality``: 4 for C=32), so
that every variant has (nearly) the same multiply-adds.

Variants (``--variants``, comma-separated; ``variant:mode`` or ``variant:inference+train`` limits one variant to
some modes):

- ``resnet``: the ResNet of equal cost (C=1, d=64; d=16 for cifar-small);
- ``a``, ``b``, ``c``: the forms of Fig. 3 (C paths summed; C paths concatenated, then one 1x1; one grouped
  3x3). ``c`` uses the library's ``layers.Conv2D``, whose grouped conv runs the fastest exact op of the device;
- ``split``: form c, the grouped conv computed as one convolution per group, concatenated;
- ``merged``, ``dense``: form c, the grouped conv as a convolution of fewer, wider groups (at least 16 channels
  each), or of one group, with a block-diagonal kernel (``layers.merge_kernel``);
- ``keras``: form c with Keras' stock grouped conv (Keras 3 on TensorFlow sends it through XLA);
- ``auto``: what ``form="auto"`` builds on this device (form c with the fastest exact grouped conv).

Modes (``--modes``): ``inference`` (``model.predict_on_batch``), ``train`` (one ``model.train_on_batch``:
forward, backward and an SGD update), and on request ``folded`` (inference of ``fold.fold_batchnorm(model)``: every
BatchNorm folded into its convolution, the same outputs). The protocol (``protocol``): every (variant, mode) is
warmed up (``--warmup`` untimed batches, which also trace the graph), then all are timed in the same run,
interleaved round by round (``--rounds`` rounds of ``--steps`` batches each), so that a busy machine slows them
alike. Each figure is the median over rounds, with its spread (min-max); each ratio is the ratio of the two
medians the table shows, with the spread of the per-round ratios. Whole networks and the block classify random
images; the block (which has no classifier) and the sweeps regress a zero target.

Slow pairs: the stock layer's training step (``keras`` in mode ``train``) takes seconds per batch on a CPU, minutes
for a whole network. It is measured with 1 step per round and at most 1 warm-up batch; on whole networks it is
skipped unless ``--slow`` (the table says "skipped (--slow)").

Progress goes to stderr; a description and a Markdown table go to stdout (``--report`` prints the machine first:
CPU model, cores, ISA extensions, load, library versions); ``--json FILE`` also writes the raw measurements. From
Python: ``results = run(network="block", image_size=28, rounds=3)``, then ``table(results)``,
``plot_results(results)``; ``conv_sweep()`` times single convolutions of equal multiply-adds and growing numbers
of groups, ``block_sweep()`` whole blocks of several C x d (both drawn by ``plot_sweep``).

PyTorch (``--variants torch-resnet,torch-resnext``, ``PYTORCH_VARIANTS``; where torch and torchvision are installed):
torchvision's ResNet and ResNeXt of the same C x d, timed in the same interleaved rounds (``pytorch``). Profile
(``--profile MODE``): instead of timing, milliseconds per step of each variant's TensorFlow ops by kind of layer
(``profiler``), to see where two networks of equal multiply-adds spend different times.

Keras' other backends (``--variants resnet,auto,resnet@jax,auto@jax,resnet@torch,auto@torch``,
``BACKEND_VARIANTS``; where jax or torch is installed): the library's ResNet and ``auto`` built on that backend,
each in a process of its own, timed in the same interleaved rounds (``backends``).

Modules: ``protocol`` (the measurement, ``Results``), ``networks`` (what ``run`` builds and times), ``sweeps``,
``reports`` (``describe``, ``table``, ``machine``, ``profile_table``), ``charts`` (``plot_results``,
``plot_sweep``), ``profiler``, ``pytorch``, ``backends``, ``cli``.
"""

from resnext_edu.benchmark import backends
from resnext_edu.benchmark.charts import plot_results, plot_sweep
from resnext_edu.benchmark.cli import main, parse, parser
from resnext_edu.benchmark.networks import (
    BACKEND_VARIANTS,
    CIFAR_SMALL,
    NETWORKS,
    PYTORCH_VARIANTS,
    RUN_MODES,
    SKIPPED_SLOW,
    SLOW,
    VARIANTS,
    Network,
    Settings,
    build,
    run,
    settings,
)
from resnext_edu.benchmark.profiler import profile
from resnext_edu.benchmark.protocol import FOLDED, MODES, Results, device
from resnext_edu.benchmark.reports import describe, describe_machine, machine, profile_table, table
from resnext_edu.benchmark.sweeps import DEPTHWISE, EQUAL_MACS, KERAS_DEPTHWISE, block_sweep, conv_sweep

__all__ = [
    "VARIANTS", "PYTORCH_VARIANTS", "BACKEND_VARIANTS", "backends", "MODES", "FOLDED", "RUN_MODES", "NETWORKS",
    "SLOW", "SKIPPED_SLOW",
    "CIFAR_SMALL", "DEPTHWISE", "KERAS_DEPTHWISE", "EQUAL_MACS", "Network", "Settings", "Results", "settings",
    "build", "device", "run",
    "conv_sweep", "block_sweep", "describe", "table", "machine", "describe_machine", "profile", "profile_table",
    "plot_results", "plot_sweep", "parser", "parse", "main",
]  # fmt: skip
