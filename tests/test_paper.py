"""``resnext_edu.paper``: the paper's printed figures against the library, under the paper's own conventions, and
the transcription against the paper's own text (each table's numbers agree with what its sentences state)."""

from fractions import Fraction

import pytest

from resnext_edu import complexity, paper, plots, training

# --- Table 1 -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "weights"),
    [(paper.TABLE1_TOTALS[0], 25_503_912), (paper.TABLE1_TOTALS[1], 24_960_680)],
    ids=["ResNet-50", "ResNeXt-50"],
)
def test_table1_totals_are_conv_and_fc_weights_without_batchnorm(row, weights):
    config = (row.depth, row.cardinality, row.bottleneck_width)
    assert complexity.model_params(*config, batchnorm=False) == weights
    assert round(weights / 1e6, 1) == row.params
    assert round(complexity.model_macs(*config) / 1e9, 1) == row.flops


def test_table1_resnet50_total_is_not_the_count_with_batchnorm():
    """With BatchNorm's gamma and beta ResNet-50 rounds to 25.6 M, not Table 1's 25.5: the paper left BN out."""
    assert round(complexity.model_params(50, 1, 64) / 1e6, 1) == 25.6 != paper.TABLE1_TOTALS[0].params


def test_table1_stages_are_what_the_library_builds():
    resnet, resnext = (complexity.imagenet_architecture(50, c, d) for c, d in ((1, 64), (32, 4)))
    rows = complexity.stage_table(resnext)[1:-1]
    for spec, r_stage, x_stage, row in zip(paper.TABLE1, resnet.stages, resnext.stages, rows, strict=True):
        assert (spec.stage, spec.blocks, spec.output_size) == (row["stage"], row["blocks"], row["output_size"][0])
        assert spec.resnet50 == (r_stage.group_width, r_stage.group_width, r_stage.out_channels)
        assert spec.resnext50 == (x_stage.group_width, x_stage.group_width, x_stage.out_channels)
        assert spec.cardinality == x_stage.cardinality


# --- Table 2, Sec. 3.4 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("row", paper.TABLE2, ids=lambda r: f"C={r.cardinality}")
def test_table2_widths_keep_the_conv2_block_near_70k_and_0_22_billion(row):
    assert complexity.width_for_cardinality(row.cardinality) == row.bottleneck_width
    assert row.cardinality * row.bottleneck_width == row.group_width
    params = complexity.block_params(256, 256, row.cardinality, row.bottleneck_width)
    assert abs(params / 70e3 - 1) < 0.03  # "~70k"
    assert round(complexity.block_macs(256, 256, row.cardinality, row.bottleneck_width) / 1e9, 2) == 0.22
    assert complexity.block_macs(256, 256, row.cardinality, row.bottleneck_width) == params * 56 * 56


# --- Tables 3 and 4: the complexity the paper states --------------------------------------------------------


@pytest.mark.parametrize("row", paper.TABLE3, ids=lambda r: r.name)
def test_table3_preserves_complexity_as_its_caption_states(row):
    """Table 3's caption: ~4.1 billion FLOPs for the 50-layer rows, ~7.8 billion for the 101-layer ones."""
    stated = {50: 4.1e9, 101: 7.8e9}[row.depth]
    macs = complexity.model_macs(row.depth, row.cardinality, row.bottleneck_width)
    assert abs(macs / stated - 1) < 0.05  # 8×14d is the farthest: 4.3 % above


@pytest.mark.parametrize("row", paper.TABLE4, ids=lambda r: r.name)
def test_table4_complexity_column(row):
    """Each row's printed group: "1×" or "2×" the FLOPs of ResNet-101; the 2× ones have ~15 billion (Sec. 5.1)."""
    macs = complexity.model_macs(row.depth, row.cardinality, row.bottleneck_width)
    ratio = macs / complexity.model_macs(101, 1, 64)
    assert f"{round(ratio)}×" == row.complexity
    assert abs(ratio - round(ratio)) < 0.1  # ResNet-200 is the farthest: 1.92×
    if row.complexity == "2×":
        assert round(macs / 1e9) == 15


