"""Exact counts of ``resnext_edu.complexity`` against the paper and the README's reference counts.

Checks the trainable-parameter and multiply-add table of the README ("Reference counts" (torchvision design, 224x224,
1000 classes), the paper's Table 1 (ResNeXt-50 stages), Table 2 (cardinality vs width at equal
cost), Table 3's rounded FLOPs and Table 7's CIFAR ResNeXt-29 sizes (Xie et al. 2017,
arXiv 1611.05431), plus property tests of the block formulas. Pure Python: no TensorFlow here.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import invalid_counts

from resnext_edu import complexity

REPO_ROOT = Path(__file__).resolve().parents[1]

# README, "Reference counts": (depth, C, d) -> (trainable params, multiply-adds in G).
REFERENCE_TABLE = {
    "resnet50": ((50, 1, 64), 25_557_032, 4.089),
    "resnext50_32x4d": ((50, 32, 4), 25_028_904, 4.230),
    "resnet101": ((101, 1, 64), 44_549_160, 7.801),
    "resnext101_32x4d": ((101, 32, 4), 44_177_704, 7.970),
    "resnext101_32x8d": ((101, 32, 8), 88_791_336, 16.414),
}

# Paper Table 2: C -> (d, group width C*d, conv2-block weights).
TABLE_2 = {
    1: (64, 64, 69_632),
    2: (40, 80, 69_760),
    4: (24, 96, 69_888),
    8: (14, 112, 71_456),
    32: (4, 128, 70_144),
}


def test_importing_complexity_does_not_import_tensorflow():
    code = "import resnext_edu.complexity, sys; assert 'tensorflow' not in sys.modules"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --- the reference counts (README) -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", REFERENCE_TABLE)
def test_model_params_match_the_reference_counts(name):
    config, params, _ = REFERENCE_TABLE[name]
    assert complexity.model_params(*config) == params


@pytest.mark.parametrize("name", REFERENCE_TABLE)
def test_model_macs_within_half_percent_of_the_reference_counts(name):
    config, _, giga_macs = REFERENCE_TABLE[name]
    assert complexity.model_macs(*config) == pytest.approx(giga_macs * 1e9, rel=0.005)


@pytest.mark.parametrize(
    ("config", "paper_giga"),
    [((50, 1, 64), 4.1), ((50, 32, 4), 4.2), ((101, 1, 64), 7.8)],
    ids=["resnet50", "resnext50_32x4d", "resnet101"],
)
def test_model_macs_round_to_paper_flops(config, paper_giga):
    assert round(complexity.model_macs(*config) / 1e9, 1) == paper_giga


def test_resnext50_matches_resnet50_cost_within_four_percent():
    """Table 3's claim: ResNeXt-50 (32x4d) has about the complexity of ResNet-50."""
    resnet, resnext = complexity.model_params(50, 1, 64), complexity.model_params(50, 32, 4)
    assert resnext < resnet
    assert resnext == pytest.approx(resnet, rel=0.04)


# --- Table 2 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("cardinality", TABLE_2)
def test_width_for_cardinality_solves_table_2(cardinality):
    width, group_width, _ = TABLE_2[cardinality]
    d = complexity.width_for_cardinality(cardinality)
    assert d == width
    assert cardinality * d == group_width


@pytest.mark.parametrize("cardinality", TABLE_2)
def test_block_params_of_table_2(cardinality):
    width, _, weights = TABLE_2[cardinality]
    assert complexity.block_params(256, 256, cardinality, width) == weights


def test_resnet_bottleneck_block_params_by_hand():
    """Table 2's ResNet block: 256*64 + 3*3*64*64 + 64*256 = 69,632."""
    assert complexity.block_params(256, 256, 1, 64) == 256 * 64 + 3 * 3 * 64 * 64 + 64 * 256 == 69_632


def test_block_macs_is_params_times_positions():
    assert complexity.block_macs(256, 256, 32, 4) == 70_144 * 56 * 56
    assert complexity.block_macs(256, 256, 32, 4, height=7, width=5) == 70_144 * 35


# --- CIFAR ResNeXt-29 (Table 7) -----------------------------------------------------------------


def test_resnext29_8x64d_is_34_4_million():
    assert complexity.resnext29_params(8, 64) == 34_426_698
    assert round(complexity.resnext29_params(8, 64, batchnorm=False) / 1e6, 1) == 34.4


def test_resnext29_16x64d_is_68_1_million():
    """Table 7 counts conv and fc weights: 68.1 M; with BN's gamma and beta it is 68.2 M."""
    assert complexity.resnext29_params(16, 64, batchnorm=False) == 68_054_730
    assert round(complexity.resnext29_params(16, 64, batchnorm=False) / 1e6, 1) == 68.1
    assert round(complexity.resnext29_params(16, 64) / 1e6, 1) == 68.2


