"""Figures of ``resnext_edu.plots`` show what the library builds and computes.

Block diagrams are read from built Keras blocks (paper Fig. 1 and Fig. 3 of Xie et al. 2017,
arXiv 1611.05431), so their labels must carry the layers' real channels, kernels, groups and
strides; Table 2's bars must have the weights of the paper's Table 2; the network
diagram and ``stage_table_frame`` must give Table 1's counts (README, "Reference counts"), whether computed from a
``complexity.Architecture`` or read from a model. Texts must not overlap and box labels must fit
in their boxes (the figures are drawn for notebook width). Agg backend; figures closed after each test.
"""

import itertools

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import FancyBboxPatch, Rectangle  # noqa: E402

from resnext_edu import blocks, complexity, equivalence, models, plots  # noqa: E402

TABLE2_WEIGHTS = [69_632, 69_760, 69_888, 71_456, 70_144]  # paper Table 2, C = 1, 2, 4, 8, 32
TABLE2_GROUP_WIDTHS = [64, 80, 96, 112, 128]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def block_model(form, in_channels, filters, cardinality, width, strides=1, name="block"):
    inputs = keras.Input((8, 8, in_channels))
    outputs = blocks.resnext_block(inputs, filters, cardinality, width, strides, form=form, name=name)
    return keras.Model(inputs, outputs)


def texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [t.get_text() for t in fig.texts]


def count(fig, fragment):
    return sum(fragment in t for t in texts(fig))


def text_extents(fig):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return [
        (t.get_text(), t.get_window_extent(renderer))
        for ax in fig.axes
        for t in ax.texts
        if t.get_text().strip() and t.get_visible()
    ]


def assert_no_overlapping_text(fig):
    """No two texts of the figure share more than 1 square pixel."""
    clashes = []
    for (a, box_a), (b, box_b) in itertools.combinations(text_extents(fig), 2):
        both = box_a.intersection(box_a, box_b)
        if both is not None and both.width * both.height > 1:
            clashes.append((a, b))
    assert not clashes, f"overlapping texts: {clashes[:5]}"


