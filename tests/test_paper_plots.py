"""Charts of ``resnext_edu.plots``: the paper's reported errors at the costs the library computes."""

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from resnext_edu import complexity, paper, plots, style  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def points(ax):
    """(x, y, colour) of every scatter point of ``ax``."""
    found = []
    for collection in ax.collections:
        colors = [matplotlib.colors.to_hex(c) for c in collection.get_facecolors()]
        found += [(x, y, colors[0]) for x, y in collection.get_offsets()]
    return found


def assert_no_overlapping_text(fig):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for ax in fig.axes for t in ax.texts if t.get_text()]
    clashes = [(a, b) for (a, p), (b, q) in itertools.combinations(boxes, 2) if p.overlaps(q)]
    assert not clashes, clashes


def test_table4_plots_reported_errors_at_computed_costs():
    fig = plots.table4()
    ax = fig.axes[0]
    expected = [
        (complexity.model_macs(r.depth, r.cardinality, r.bottleneck_width) / 1e9, r.top1, r.name) for r in paper.TABLE4
    ]
    got = points(ax)
    assert [(round(x, 6), y) for x, y, _ in got] == [(round(x, 6), y) for x, y, _ in expected]
    colors = {name: color for (_, _, color), (_, _, name) in zip(got, expected)}
    assert colors["ResNet-200 (1×64d)"] == style.ORANGE and colors["ResNeXt-101 (64×4d)"] == style.GREEN
    assert any("reported by Xie et al. 2017, Table 4 (not computed here)" in t for t in texts(fig))
    assert sum("%" in t for t in texts(fig)) == len(paper.TABLE4)
    assert_no_overlapping_text(fig)


def test_table4_points_pair_rows_with_their_cost():
    for row, macs in plots.table4_points():
        assert macs == complexity.model_macs(row.depth, row.cardinality, row.bottleneck_width)


def test_table7_plots_both_datasets_as_printed():
    fig = plots.table7()
    for ax, metric in zip(fig.axes, ("cifar10", "cifar100")):
        assert [(x, y) for x, y, _ in points(ax)] == [(r.params, getattr(r, metric)) for r in paper.TABLE7]
    assert any("Table 7" in t and "not computed here" in t for t in texts(fig))
    assert_no_overlapping_text(fig)


def test_table7_points_compute_the_resnext_sizes():
    sizes = {row.name: size for row, size in plots.table7_points()}
    assert sizes["Wide ResNet"] is None
    assert round(sizes["ResNeXt-29 (8×64d)"] / 1e6, 1) == 34.4
    assert round(sizes["ResNeXt-29 (16×64d)"] / 1e6, 1) == 68.1