# --- Table 1 ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def table_1():
    return complexity.stage_table(complexity.imagenet_architecture(50, 32, 4))


def test_stage_table_rows(table_1):
    assert [row["stage"] for row in table_1] == ["conv1", "conv2", "conv3", "conv4", "conv5", "fc"]


def test_stage_table_conv1_output_is_112(table_1):
    """Table 1: conv1 (7x7, 64, stride 2) outputs 112x112; the 3x3 max pool belongs to conv2's row."""
    assert table_1[0]["output_size"] == (112, 112)


def test_stage_table_stem_macs_are_counted_at_112(table_1):
    assert table_1[0]["macs"] == 7 * 7 * 3 * 64 * 112 * 112


def test_stage_table_stage_output_sizes(table_1):
    assert [row["output_size"] for row in table_1[1:5]] == [(56, 56), (28, 28), (14, 14), (7, 7)]


def test_stage_table_blocks_per_stage(table_1):
    assert [row["blocks"] for row in table_1[1:5]] == [3, 4, 6, 3]


def test_stage_table_out_channels(table_1):
    assert [row["out_channels"] for row in table_1[1:5]] == [256, 512, 1024, 2048]
    assert table_1[0]["out_channels"] == 64
    assert table_1[-1]["out_channels"] == 1000


def test_stage_table_group_widths_and_cardinality(table_1):
    assert [row["group_width"] for row in table_1[1:5]] == [128, 256, 512, 1024]
    assert [row["cardinality"] for row in table_1[1:5]] == [32, 32, 32, 32]


def test_stage_table_params_sum_to_model_params(table_1):
    assert sum(row["params"] for row in table_1) == complexity.model_params(50, 32, 4) == 25_028_904


def test_stage_table_macs_sum_to_model_macs(table_1):
    assert sum(row["macs"] for row in table_1) == complexity.model_macs(50, 32, 4)


def test_stage_table_fc_row(table_1):
    assert table_1[-1]["params"] == 2048 * 1000 + 1000
    assert table_1[-1]["macs"] == 2048 * 1000


def test_architecture_downsampling():
    assert complexity.imagenet_architecture(50, 32, 4).downsampling == 32
    assert complexity.cifar_architecture(8, 64).downsampling == 4


def test_resnet_names():
    assert complexity.imagenet_architecture(50, 1, 64).name == "resnet50"
    assert complexity.imagenet_architecture(101, 32, 8).name == "resnext101_32x8d"


# --- properties ---------------------------------------------------------------------------------

channels = st.integers(min_value=1, max_value=2048)
cardinalities = st.integers(min_value=1, max_value=256)
widths = st.integers(min_value=1, max_value=512)


@given(
    cardinalities,
    st.integers(min_value=1, max_value=1024),
    st.integers(min_value=1, max_value=1024),
    st.integers(min_value=1, max_value=256),
)
def test_width_for_cardinality_is_argmin_of_cost_gap(c, cin, cout, reference):
    def gap(d):
        return abs(complexity.block_params(cin, cout, c, d) - complexity.block_params(cin, cout, 1, reference))

    d = complexity.width_for_cardinality(c, cin, cout, reference)
    assert d >= 1
    assert gap(d) <= gap(d + 1)
    if d > 1:
        assert gap(d) < gap(d - 1)  # on a tie the smaller d wins, so d-1 must be strictly worse


@given(cardinalities)
def test_width_for_cardinality_is_global_argmin_for_table_2_block(c):
    d = complexity.width_for_cardinality(c)
    costs = {w: abs(complexity.block_params(256, 256, c, w) - 69_632) for w in range(1, 66)}
    assert costs[d] == min(costs.values())
    assert d == min(w for w, cost in costs.items() if cost == costs[d])


@given(cardinalities)
def test_width_for_cardinality_never_grows_with_cardinality(c):
    assert complexity.width_for_cardinality(c + 1) <= complexity.width_for_cardinality(c)


def test_width_for_cardinality_one_is_reference_width():
    assert complexity.width_for_cardinality(1, reference_width=37) == 37


@given(channels, channels, cardinalities, widths)
def test_block_params_grows_with_width(cin, cout, c, d):
    assert complexity.block_params(cin, cout, c, d + 1) > complexity.block_params(cin, cout, c, d)


@given(channels, channels, cardinalities, widths)
def test_block_params_is_linear_in_cardinality(cin, cout, c, d):
    assert complexity.block_params(cin, cout, c, d) == c * complexity.block_params(cin, cout, 1, d)


