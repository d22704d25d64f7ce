"""Networks of any depth (``blocks_per_stage``): ``complexity`` counts against what Keras builds and against
torchvision's ``ResNet(Bottleneck, layers, groups=C, width_per_group=d)`` for the same stage table.

torchvision's trainable parameters include BatchNorm's gamma and beta, the library's default convention; its
multiply-adds are counted here with forward hooks on its convolutions and its classifier (on the "meta" device:
shapes only, no memory, no weights).
"""

import math
import sys

# triton, torch's GPU compiler (unused here), crashes the process when its LLVM loads after TensorFlow's, as it does
# when another test file imported Keras first: a None entry makes `import triton` fail cleanly, and torch goes on
# without it. (If torch came first, triton is already loaded and stays.)
sys.modules.setdefault("triton", None)

import pytest  # noqa: E402
import torch  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from torchvision.models.resnet import Bottleneck, ResNet  # noqa: E402

from resnext_edu import complexity, introspect, models  # noqa: E402

# (blocks per stage, C, d, input side): the named depths, Table 4's and Table 5's networks, and odd ones.
TORCHVISION_CASES = [
    ((2, 2, 2, 2), 32, 4, 224),  # depth 26
    ((2, 3, 5, 2), 1, 64, 224),  # depth 38
    ((3, 4, 6, 3), 32, 4, 224),  # ResNeXt-50
    ((3, 4, 23, 3), 1, 100, 224),  # Table 4: ResNet-101, wider (1x100d)
    ((3, 4, 23, 3), 2, 64, 224),  # Table 4: ResNeXt-101 (2x64d)
    ((3, 4, 23, 3), 64, 4, 320),  # Table 5: ResNeXt-101 (64x4d) at the 320 crop
    ((3, 24, 36, 3), 1, 64, 224),  # Table 4: ResNet-200
    ((3, 8, 36, 3), 8, 14, 288),
    ((1, 1, 1, 1), 3, 5, 97),  # odd cardinality, width and input side
    ((4, 1, 7, 2), 6, 7, 161),
    ((1, 9, 1, 5), 16, 2, 64),
]


def torchvision_counts(layers, cardinality, bottleneck_width, size, num_classes=1000):
    """(trainable parameters, multiply-adds) of torchvision's ResNet for this stage table, at size x size."""
    with torch.device("meta"):
        net = ResNet(Bottleneck, list(layers), num_classes, groups=cardinality, width_per_group=bottleneck_width)
        macs = []

        def hook(module, inputs, output):
            positions = math.prod(output.shape[2:]) if output.dim() == 4 else 1
            macs.append(module.weight.numel() * positions)

        for module in net.modules():
            if isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
                module.register_forward_hook(hook)
        net.eval()
        with torch.no_grad():
            net(torch.empty(1, 3, size, size))
    params = sum(p.numel() for p in net.parameters() if p.requires_grad)
    return params, sum(macs)


@pytest.mark.parametrize(("layers", "cardinality", "bottleneck_width", "size"), TORCHVISION_CASES)
def test_counts_equal_torchvision(layers, cardinality, bottleneck_width, size):
    params, macs = torchvision_counts(layers, cardinality, bottleneck_width, size)
    kwargs = dict(cardinality=cardinality, bottleneck_width=bottleneck_width, blocks_per_stage=layers)
    assert complexity.model_params(**kwargs) == params
    assert complexity.model_macs(**kwargs, input_size=size) == macs


def test_torchvision_reference_is_the_guide_for_resnext50():
    """The hook count is right: ResNeXt-50 (32x4d) is GUIDE §2's 25,028,904 parameters, 4.230 G multiply-adds."""
    params, macs = torchvision_counts((3, 4, 6, 3), 32, 4, 224)
    assert params == 25_028_904
    assert round(macs / 1e9, 3) == 4.230


@pytest.mark.parametrize("depth", sorted(complexity.STAGE_BLOCKS))
def test_named_depths_are_stage_tables(depth):
    blocks = complexity.STAGE_BLOCKS[depth]
    assert 3 * sum(blocks) + 2 == depth
    assert complexity.model_params(depth, 32, 4) == complexity.model_params(blocks_per_stage=blocks)
    assert complexity.model_params(depth, 32, 4, blocks_per_stage=blocks) == complexity.model_params(depth)


def test_resnet200_is_table4s_stage_table():
    arch = complexity.imagenet_architecture(200, 1, 64)
    assert [s.blocks for s in arch.stages] == [3, 24, 36, 3]
    assert arch.display_name == "ResNet-200 (1×64d)"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(depth=50, blocks_per_stage=(3, 24, 36, 3)), "disagrees"),
        (dict(blocks_per_stage=(3, 4, 6)), "four"),
        (dict(blocks_per_stage=(3, 4, 6, 0)), ">= 1"),
        (dict(blocks_per_stage=(3, 4, 6.5, 3)), "whole number"),
        (dict(blocks_per_stage="3463"), "four whole numbers"),
        (dict(depth=34), "blocks_per_stage"),
    ],
)
def test_bad_stage_tables_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        complexity.model_params(**kwargs)
    with pytest.raises(ValueError, match=message):
        complexity.model_macs(**kwargs)
    with pytest.raises(ValueError, match=message):
        models.resnext(**kwargs, cardinality=2, bottleneck_width=2, input_shape=(32, 32, 3))


def test_build_replaces_the_stage_table():
    arch = complexity.cifar_architecture(2, 4, input_size=32, out_channels=16, stem_filters=8)
    model = models.build(arch, (32, 32, 3), blocks_per_stage=(1, 2, 1))
    changed = complexity.with_blocks(arch, (1, 2, 1))
    assert changed.depth == 14 and model.name == changed.name == "resnext14_2x4d_8-16"
    assert introspect.trainable_params(model) == complexity.architecture_params(changed)
    with pytest.raises(ValueError, match="3 stages"):
        models.build(arch, (32, 32, 3), blocks_per_stage=(1, 2, 1, 1))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    blocks=st.tuples(*[st.integers(1, 2)] * 4),
    cardinality=st.sampled_from([1, 2, 3, 4]),
    bottleneck_width=st.integers(1, 3),
    side=st.integers(32, 70),
    num_classes=st.integers(1, 12),
)
def test_keras_builds_what_complexity_counts(blocks, cardinality, bottleneck_width, side, num_classes):
    """Any valid stage table, C, d, input side and classes: Keras' counts equal the library's, exactly."""
    model = models.resnext(None, cardinality, bottleneck_width, num_classes, (side, side, 3), blocks_per_stage=blocks)
    arch = complexity.imagenet_architecture(
        None, cardinality, bottleneck_width, num_classes, side, blocks_per_stage=blocks
    )
    assert model.name == arch.name
    assert introspect.trainable_params(model) == complexity.architecture_params(arch)
    assert introspect.count_macs(model) == complexity.architecture_macs(arch)
