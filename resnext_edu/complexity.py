"""Exact parameter and multiply-add counts, in pure Python (no TensorFlow import).

The network is described once, as a table of stages (paper Table 1: ``resnext_edu.architectures``, whose names this
module re-exports); ``resnext_edu.models`` builds Keras models from the same table, and the tests check that Keras
counts what this module computes. "FLOPs" in the paper are multiply-adds (MACs); so are the counts here.

Conventions (torchvision's design): no conv biases; BatchNorm after every conv (2 trainable
numbers per channel: gamma, beta); stride 2 in the 3x3 conv of each stage's first block; a
1x1 conv + BN projection shortcut where the shape changes; "same" padding.
"""

import math

from resnext_edu._checks import positive_int
from resnext_edu.architectures import (  # noqa: F401 (the records are part of this module's interface)
    STAGE_BLOCKS,
    Architecture,
    Stage,
    _architecture,
    cifar_architecture,
    display_name,
    imagenet_architecture,
    stage_blocks,
    with_blocks,
    with_size,
)

# --- one block (Table 2) ---------------------------------------------------------------------


def block_params(in_channels, out_channels, cardinality, bottleneck_width):
    """Conv weights of one block, as counted in the paper's Table 2 (no BN, no shortcut).

    C * (in * d + 3 * 3 * d * d + d * out): 69,632 for 256 -> 256 with C=1, d=64.
    """
    in_channels = positive_int("in_channels", in_channels)
    out_channels = positive_int("out_channels", out_channels)
    c = positive_int("cardinality", cardinality)
    d = positive_int("bottleneck_width", bottleneck_width)
    return c * (in_channels * d + 9 * d * d + d * out_channels)


def block_weights(in_channels, out_channels, cardinality, bottleneck_width, strides=1):
    """Every weight a block holds (convs, BatchNorm's 4 numbers per channel, the projection shortcut if any): what
    building it allocates, in any form. ``blocks`` refuses a block that would not fit in the machine's memory."""
    convs = block_params(in_channels, out_channels, cardinality, bottleneck_width)
    group_width = cardinality * bottleneck_width
    norms = 4 * (2 * group_width + out_channels)
    shortcut = in_channels * out_channels + 4 * out_channels if strides != 1 or in_channels != out_channels else 0
    return convs + norms + shortcut


def block_macs(in_channels, out_channels, cardinality, bottleneck_width, height=56, width=None):
    """Multiply-adds of one stride-1 block on a ``height`` x ``width`` map (Table 2's conv2 stage: 56x56)."""
    width = height if width is None else width
    return block_params(in_channels, out_channels, cardinality, bottleneck_width) * (
        positive_int("height", height) * positive_int("width", width)
    )