@given(channels, channels, cardinalities, widths)
def test_block_params_formula(cin, cout, c, d):
    assert complexity.block_params(cin, cout, c, d) == c * (cin * d + 9 * d * d + d * cout)


@given(st.sampled_from([50, 101, 152]), st.integers(1, 64), st.integers(1, 64), st.integers(1, 5000))
def test_model_params_classifier_term(depth, c, d, num_classes):
    """Only the fc layer depends on the number of classes: 2048 weights + 1 bias per class."""
    extra = complexity.model_params(depth, c, d, num_classes) - complexity.model_params(depth, c, d, 1)
    assert extra == 2049 * (num_classes - 1)


@given(st.integers(1, 32), st.integers(1, 32))
def test_deeper_nets_have_more_params_and_macs(c, d):
    params = [complexity.model_params(depth, c, d) for depth in (50, 101, 152)]
    macs = [complexity.model_macs(depth, c, d) for depth in (50, 101, 152)]
    assert params == sorted(params) and len(set(params)) == 3
    assert macs == sorted(macs) and len(set(macs)) == 3


# --- complexity ---------------------------------------------------------------------------------


def test_block_params_rejects_zero_cardinality():
    with pytest.raises(ValueError, match="cardinality must be a whole number >= 1; got 0"):
        complexity.block_params(256, 256, 0, 4)


@pytest.mark.parametrize("args", [(0, 256, 1, 64), (256, -1, 1, 64), (256, 256, 1, 0)])
def test_block_params_rejects_other_bad_arguments(args):
    with pytest.raises(ValueError, match="must be a whole number >= 1"):
        complexity.block_params(*args)


@pytest.mark.parametrize("cardinality", [0, -1, 2.0, "32", None])
def test_width_for_cardinality_rejects_bad_cardinality(cardinality):
    with pytest.raises(ValueError, match="cardinality must be a whole number >= 1"):
        complexity.width_for_cardinality(cardinality)


def test_model_params_rejects_unknown_depth():
    with pytest.raises(
        ValueError,
        match=r"depth must be one of 26, 38, 50, 101, 152, 200, or give blocks_per_stage=\(n2, n3, n4, n5\); got 34",
    ):
        complexity.model_params(34, 32, 4)


def test_model_macs_rejects_small_input():
    with pytest.raises(ValueError, match=r"total downsampling \(32\)"):
        complexity.model_macs(50, 32, 4, input_size=16)


def test_block_macs_rejects_zero_height():
    with pytest.raises(ValueError, match="height must be a whole number >= 1"):
        complexity.block_macs(256, 256, 32, 4, height=0)


@pytest.mark.parametrize("arch", [None, "resnext50", {"depth": 50}])
def test_stage_table_rejects_non_architecture(arch):
    with pytest.raises(ValueError, match="stage_table needs an Architecture"):
        complexity.stage_table(arch)


def test_stage_table_rejects_unknown_input_size():
    with pytest.raises(ValueError, match="fixed input size"):
        complexity.stage_table(complexity.imagenet_architecture(input_size=(None, 224)))


@given(argument=st.sampled_from(["cardinality", "bottleneck_width"]), value=invalid_counts)
def test_block_params_rejects_any_invalid_count(argument, value):
    kwargs = {"in_channels": 256, "out_channels": 256, "cardinality": 4, "bottleneck_width": 4, argument: value}
    with pytest.raises(ValueError, match=rf"{argument} must be a whole number >= 1"):
        complexity.block_params(**kwargs)


# --- complexity.fixed_width_sweep --------------------------------------------------------------------------------


def test_sweep_defaults_to_powers_of_two_up_to_the_width():
    rows = complexity.fixed_width_sweep()
    assert [r["cardinality"] for r in rows] == [1, 2, 4, 8, 16, 32, 64, 128]
    assert [r["bottleneck_width"] for r in rows] == [128, 64, 32, 16, 8, 4, 2, 1]
    assert [r["kind"] for r in rows] == ["dense"] + ["grouped"] * 6 + ["depthwise"]
    assert {r["group_width"] for r in rows} == {128}
    assert [r["cardinality"] for r in complexity.fixed_width_sweep(96)] == [1, 2, 4, 8, 16, 32, 96]
    assert [r["kind"] for r in complexity.fixed_width_sweep(1)] == ["dense"]


