"""Charts of what the paper measured (``resnext_edu.paper``) against what the library computes (``complexity``).

Errors are the paper's (reported, not computed here: each chart says so); costs and sizes are computed. Each
function returns a matplotlib ``Figure`` and never calls ``plt.show()``.
"""

from resnext_edu import complexity, paper
from resnext_edu.style import BLUE, FONT, GRAY, GREEN, INK, MUTED, ORANGE, RED, new_axes, style_axes, title

#: How each row of Table 4 reaches its cost, and its colour: the ResNet-101 baseline, then depth, width, cardinality.
TABLE4_FACTORS = {
    "ResNet-101 (1×64d)": ("baseline (1×)", GRAY),
    "ResNeXt-101 (32×4d)": ("cardinality (1×)", BLUE),
    "ResNet-200 (1×64d)": ("deeper (2×)", ORANGE),
    "ResNet-101, wider (1×100d)": ("wider (2×)", RED),
    "ResNeXt-101 (2×64d)": ("cardinality (2×)", GREEN),
    "ResNeXt-101 (64×4d)": ("cardinality (2×)", GREEN),
}


def table4_points():
    """``(row, multiply-adds)`` for each row of Table 4: the paper's errors beside the library's count at 224."""
    return [(row, complexity.model_macs(row.depth, row.cardinality, row.bottleneck_width)) for row in paper.TABLE4]


def _note(ax, text):
    ax.text(0.0, -0.2, text, transform=ax.transAxes, fontsize=FONT - 1, color=MUTED, va="top")


def table4(ax=None):
    """Table 4: top-1 error (reported) against multiply-adds (computed). Arrows go from ResNet-101 to the three
    ways of doubling its cost, and from ResNeXt-101 (32×4d) to 64×4d: cardinality gains the most per multiply-add."""
    fig, ax = new_axes(ax, (7.6, 4.6))
    points = {row.name: (macs / 1e9, row.top1) for row, macs in table4_points()}
    seen = set()
    for name, (x, y) in points.items():
        label, color = TABLE4_FACTORS[name]
        ax.scatter([x], [y], s=46, color=color, zorder=3, label=None if label in seen else label)
        seen.add(label)
        ax.annotate(
            f"{name}\n{y:.1f} %",
            (x, y),
            xytext=(8, 0),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=FONT - 0.5,
            color=INK,
        )
    arrows = [
        ("ResNet-101 (1×64d)", "ResNet-200 (1×64d)"),
        ("ResNet-101 (1×64d)", "ResNet-101, wider (1×100d)"),
        ("ResNet-101 (1×64d)", "ResNeXt-101 (2×64d)"),
        ("ResNeXt-101 (32×4d)", "ResNeXt-101 (64×4d)"),
    ]
    for start, end in arrows:
        color = TABLE4_FACTORS[end][1]
        ax.annotate("", points[end], points[start], arrowprops=dict(arrowstyle="->", color=color, lw=1.1, alpha=0.7))
    xs = [x for x, _ in points.values()]
    ys = [y for _, y in points.values()]
    ax.set_xlim(min(xs) - 1.5, max(xs) + 6.5)
    ax.set_ylim(min(ys) - 0.3, max(ys) + 0.35)
    ax.set_xlabel("multiply-adds at 224×224 (G), computed by resnext_edu.complexity", color=INK)
    ax.set_ylabel("top-1 error (%), lower is better", color=INK)
    style_axes(ax)
    ax.spines[["right"]].set_visible(False)
    ax.legend(loc="lower left", fontsize=FONT - 0.5, frameon=False)
    title(ax, "Table 4: doubling ResNet-101's cost by depth, width or cardinality")
    _note(ax, "errors reported by Xie et al. 2017, Table 4 (not computed here); multiply-adds computed")
    return fig


def table7_points():
    """``(row, computed size)`` of Table 7's rows; the computed size is None for Wide ResNet (not built here)."""
    out = []
    for row in paper.TABLE7:
        size = None
        if row.depth == 29:
            size = complexity.resnext29_params(row.cardinality, row.bottleneck_width, batchnorm=False)
        out.append((row, size))
    return out


def table7(axes=None):
    """Table 7: CIFAR-10 and CIFAR-100 test error (reported, mean of 10 runs) against model size (M, as printed),
    Wide ResNet beside ResNeXt-29 (8×64d) and (16×64d)."""
    import matplotlib.pyplot as plt

    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(8.6, 3.8), layout="constrained")
    fig = axes[0].figure
    colors = {"Wide ResNet": GRAY, "ResNeXt-29 (8×64d)": BLUE, "ResNeXt-29 (16×64d)": GREEN}
    for ax, metric, name in zip(axes, ("cifar10", "cifar100"), ("CIFAR-10", "CIFAR-100")):
        for row, _ in table7_points():
            y = getattr(row, metric)
            ax.scatter([row.params], [y], s=46, color=colors[row.name], zorder=3)
            ax.annotate(
                f"{row.name}\n{y:.2f} %",
                (row.params, y),
                xytext=(0, 8),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=FONT - 1,
                color=INK,
            )
        ys = [getattr(r, metric) for r in paper.TABLE7]
        span = max(ys) - min(ys)
        ax.set_ylim(min(ys) - 0.25 * span, max(ys) + 0.45 * span)
        ax.set_xlim(20, 85)
        ax.set_xlabel("parameters (M), as Table 7 prints them", color=INK)
        ax.set_ylabel(f"{name} test error (%)", color=INK)
        style_axes(ax)
        ax.spines[["right"]].set_visible(False)
        title(ax, f"Table 7: {name}", size=FONT + 1)
    _note(axes[0], "errors reported by Xie et al. 2017, Table 7 (mean of 10 runs; not computed here)")
    return fig


__all__ = ["TABLE4_FACTORS", "table4_points", "table4", "table7_points", "table7"]
