"""A network as data: its stem, its table of stages (paper Table 1) and its classifier (pure Python, no TensorFlow).

``imagenet_architecture(depth, cardinality, bottleneck_width)`` is ResNeXt-{depth} (C x d) of Table 1 at any named
depth or table of blocks per stage; ``cifar_architecture`` is the CIFAR ResNeXt-29 (Sec. 5.3) and its scaled-down
kin. ``complexity`` counts what such a record describes, ``models`` builds it in Keras, ``plots`` draws it.
"""

import dataclasses
import numbers
import re
from dataclasses import dataclass, field

from resnext_edu._checks import positive_int

#: Blocks per stage (conv2..conv5) of the named ImageNet depths; depth = 3 * sum(blocks) + 2. Any other stage
#: table is ``blocks_per_stage=(...)``. The paper defines none of 26 and 38 (both are bottleneck stacks, not in it).
STAGE_BLOCKS = {
    26: (2, 2, 2, 2),  # timm's resnet26 (huggingface/pytorch-image-models, timm/models/resnet.py)
    38: (2, 3, 5, 2),  # ResNet-38 of Ramachandran et al. 2019, "Stand-Alone Self-Attention in Vision Models"
    50: (3, 4, 6, 3),  # Table 1; He et al. 2016
    101: (3, 4, 23, 3),  # He et al. 2016
    152: (3, 8, 36, 3),  # He et al. 2016
    200: (3, 24, 36, 3),  # Table 4's ResNet-200: He et al. 2016b as in fb.resnet.torch (the paper's [15], [11])
}


@dataclass(frozen=True)
class Stage:
    """One row of Table 1: ``blocks`` blocks of ``cardinality`` paths of width ``bottleneck_width``."""

    name: str
    blocks: int
    out_channels: int
    cardinality: int
    bottleneck_width: int
    strides: int

    @property
    def group_width(self):
        """Channels of the grouped 3x3 conv: C * d (Table 1's "128, 3x3, C=32")."""
        return self.cardinality * self.bottleneck_width


@dataclass(frozen=True)
class Architecture:
    """A whole network: stem, stages, global average pool, classifier."""

    name: str
    input_size: tuple
    stem_kernel: int
    stem_filters: int
    stem_strides: int
    stem_pool: bool
    stages: tuple
    num_classes: int
    in_channels: int = 3
    depth: int = field(default=0)

    @property
    def display_name(self):
        """The network as the paper's tables name it: "ResNet-50 (1×64d)", "ResNeXt-50 (32×4d)".

        C and d are those of the first stage (later stages double d, Table 1); C = 1 is a ResNet.
        """
        first = self.stages[0]
        return display_name(self.depth, first.cardinality, first.bottleneck_width)

    @property
    def downsampling(self):
        """Total stride of the network: the smallest input side it accepts."""
        stride = self.stem_strides * (2 if self.stem_pool else 1)
        for stage in self.stages:
            stride *= stage.strides
        return stride


def display_name(depth, cardinality, bottleneck_width):
    """ "ResNeXt-{depth} (C×dd)", or "ResNet-{depth} (1×dd)" for one path: the paper's way of naming a network."""
    family = "ResNet" if cardinality == 1 else "ResNeXt"
    return f"{family}-{depth} ({cardinality}×{bottleneck_width}d)"


def _input_size(input_size, minimum):
    """Normalise ``input_size`` (int or (height, width)) and check it against the network's stride."""
    sides = (input_size, input_size) if not isinstance(input_size, (tuple, list)) else tuple(input_size)
    if len(sides) != 2:
        raise ValueError(f"input_size must be an int or (height, width); got {input_size!r}.")
    for side_name, side in zip(("height", "width"), sides):
        if side is None:
            continue
        positive_int(f"input {side_name}", side)
        if side < minimum:
            raise ValueError(
                f"input {side_name} {side} is smaller than the network's total downsampling "
                f"({minimum}); use inputs of at least {minimum}x{minimum}."
            )
    return sides


def stage_blocks(depth=None, blocks_per_stage=None):
    """``(depth, blocks)`` of an ImageNet network: a named ``depth`` (``STAGE_BLOCKS``), or ``blocks_per_stage``
    (four whole numbers >= 1, conv2..conv5), or both when they agree (depth = 3 * sum(blocks) + 2)."""
    if blocks_per_stage is None:
        depth = 50 if depth is None else depth
        if isinstance(depth, bool) or not isinstance(depth, numbers.Integral) or depth not in STAGE_BLOCKS:
            allowed = ", ".join(str(k) for k in STAGE_BLOCKS)
            hint = " (the CIFAR ResNeXt-29 is cifar_architecture / models.resnext29)" if depth == 29 else ""
            raise ValueError(
                f"depth must be one of {allowed}, or give blocks_per_stage=(n2, n3, n4, n5); got {depth!r}{hint}."
            )
        return int(depth), STAGE_BLOCKS[depth]
    if isinstance(blocks_per_stage, (str, bytes)) or not hasattr(blocks_per_stage, "__len__"):
        raise ValueError(f"blocks_per_stage must be four whole numbers >= 1 (conv2..conv5); got {blocks_per_stage!r}.")
    if len(blocks_per_stage) != 4:
        raise ValueError(
            f"blocks_per_stage needs one count per stage conv2..conv5 (four); got {len(blocks_per_stage)}: "
            f"{tuple(blocks_per_stage)!r}."
        )
    blocks = tuple(positive_int(f"blocks_per_stage[{i}]", n) for i, n in enumerate(blocks_per_stage))
    implied = 3 * sum(blocks) + 2
    if depth is not None and (isinstance(depth, bool) or not isinstance(depth, numbers.Integral) or depth != implied):
        raise ValueError(
            f"depth {depth!r} disagrees with blocks_per_stage {blocks}: 3 layers per block plus the stem and the "
            f"classifier make depth {implied}; give one of them, or both in agreement."
        )
    return implied, blocks