def assert_labels_inside_boxes(fig):
    """Every conv label ("in, kxk, out") lies inside a drawn box."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [p.get_window_extent(renderer) for ax in fig.axes for p in ax.patches if isinstance(p, FancyBboxPatch)]
    for text, extent in text_extents(fig):
        if "1x1," in text or "3x3," in text:
            assert any(
                b.x0 <= extent.x0 and extent.x1 <= b.x1 and b.y0 <= extent.y0 and extent.y1 <= b.y1 for b in boxes
            ), f"label {text!r} sticks out of its box"


# --- block_diagram -----------------------------------------------------------------------------


def test_form_a_draws_one_column_per_path_with_the_real_channels():
    fig = plots.block_diagram(block_model("a", 64, 64, 4, 4))
    assert count(fig, "3x3") == 4  # one 3x3 box per path
    assert count(fig, "1x1") == 8  # 1x1 in and 1x1 out per path; identity shortcut has no box
    assert texts(fig).count("64, 1x1, 4") == 4
    assert texts(fig).count("4, 3x3, 4") == 4
    assert texts(fig).count("4, 1x1, 64") == 4
    assert "C = 4 paths" in texts(fig)
    assert "identity shortcut" in texts(fig)
    assert "(a) aggregated transformations" in texts(fig)
    assert any("C = 4, d = 4" in t for t in texts(fig))
    assert "64-d in" in texts(fig) and "64-d out" in texts(fig)
    assert count(fig, "+") == 2  # the sum of the paths and the residual sum
    assert_labels_inside_boxes(fig)
    assert_no_overlapping_text(fig)


def test_form_c_shows_the_grouped_conv():
    fig = plots.block_diagram(block_model("c", 64, 64, 4, 4))
    assert {"64, 1x1, 16", "16, 3x3, 16, groups=4", "16, 1x1, 64"} <= set(texts(fig))
    assert count(fig, "3x3") == 1
    assert count(fig, "/2") == 0
    assert any("(c) grouped convolution" in t for t in texts(fig))
    assert_labels_inside_boxes(fig)
    assert_no_overlapping_text(fig)


def test_strided_form_b_shows_stride_concatenation_and_projection():
    fig = plots.block_diagram(block_model("b", 64, 128, 4, 4, strides=2))
    assert texts(fig).count("4, 3x3, 4, /2") == 4  # the stride sits in each path's 3x3
    assert "64, 1x1, 128, /2" in texts(fig)  # the projection shortcut, strided too
    assert any("projection" in t for t in texts(fig))
    assert "identity shortcut" not in texts(fig)
    assert "concatenate" in texts(fig) and "16-d" in texts(fig)
    assert "16, 1x1, 128" in texts(fig)  # the one 1x1 after the concatenation
    assert count(fig, "+") == 1
    assert_labels_inside_boxes(fig)
    assert_no_overlapping_text(fig)


@pytest.mark.parametrize("form", ["a", "b"])
def test_cardinality_32_draws_four_paths_and_an_ellipsis(form):
    fig = plots.block_diagram(block_model(form, 256, 256, 32, 4))
    assert count(fig, "3x3") == 4  # paths 1, 2, 3 and 32
    assert count(fig, "…") == (3 if form == "a" else 2)  # one per row of boxes
    assert "C = 32 paths" in texts(fig)
    assert_labels_inside_boxes(fig)
    assert_no_overlapping_text(fig)


def test_bottleneck_draws_as_figure_1_left():
    inputs = keras.Input((8, 8, 256))
    fig = plots.block_diagram(keras.Model(inputs, blocks.bottleneck_block(inputs, 256)))
    assert {"256, 1x1, 64", "64, 3x3, 64", "64, 1x1, 256"} <= set(texts(fig))
    assert count(fig, "groups") == 0
    assert "ResNet bottleneck" in texts(fig)
    assert any("Fig. 1" in t for t in texts(fig))


@pytest.mark.parametrize("form", ["a", "b", "c"])
def test_a_block_spec_draws_what_the_model_draws(form):
    model = block_model(form, 64, 128, 8, 4, strides=2)
    (spec,) = equivalence.find_blocks(model)
    assert sorted(texts(plots.block_diagram(spec))) == sorted(texts(plots.block_diagram(model)))


def test_block_chooses_the_block_and_title_replaces_the_heading():
    inputs = keras.Input((8, 8, 64))
    x = blocks.resnext_block(inputs, 64, 4, 4, form="c", name="first")
    x = blocks.resnext_block(x, 128, 2, 8, strides=2, form="a", name="second")
    model = keras.Model(inputs, x)
    assert "16, 3x3, 16, groups=4" in texts(plots.block_diagram(model))  # the first block by default
    fig = plots.block_diagram(model, title="the second block", block="second")
    assert texts(fig).count("8, 3x3, 8, /2") == 2 and "the second block" in texts(fig)
    with pytest.raises(ValueError, match="no block named 'third'"):
        plots.block_diagram(model, block="third")


def test_block_diagram_draws_on_a_given_axes():
    fig, axes = plt.subplots(1, 2, figsize=(10, 5))
    spec = equivalence.BlockSpec("x", "c", 256, 256, 32, 4, 1)
    assert plots.block_diagram(spec, ax=axes[1]) is fig
    assert "128, 3x3, 128, groups=32" in [t.get_text() for t in axes[1].texts]
    assert not axes[0].texts


def test_block_diagram_rejects_what_is_not_a_block():
    dense = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="holds no resnext_edu block"):
        plots.block_diagram(dense)
    with pytest.raises(ValueError, match="BlockSpec"):
        plots.block_diagram(42)
    with pytest.raises(ValueError, match="cardinality"):
        plots.block_diagram(equivalence.BlockSpec("x", "c", 64, 64, 0, 4, 1))
    with pytest.raises(ValueError, match="form"):
        plots.block_diagram(equivalence.BlockSpec("x", "z", 64, 64, 4, 4, 1))


def test_forms_side_by_side_has_three_panels_with_equal_counts():
    fig = plots.forms_side_by_side()
    assert len(fig.axes) == 3
    assert all(ax.texts and ax.patches for ax in fig.axes)  # each panel drawn
    # 4 (256*4 + 9*4*4 + 4*256) = 8,768 conv weights + 2 (16 + 16 + 256) BN = 9,344 in each form
    assert texts(fig).count("9,344 trainable parameters") == 3
    for form in "abc":
        assert any(t.startswith(f"({form})") for t in texts(fig))
    assert_labels_inside_boxes(fig)
    assert_no_overlapping_text(fig)
    width, height = fig.get_size_inches()
    assert 8 <= width <= 12 and 4 <= height <= 7


def test_forms_side_by_side_rejects_bad_cardinality():
    with pytest.raises(ValueError, match="cardinality"):
        plots.forms_side_by_side(cardinality=0)


# --- Table 2, the sweep, Table 3 ---------------------------------------------------------------


def test_table2_bars_have_the_papers_weights():
    fig = plots.table2_bars()
    ax = fig.axes[0]
    assert [round(p.get_height()) for p in ax.patches if isinstance(p, Rectangle)] == TABLE2_WEIGHTS
    reference = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(reference) == 1 and list(reference[0].get_ydata()) == [69_632, 69_632]
    group = [line for ax_ in fig.axes for line in ax_.get_lines() if line.get_marker() == "o"]
    assert list(group[0].get_ydata()) == TABLE2_GROUP_WIDTHS
    labels = [t.get_text() for t in ax.texts]
    assert labels == ["1×64d\n69,632", "2×40d\n69,760", "4×24d\n69,888", "8×14d\n71,456", "32×4d\n70,144"]
    assert_no_overlapping_text(fig)


def test_table2_bars_rejects_bad_cardinalities():
    for bad in [(0, 2), (), "12", 4, (2.5,)]:
        with pytest.raises(ValueError, match="cardinalit"):
            plots.table2_bars(bad)


def test_cardinality_sweep_keeps_the_cost_flat():
    fig = plots.cardinality_sweep(64)
    left, right = fig.axes
    d_line, group_line = left.get_lines()[:2]
    cs = list(d_line.get_xdata())
    assert cs == list(range(1, 65))
    ds = list(d_line.get_ydata())
    assert [ds[c - 1] for c in (1, 2, 4, 8, 32)] == [64, 40, 24, 14, 4]  # Table 2's widths
    assert list(group_line.get_ydata()) == [c * d for c, d in zip(cs, ds)]
    weights = list(right.get_lines()[0].get_ydata())
    assert [weights[c - 1] for c in (1, 2, 4, 8, 32)] == TABLE2_WEIGHTS
    assert all(0.75 < w / 69_632 < 1.25 for w in weights)  # flat near the C = 1 cost, all the way to 64
    assert list(left.get_xticks()) == [1, 2, 4, 8, 16, 32, 64]
    with pytest.raises(ValueError, match="max_cardinality"):
        plots.cardinality_sweep(0)


def test_paper_table3_plots_the_papers_data_and_says_so():
    assert len(plots.PAPER_TABLE3) == 10
    fig = plots.paper_table3()
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert list(lines[0].get_ydata()) == [23.9, 23.0, 22.6, 22.3, 22.2]  # ResNet-50 -> ResNeXt-50 32x4d
    assert list(lines[1].get_ydata()) == [22.0, 21.7, 21.4, 21.3, 21.2]  # ResNet-101 -> ResNeXt-101 32x4d
    assert list(lines[0].get_xdata()) == [1, 2, 4, 8, 32]
    assert any("reported by Xie et al. 2017, Table 3 (not computed here)" in t for t in texts(fig))
    assert_no_overlapping_text(fig)


# --- Table 1: network_diagram, compare_networks, stage_table_frame -----------------------------


def test_network_diagram_of_an_architecture_is_table_1():
    fig = plots.network_diagram(complexity.imagenet_architecture(50, 32, 4))
    found = texts(fig)
    assert [t for t in found if t.startswith("× ")] == ["× 3", "× 4", "× 6", "× 3"]
    assert {"3x3, 128, C=32", "3x3, 1024, C=32", "1x1, 2048", "7x7, 64, stride 2"} <= set(found)
    assert "3x3 max pool, stride 2" in found
    assert {"56×56", "7×7", "ResNeXt-50 (32×4d)", "25,028,904 params", "4.230 G multiply-adds"} <= set(found)
    assert "205,824 params  ·  0.634 G MACs" in found  # conv2, from complexity.stage_table
    assert_no_overlapping_text(fig)


@pytest.fixture(scope="module")
def resnext50():
    return models.resnext50_32x4d()


@pytest.mark.slow
def test_a_model_reads_as_its_architecture(resnext50):
    from_model = plots.stage_table_frame(resnext50)
    from_arch = plots.stage_table_frame(complexity.imagenet_architecture(50, 32, 4))
    assert from_model.rows == from_arch.rows
    assert repr(from_model) == repr(from_arch)
    assert from_model.total_params == 25_028_904
    assert sorted(texts(plots.network_diagram(resnext50))) == sorted(
        texts(plots.network_diagram(complexity.imagenet_architecture(50, 32, 4)))
    )


def test_compare_networks_puts_resnet_next_to_resnext():
    fig = plots.compare_networks(
        complexity.imagenet_architecture(50, 1, 64), complexity.imagenet_architecture(50, 32, 4)
    )
    found = texts(fig)
    assert {
        "ResNet-50 (1×64d)",
        "ResNeXt-50 (32×4d)",
        "25,557,032 params",
        "25,028,904 params",
        "4.089 G multiply-adds",
        "4.230 G multiply-adds",
        "3x3, 64",
        "3x3, 128, C=32",
    } <= set(found)
    assert_no_overlapping_text(fig)


def test_stage_table_frame_text_and_html():
    table = plots.stage_table_frame(complexity.imagenet_architecture(50, 32, 4))
    text = repr(table).splitlines()
    assert text[0] == "ResNeXt-50 (32×4d), 224×224 input (Table 1, computed)"
    assert text[1].split() == [
        "stage",
        "output",
        "size",
        "blocks",
        "out",
        "channels",
        "group",
        "width",
        "(C)",
        "params",
        "multiply-adds",
    ]
    assert text[3].split() == ["conv2", "56×56", "3", "256", "128", "(C=32)", "205,824", "0.634", "G"]
    assert text[-1].split() == ["total", "25,028,904", "4.230", "G"]
    assert len(text) == 2 + 6 + 1
    assert str(table) == repr(table) == repr(plots.stage_table_frame(complexity.imagenet_architecture(50, 32, 4)))
    html = table._repr_html_()
    assert html.startswith("<table") and html.count("<tr") == 1 + 6 + 1 and "25,028,904" in html


def test_stage_table_frame_names_where_the_paper_specifies_the_network():
    """Table 1 for the ImageNet design; the CIFAR ResNeXt-29 is specified in Sec. 5.3 and Appendix A."""
    cifar = plots.stage_table_frame(complexity.cifar_architecture(8, 64))
    assert repr(cifar).splitlines()[0] == "ResNeXt-29 (8×64d), 32×32 input (Sec. 5.3, Appendix A, computed)"
    assert "Table 1" not in cifar._repr_html_()


def test_network_functions_reject_what_is_not_a_network():
    with pytest.raises(ValueError, match="Architecture"):
        plots.network_diagram("resnext50")
    with pytest.raises(ValueError, match="resnext_edu.models"):
        plots.network_diagram(block_model("c", 64, 64, 4, 4))
    with pytest.raises(ValueError, match="Architecture"):
        plots.stage_table_frame(None)


# --- the figure ---------------------------------------------------------------------------------------------------


def test_fixed_width_costs_stacks_the_layers_of_the_sweep():
    fig = plots.fixed_width_costs()
    ax = fig.axes[0]
    rows = complexity.fixed_width_sweep()
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == 3 * len(rows)
    heights = [round(b.get_height()) for b in bars]
    n = len(rows)
    assert heights[:n] == [r["params"]["conv1"] for r in rows]
    assert heights[n : 2 * n] == [r["params"]["conv3"] for r in rows]
    assert heights[2 * n :] == [r["params"]["conv2"] for r in rows]
    tops = [round(b.get_y() + b.get_height()) for b in bars[2 * n :]]
    assert tops == [r["total_params"] for r in rows]
    labels = [t.get_text() for t in ax.texts]
    assert labels[0] == "dense\n1×128d\n3x3: 69%" and labels[-1] == "depthwise\n128×1d\n3x3: 2%"
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(r["cardinality"]) for r in rows]
    reference = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert list(reference[0].get_ydata()) == [69_632, 69_632]
    with pytest.raises(ValueError, match="does not divide"):
        plots.fixed_width_costs(cardinalities=[1, 3])