def test_resnext101_32x4d_has_about_half_the_complexity_of_the_deeper_and_wider_models():
    """Sec. 5.1: 32×4d ResNeXt-101 beats ResNet-200 and the wider ResNet-101 "with only ~50% complexity"."""
    half = complexity.model_macs(101, 32, 4)
    for depth, d in ((200, 64), (101, 100)):
        assert round(half / complexity.model_macs(depth, 1, d), 1) == 0.5


# --- Table 5: the 320×320 crop -------------------------------------------------------------------------------


@pytest.mark.parametrize("row", [r for r in paper.TABLE5 if r.top1_large and r.large_crop == 320], ids=str)
def test_table5_320_crop_costs_exactly_100_49_of_the_224_crop_in_the_convolutions(row):
    """Table 5 prints no complexity; what the library computes: every map grows by 10/7 (7×7 -> 10×10 at conv5)."""
    c, d = row.cardinality or 1, row.bottleneck_width or 64
    fc = 2048 * 1000
    at = {side: complexity.model_macs(row.depth, c, d, input_size=side) - fc for side in (224, 320)}
    assert Fraction(at[320], at[224]) == Fraction(100, 49)


# --- Table 7 -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("row", [r for r in paper.TABLE7 if r.depth == 29], ids=lambda r: r.name)
def test_table7_sizes_are_conv_and_fc_weights(row):
    weights = complexity.resnext29_params(row.cardinality, row.bottleneck_width, batchnorm=False)
    assert round(weights / 1e6, 1) == row.params


# --- the transcription agrees with the paper's sentences (a second reading of each table) ----------------------


def _stated(what):
    (value,) = [r.value for r in paper.STATED if r.what == what or r.what.startswith(what + ",")]
    return value


def _gap(a, b):
    return round(a - b, 2)


def test_tables_agree_with_the_differences_the_text_states():
    t3 = {(r.depth, r.cardinality): r.top1 for r in paper.TABLE3}
    assert _gap(t3[50, 1], t3[50, 32]) == _stated("ResNeXt-50 (32×4d) below ResNet-50")
    assert _gap(t3[101, 1], t3[101, 32]) == _stated("ResNeXt-101 (32×4d) below ResNet-101")
    t4 = {r.name: r.top1 for r in paper.TABLE4}
    base = t4["ResNet-101 (1×64d)"]
    assert _gap(base, t4["ResNet-200 (1×64d)"]) == _stated("ResNet-200 below ResNet-101")
    assert _gap(base, t4["ResNet-101, wider (1×100d)"]) == _stated("wider ResNet-101 below ResNet-101")
    assert _gap(base, t4["ResNeXt-101 (2×64d)"]) == _stated("ResNeXt-101 (2×64d) below ResNet-101")
    resnext = paper.RESIDUAL[1]
    assert _gap(resnext.without_residual, resnext.with_residual) == _stated(
        "removing shortcuts from ResNeXt-50 raises top-1 error by"
    )
    t6 = paper.TABLE6
    assert _gap(t6[0].top1_5k, t6[1].top1_5k) == _stated("ResNeXt-50 below ResNet-50")
    assert _gap(t6[2].top1_5k, t6[3].top1_5k) == _stated("ResNeXt-101 below ResNet-101")
    t8 = paper.TABLE8
    assert _gap(t8[1].ap50, t8[0].ap50) == _stated("ResNeXt-50 over ResNet-50, AP@0.5")
    assert _gap(t8[1].ap, t8[0].ap) == _stated("ResNeXt-50 over ResNet-50, AP")  # 1.0: equal as numbers