def width_for_cardinality(cardinality, in_channels=256, out_channels=256, reference_width=64):
    """The bottleneck width d that keeps the block's weights closest to the C=1, d=reference block.

    Table 2: 64, 40, 24, 14, 4 for C = 1, 2, 4, 8, 32. On a tie the smaller d wins.
    """
    c = positive_int("cardinality", cardinality)
    target = block_params(in_channels, out_channels, 1, reference_width)
    # The block's weights, c * (9 d^2 + (in + out) d), grow with d: the largest d whose weights stay <= target solves
    # the quadratic (integer square root, so exact at any width); then the nearer of d and d + 1.
    b = c * (positive_int("in_channels", in_channels) + positive_int("out_channels", out_channels))
    d = max(1, (math.isqrt(b * b + 36 * c * target) - b) // (18 * c))
    while block_params(in_channels, out_channels, c, d + 1) <= target:  # at most a step of rounding either way
        d += 1
    while d > 1 and block_params(in_channels, out_channels, c, d) > target:
        d -= 1
    below = abs(target - block_params(in_channels, out_channels, c, d))
    above = abs(block_params(in_channels, out_channels, c, d + 1) - target)
    return d if below <= above else d + 1


# --- one block at a fixed group width (the extremes of cardinality) -------------------------------------------

#: The block's convolutions, named as ``blocks.resnext_block`` names them (form c): 1x1 reduce, 3x3, 1x1 restore.
BLOCK_CONVS = ("conv1", "conv2", "conv3")


def divides_group_width(group_width, cardinality):
    """Check that C groups split a grouped conv of ``group_width`` channels into whole ones; returns d = W / C."""
    width = positive_int("group_width", group_width)
    c = positive_int("cardinality", cardinality)
    if width % c:
        allowed = [k for k in range(1, width + 1) if width % k == 0]
        shown = (
            ", ".join(map(str, allowed))
            if len(allowed) <= 12
            else (", ".join(map(str, allowed[:6])) + ", ..., " + ", ".join(map(str, allowed[-3:])))
        )
        raise ValueError(
            f"cardinality {c} does not divide the group width {width}: each of the C groups needs "
            f"width / C whole channels. Use a divisor of {width}: {shown}."
        )
    return width // c


def _fixed_width_cardinalities(width):  # the group width W
    """Powers of two that divide ``width``, then ``width`` itself (the depthwise end)."""
    cs = [2**k for k in range(width.bit_length()) if width % 2**k == 0]
    return cs if cs[-1] == width else cs + [width]


def fixed_width_sweep(group_width=128, in_channels=256, out_channels=256, cardinalities=None, size=56):
    """Per-layer conv weights and multiply-adds of one block whose grouped 3x3 is ``width`` wide, for each C.

    Unlike Table 2 (equal cost), the group width W = C * d is held: d = W / C. C = 1 is a dense 3x3
    of W channels (a wide ResNet bottleneck, He et al. 2016); C = W (d = 1) is a depthwise 3x3, the
    block becoming 1x1 -> depthwise 3x3 -> 1x1 (Xception, Chollet 2017; MobileNet, Howard et al. 2017).
    ``cardinalities`` default to the powers of two dividing W, and W. Returns one dict per C:
    ``cardinality``, ``bottleneck_width``, ``group_width``, ``kind`` ("dense", "grouped", "depthwise"),
    ``params`` and ``macs`` ({"conv1", "conv2", "conv3": count} of a stride-1 block on a
    ``size`` x ``size`` map; conv weights only, as ``block_params``) and their totals
    ``total_params``, ``total_macs``.
    """
    width = positive_int("group_width", group_width)
    cin = positive_int("in_channels", in_channels)
    cout = positive_int("out_channels", out_channels)
    size = positive_int("size", size)
    if cardinalities is None:
        cardinalities = _fixed_width_cardinalities(width)
    elif isinstance(cardinalities, (str, bytes)) or not hasattr(cardinalities, "__iter__"):
        raise ValueError(f"cardinalities must be a sequence of whole numbers >= 1; got {cardinalities!r}.")
    rows = []
    for c in cardinalities:
        d = divides_group_width(width, c)
        params = {"conv1": cin * width, "conv2": 9 * d * width, "conv3": width * cout}
        rows.append(
            dict(
                cardinality=int(c),
                bottleneck_width=d,
                group_width=width,
                kind="dense" if c == 1 else "depthwise" if d == 1 else "grouped",
                params=params,
                macs={k: v * size * size for k, v in params.items()},
                total_params=sum(params.values()),
                total_macs=sum(params.values()) * size * size,
            )
        )
    if not rows:
        raise ValueError("cardinalities must not be empty.")
    return rows


# --- whole networks --------------------------------------------------------------------------


def _conv(cin, cout, k=1, groups=1):
    """(trainable params, MACs per output position) of a bias-free conv followed by BN."""
    weights = k * k * (cin // groups) * cout
    return weights + 2 * cout, weights


def block_rows(in_channels, stage, first, size):
    """Trainable params and MACs of one block at input ``size`` (h, w); returns (params, macs, out size)."""
    strides = stage.strides if first else 1
    out = (math.ceil(size[0] / strides), math.ceil(size[1] / strides))
    w = stage.group_width
    params = macs = 0
    for (p, m), at in (
        (_conv(in_channels, w), size),
        (_conv(w, w, 3, stage.cardinality), out),
        (_conv(w, stage.out_channels), out),
    ):
        params, macs = params + p, macs + m * at[0] * at[1]
    if strides != 1 or in_channels != stage.out_channels:
        p, m = _conv(in_channels, stage.out_channels)
        params, macs = params + p, macs + m * out[0] * out[1]
    return params, macs, out


def stage_table(arch):
    """Table 1, computed: one dict per row (stem, each stage, classifier) with sizes and counts."""
    if not isinstance(arch, Architecture):
        raise ValueError(f"stage_table needs an Architecture (see imagenet_architecture); got {arch!r}.")
    if None in arch.input_size:
        raise ValueError("stage_table needs a fixed input size; got None in input_size.")
    h, w = arch.input_size
    p, m = _conv(arch.in_channels, arch.stem_filters, arch.stem_kernel)
    size = (math.ceil(h / arch.stem_strides), math.ceil(w / arch.stem_strides))
    rows = [
        dict(
            stage="conv1",
            output_size=size,
            blocks=0,
            out_channels=arch.stem_filters,
            group_width=None,
            cardinality=None,
            params=p,
            macs=m * size[0] * size[1],
        )
    ]
    if arch.stem_pool:  # Table 1 puts the 3x3 max pool at the head of conv2
        size = (math.ceil(size[0] / 2), math.ceil(size[1] / 2))
    channels = arch.stem_filters
    for stage in arch.stages:
        params = macs = 0
        for i in range(stage.blocks):
            bp, bm, size = block_rows(channels, stage, i == 0, size)
            params, macs, channels = params + bp, macs + bm, stage.out_channels
        rows.append(
            dict(
                stage=stage.name,
                output_size=size,
                blocks=stage.blocks,
                out_channels=stage.out_channels,
                group_width=stage.group_width,
                cardinality=stage.cardinality,
                params=params,
                macs=macs,
            )
        )
    rows.append(
        dict(
            stage="fc",
            output_size=(1, 1),
            blocks=0,
            out_channels=arch.num_classes,
            group_width=None,
            cardinality=None,
            params=channels * arch.num_classes + arch.num_classes,
            macs=channels * arch.num_classes,
        )
    )
    return rows


def architecture_params(arch, batchnorm=True):
    """Trainable parameters of a whole network (what Keras reports as trainable).

    ``batchnorm=False`` leaves out BN's gamma and beta (2 per channel), counting conv and fc weights
    only: the convention of the paper's Table 7 (68.1 M for ResNeXt-29 16x64d; 68.2 M with BN).
    """
    rows = stage_table(with_size(arch, (_architecture(arch).downsampling,) * 2))
    total = sum(row["params"] for row in rows)
    return total if batchnorm else total - 2 * _bn_channels(arch)


def _bn_channels(arch):
    """Channels normalised by BatchNorm layers in the whole network (each has a gamma and a beta)."""
    channels, total = arch.stem_filters, arch.stem_filters
    for stage in arch.stages:
        for i in range(stage.blocks):
            total += 2 * stage.group_width + stage.out_channels
            if i == 0 and (stage.strides != 1 or channels != stage.out_channels):
                total += stage.out_channels
            channels = stage.out_channels
    return total


def architecture_macs(arch):
    """Multiply-adds of one forward pass (convs and the classifier; BN, ReLU, adds, pools not counted)."""
    return sum(row["macs"] for row in stage_table(arch))


def model_params(
    depth=None, cardinality=32, bottleneck_width=4, num_classes=1000, *, batchnorm=True, blocks_per_stage=None
):
    """Trainable parameters of ResNeXt-{depth} (C x d): 25,028,904 for ResNeXt-50 (32x4d).

    ``blocks_per_stage`` instead of (or agreeing with) ``depth``: any stage table, e.g. (3, 24, 36, 3).
    """
    arch = imagenet_architecture(depth, cardinality, bottleneck_width, num_classes, blocks_per_stage=blocks_per_stage)
    return architecture_params(arch, batchnorm)


def model_macs(
    depth=None, cardinality=32, bottleneck_width=4, num_classes=1000, input_size=224, *, blocks_per_stage=None
):
    """Multiply-adds of ResNeXt-{depth} (C x d) at ``input_size`` (4.23 G for ResNeXt-50 at 224; any size, e.g.
    Table 5's 320); ``blocks_per_stage`` as in ``model_params``."""
    arch = imagenet_architecture(
        depth, cardinality, bottleneck_width, num_classes, input_size, blocks_per_stage=blocks_per_stage
    )
    return architecture_macs(arch)


def resnext29_params(cardinality=8, bottleneck_width=64, num_classes=10, *, batchnorm=True):
    """Trainable parameters of the CIFAR ResNeXt-29 (C x d): 34.4 M for 8x64d (Table 7).

    Table 7's figures (34.4 M, 68.1 M) count conv and fc weights: ``batchnorm=False``.
    """
    return architecture_params(cifar_architecture(cardinality, bottleneck_width, num_classes), batchnorm)


def resnext29_macs(cardinality=8, bottleneck_width=64, num_classes=10, input_size=32):
    """Multiply-adds of the CIFAR ResNeXt-29 (C x d) at ``input_size``."""
    return architecture_macs(cifar_architecture(cardinality, bottleneck_width, num_classes, input_size))


__all__ = [
    "STAGE_BLOCKS",
    "stage_blocks",
    "with_blocks",
    "Stage",
    "Architecture",
    "imagenet_architecture",
    "cifar_architecture",
    "block_params",
    "block_macs",
    "width_for_cardinality",
    "BLOCK_CONVS",
    "divides_group_width",
    "with_size",
    "display_name",
    "fixed_width_sweep",
    "stage_table",
    "architecture_params",
    "architecture_macs",
    "model_params",
    "model_macs",
    "resnext29_params",
    "resnext29_macs",
]