def test_sweep_counts_each_layer_and_agrees_with_block_params():
    for r in complexity.fixed_width_sweep(128, 256, 256, size=56):
        c, d = r["cardinality"], r["bottleneck_width"]
        assert r["params"] == {"conv1": 256 * 128, "conv2": 9 * 128 * 128 // c, "conv3": 128 * 256}
        assert r["macs"] == {k: v * 56 * 56 for k, v in r["params"].items()}
        assert r["total_params"] == complexity.block_params(256, 256, c, d)
        assert r["total_macs"] == complexity.block_macs(256, 256, c, d, 56)
    row = complexity.fixed_width_sweep(128, 64, 512, [32], size=7)[0]  # in != out
    assert row["params"] == {"conv1": 64 * 128, "conv2": 9 * 4 * 128, "conv3": 128 * 512}
    assert row["total_macs"] == complexity.block_macs(64, 512, 32, 4, 7)
    assert complexity.fixed_width_sweep(128)[5]["total_params"] == 70_144  # ResNeXt-50's 32x4d (Table 2)


def test_the_3x3_share_vanishes_and_the_1x1s_bound_the_cost():
    rows = complexity.fixed_width_sweep()
    shares = [r["params"]["conv2"] / r["total_params"] for r in rows]
    assert shares == sorted(shares, reverse=True) and shares[0] > 0.6 and shares[-1] < 0.02
    assert all(r["total_params"] > 2 * 256 * 128 for r in rows)  # the two 1x1s never shrink


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(cardinalities=[3]), r"cardinality 3 does not divide the group width 128.*1, 2, 4, 8, 16, 32, 64, 128\."),
        (dict(group_width=96, cardinalities=[64]), "does not divide the group width 96"),
        (dict(cardinalities=[256]), "does not divide"),
        (dict(cardinalities=[0]), "cardinality must be a whole number >= 1"),
        (dict(cardinalities=[2.0]), "cardinality must be a whole number"),
        (dict(cardinalities=[]), "must not be empty"),
        (dict(cardinalities="12"), "sequence of whole numbers"),
        (dict(cardinalities=4), "sequence of whole numbers"),
        (dict(group_width=0), "group_width must be a whole number >= 1"),
        (dict(in_channels=-1), "in_channels"),
        (dict(size=0), "size"),
    ],
)
def test_sweep_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        complexity.fixed_width_sweep(**kwargs)


def test_divides_group_width_returns_d_and_shortens_long_lists():
    assert complexity.divides_group_width(128, 32) == 4 and complexity.divides_group_width(7, 7) == 1
    with pytest.raises(ValueError, match=r"1, 2, 3, 4, 5, 6, \.\.\., 240, 360, 720\.$"):
        complexity.divides_group_width(720, 7)


# --- width_for_cardinality in closed form ----------------------------------------------------------------------


def _width_by_search(c, in_channels, out_channels, reference_width):
    """The former width_for_cardinality: every width from 1 up, the nearer of the last two; a tie to the smaller."""
    target = complexity.block_params(in_channels, out_channels, 1, reference_width)
    d = 1
    while complexity.block_params(in_channels, out_channels, c, d + 1) <= target:
        d += 1
    below = abs(target - complexity.block_params(in_channels, out_channels, c, d))
    above = abs(complexity.block_params(in_channels, out_channels, c, d + 1) - target)
    return d if below <= above else d + 1


def test_width_for_cardinality_in_closed_form_is_the_search_it_replaces():
    for c in (1, 2, 3, 4, 5, 8, 16, 32, 64, 100, 1000):
        for in_channels in (1, 3, 16, 64, 256, 1024):
            for out_channels in (1, 8, 16, 256, 2048):
                for reference in [*range(1, 70), 100, 128, 255, 256, 512, 1000]:
                    d = complexity.width_for_cardinality(c, in_channels, out_channels, reference)
                    assert d == _width_by_search(c, in_channels, out_channels, reference), (c, in_channels, reference)
    assert [complexity.width_for_cardinality(c) for c in (1, 2, 4, 8, 32)] == [64, 40, 24, 14, 4]  # Table 2


def test_width_for_cardinality_breaks_a_tie_for_the_smaller_width():
    """C = 2, 1 -> 8 channels, reference d = 8: 648 weights; d = 5 gives 540, d = 6 gives 756: 108 either side."""
    target, cost = complexity.block_params(1, 8, 1, 8), lambda d: complexity.block_params(1, 8, 2, d)
    assert (target, cost(5), cost(6)) == (648, 540, 756)
    assert complexity.width_for_cardinality(2, 1, 8, 8) == 5 == _width_by_search(2, 1, 8, 8)


def test_width_for_cardinality_at_a_reference_width_of_a_million():
    """The search took over a second here; the closed form is exact at any size (integer square root)."""
    d = complexity.width_for_cardinality(32, 256, 256, 10**6)
    target, cost = complexity.block_params(256, 256, 1, 10**6), lambda w: complexity.block_params(256, 256, 32, w)
    assert cost(d) <= target < cost(d + 1) or cost(d - 1) <= target < cost(d)
    assert min(d - 1, d, d + 1, key=lambda w: (abs(cost(w) - target), w)) == d