def imagenet_architecture(
    depth=None, cardinality=32, bottleneck_width=4, num_classes=1000, input_size=224, *, blocks_per_stage=None
):
    """ResNeXt-{depth} (C x d) for ImageNet, as in Table 1 (C=1, d=64 is ResNet-{depth}).

    ``depth``: a named depth of ``STAGE_BLOCKS`` (default 50); or ``blocks_per_stage`` (conv2..conv5), e.g.
    ``(3, 24, 36, 3)`` for ResNet-200 (Table 4).
    """
    depth, blocks = stage_blocks(depth, blocks_per_stage)
    cardinality = positive_int("cardinality", cardinality)
    bottleneck_width = positive_int("bottleneck_width", bottleneck_width)
    num_classes = positive_int("num_classes", num_classes)
    stages = tuple(
        Stage(f"conv{i + 2}", n, 256 * 2**i, cardinality, bottleneck_width * 2**i, 1 if i == 0 else 2)
        for i, n in enumerate(blocks)
    )
    name = (
        f"resnet{depth}"
        if cardinality == 1 and bottleneck_width == 64
        else (f"resnext{depth}_{cardinality}x{bottleneck_width}d")
    )
    arch = Architecture(name, None, 7, 64, 2, True, stages, num_classes, depth=depth)
    return with_size(arch, input_size)


def cifar_architecture(
    cardinality=8,
    bottleneck_width=64,
    num_classes=10,
    input_size=32,
    *,
    blocks_per_stage=3,
    out_channels=256,
    stem_filters=64,
    stem_strides=1,
):
    """The paper's CIFAR ResNeXt-29 (Sec. 5.3): 3x3 stem of 64, three stages of 3 blocks.

    Stage i has ``out_channels * 2**i`` outputs and paths of width ``bottleneck_width * 2**i``.
    ``blocks_per_stage``, ``out_channels`` and ``stem_filters`` scale it down (depth 9n + 2):
    the defaults are ResNeXt-29. ``stem_strides=2`` halves the maps from the stem on (a quarter of the
    multiply-adds; the paper's CIFAR stem has stride 1).
    """
    cardinality = positive_int("cardinality", cardinality)
    bottleneck_width = positive_int("bottleneck_width", bottleneck_width)
    num_classes = positive_int("num_classes", num_classes)
    n = positive_int("blocks_per_stage", blocks_per_stage)
    out_channels = positive_int("out_channels", out_channels)
    stem_filters = positive_int("stem_filters", stem_filters)
    stem_strides = positive_int("stem_strides", stem_strides)
    stages = tuple(
        Stage(f"conv{i + 2}", n, out_channels * 2**i, cardinality, bottleneck_width * 2**i, 1 if i == 0 else 2)
        for i in range(3)
    )
    depth = 9 * n + 2
    suffix = "" if (out_channels, stem_filters) == (256, 64) else f"_{stem_filters}-{out_channels}"
    suffix += "" if stem_strides == 1 else f"_s{stem_strides}"
    arch = Architecture(
        f"resnext{depth}_{cardinality}x{bottleneck_width}d{suffix}",
        None,
        3,
        stem_filters,
        stem_strides,
        False,
        stages,
        num_classes,
        depth=depth,
    )
    return with_size(arch, input_size)


def with_blocks(arch, blocks_per_stage):
    """``arch`` with ``blocks_per_stage`` blocks in its stages (one whole number >= 1 per stage; depth follows)."""
    if isinstance(blocks_per_stage, (str, bytes)) or not hasattr(blocks_per_stage, "__len__"):
        raise ValueError(f"blocks_per_stage must be whole numbers >= 1, one per stage; got {blocks_per_stage!r}.")
    if len(blocks_per_stage) != len(arch.stages):
        raise ValueError(
            f"{arch.name} has {len(arch.stages)} stages; blocks_per_stage gives {len(blocks_per_stage)} counts."
        )
    blocks = [positive_int(f"blocks_per_stage[{i}]", n) for i, n in enumerate(blocks_per_stage)]
    stages = tuple(dataclasses.replace(stage, blocks=n) for stage, n in zip(arch.stages, blocks))
    depth = 3 * sum(blocks) + 2
    name = re.sub(r"^(resnext|resnet)\d+", lambda m: f"{m.group(1)}{depth}", arch.name)
    return dataclasses.replace(arch, name=name, stages=stages, depth=depth)


def _architecture(arch):
    if not isinstance(arch, Architecture):
        raise ValueError(
            "arch must be a complexity.Architecture (imagenet_architecture(50, 32, 4), cifar_architecture(8, 64), "
            f"...); got {arch!r}."
        )
    return arch


def with_size(arch, input_size):
    """``arch`` at another input size (an int or (height, width)), checked against its total downsampling."""
    sides = _input_size(input_size, _architecture(arch).downsampling)
    return Architecture(**{**arch.__dict__, "input_size": sides})


__all__ = [
    "STAGE_BLOCKS", "Stage", "Architecture", "display_name", "stage_blocks", "imagenet_architecture",
    "cifar_architecture", "with_blocks", "with_size",
]  # fmt: skip