def test_tables_agree_with_the_values_the_text_repeats():
    assert paper.TABLE5[-1].top5_large == 4.4  # Sec. 5.1: "a single-crop top-5 error rate of 4.4%"
    assert (paper.TABLE6[-1].top1_1k, paper.TABLE6[-1].top5_1k) == (22.2, 5.7)  # Sec. 5.2
    assert (paper.TABLE4[1].top1, paper.TABLE4[1].top5) == (21.2, 5.6)  # Sec. 5.2 quotes "21.2%/5.6% in Table 3"
    assert paper.TABLE3[-1].top1 == paper.TABLE4[1].top1 == 21.2  # Sec. 5.1: "32×4d ResNet-101 (21.2%)"
    assert paper.TABLE4[0].top1 == paper.TABLE3[5].top1 == paper.TABLE5[0].top1_224 == 22.0  # Sec. 5.1
    assert paper.TABLE7[1].params == 34.4  # Sec. 5.3: "a similar model size (34.4M)"
    assert (paper.TABLE7[2].cifar10, paper.TABLE7[2].cifar100) == (3.58, 17.31)  # Sec. 5.3
    assert paper.TABLE4[2].top1 == paper.TABLE5[1].top1_224 and paper.TABLE4[2].top5 == paper.TABLE5[1].top5_224
    assert (paper.TABLE4[-2].top1, paper.TABLE4[-1].top1) == (20.7, 20.4)  # Sec. 5.1
    assert (paper.TABLE4[-1].top1, paper.TABLE4[-1].top5) == (paper.TABLE5[-1].top1_224, paper.TABLE5[-1].top5_224)


# --- the module's shape ----------------------------------------------------------------------------------------


def test_every_record_names_its_source_and_reported_lists_them_all():
    rows = paper.reported()
    assert all(r.source and r.what for r in rows)
    assert all(isinstance(r.value, (int, float)) and not isinstance(r.value, bool) for r in rows)
    sources = {r.source for r in rows}
    for expected in ("Table 1", "Table 2", "Table 3", "Table 4", "Table 5", "Table 6", "Table 7", "Table 8"):
        assert expected in sources
    assert {"Sec. 5.1 (residual connections)", "Sec. 5.1 (Performance)", "Sec. 4", "Appendix A"} <= sources
    assert len({(r.what, r.source) for r in rows}) == len(rows)
    assert paper.values() == frozenset(r.value for r in rows)
    assert 22.2 in paper.values() and 0.95 in paper.values()


def test_cifar_recipe_of_appendix_a():
    recipe = paper.CIFAR_RECIPE
    assert (recipe.batch_size, recipe.gpus, recipe.learning_rate, recipe.momentum) == (128, 8, 0.1, 0.9)
    assert (recipe.weight_decay, recipe.epochs, recipe.lr_drops) == (0.0005, 300, (150, 225))
    assert recipe.lr_drop_factor is None  # Appendix A does not state it
    assert (recipe.train_images, recipe.test_images) == (50_000, 10_000)


def test_gpu_seconds_of_sec_5_1():
    seconds = {r.name: r.seconds_per_batch for r in paper.GPU_SECONDS}
    assert seconds == {"ResNet-101 (1×64d)": 0.70, "ResNeXt-101 (32×4d)": 0.95, "ResNeXt-101 (64×4d)": 1.7}
    assert all(r.gpus == 8 for r in paper.GPU_SECONDS)


def test_library_constants_come_from_paper():
    assert [(r["depth"], r["cardinality"], r["bottleneck_width"], r["top1"]) for r in plots.PAPER_TABLE3] == [
        (r.depth, r.cardinality, r.bottleneck_width, r.top1) for r in paper.TABLE3
    ]
    sgd = training.OPTIMIZERS["sgd"]
    assert (sgd["learning_rate"], sgd["weight_decay"], training.MOMENTUM) == (0.1, 0.0005, 0.9)


def test_records_are_frozen():
    with pytest.raises(AttributeError):
        paper.TABLE3[0].top1 = 20.0
