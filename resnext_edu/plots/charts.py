"""Charts of the paper's tables: Table 2 recomputed, the cardinality sweep, a fixed group width, Table 3 as reported."""

import math

from matplotlib.ticker import FixedLocator, FuncFormatter

from resnext_edu import complexity, paper
from resnext_edu._checks import positive_int
from resnext_edu.style import (
    BLUE,
    GRAY,
    GREEN,
    INK,
    ORANGE,
    RED,
    TITLE,
    log2_axis,
    new_axes,
    style_axes,
)  # fmt: skip

# --- the paper's data (resnext_edu.paper) -----------------------------------------------------

#: Alias of ``paper.TABLE3`` as dicts, for the chapters that still read it (new code: ``resnext_edu.paper``).
PAPER_TABLE3 = tuple(
    dict(depth=r.depth, cardinality=r.cardinality, bottleneck_width=r.bottleneck_width, top1=r.top1)
    for r in paper.TABLE3
)

#: Table 2 is about the conv2 stage's block: 256-d in, 256-d out (Table 1's first stage).
TABLE2_CHANNELS = 256


# --- Table 2 and the cardinality sweep ---------------------------------------------------------


def _cardinalities(cardinalities):
    if isinstance(cardinalities, (str, bytes)) or not hasattr(cardinalities, "__iter__"):
        raise ValueError(f"cardinalities must be a sequence of whole numbers >= 1; got {cardinalities!r}.")
    values = [positive_int("cardinality", c) for c in cardinalities]
    if not values:
        raise ValueError("cardinalities must not be empty.")
    return values


def table2_bars(cardinalities=(1, 2, 4, 8, 32), ax=None):
    """The paper's Table 2 recomputed: conv2-block weights for each C at the width d that keeps the cost.

    d comes from ``complexity.width_for_cardinality`` and the weights from ``complexity.block_params``
    (256-d in and out, conv weights only, as the table counts them). Bars are labelled "C×d" and
    the weights; a dashed line marks the C = 1 cost; the orange line (right axis) is the group
    width C·d, the channels of the grouped 3x3.
    """
    cs = _cardinalities(cardinalities)
    ch = TABLE2_CHANNELS
    ds = [complexity.width_for_cardinality(c, ch, ch) for c in cs]
    weights = [complexity.block_params(ch, ch, c, d) for c, d in zip(cs, ds)]
    reference = complexity.block_params(ch, ch, 1, complexity.width_for_cardinality(1, ch, ch))
    fig, ax = new_axes(ax, (7.5, 4.2))
    xs = range(len(cs))
    bars = ax.bar(xs, weights, width=0.62, color="#c9d9ec", edgecolor=BLUE, linewidth=0.9, zorder=2)
    for bar, c, d, w in zip(bars, cs, ds, weights):
        ax.text(
            bar.get_x() + bar.get_width() / 2,
            w + 0.015 * reference,
            f"{c}×{d}d\n{w:,}",
            ha="center",
            va="bottom",
            fontsize=9,
            color=INK,
        )
    ax.axhline(
        reference, color=RED, linestyle="--", linewidth=1.1, zorder=3, label=f"C = 1 cost: {reference:,} weights"
    )
    ax.set_ylim(0, max(weights + [reference]) * 1.32)
    ax.set_xticks(list(xs), [f"C = {c}" for c in cs])
    ax.set_xlim(-0.6, len(cs) - 0.4)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:.0f}k"))
    ax.set_ylabel("weights of one conv2 block", color=INK)
    ax.set_xlabel("cardinality C (with bottleneck width d chosen to keep the cost)", color=INK)
    style_axes(ax)
    right = ax.twinx()
    group = [c * d for c, d in zip(cs, ds)]
    (line,) = right.plot(
        list(xs), group, color=ORANGE, marker="o", linewidth=1.6, zorder=4, label="group width C·d (right axis)"
    )
    for x, g in zip(xs, group):
        right.annotate(
            f"{g}",
            (x, g),
            xytext=(0, -13),
            textcoords="offset points",
            ha="center",
            fontsize=8.5,
            color=ORANGE,
            fontweight="bold",
        )
    right.set_ylim(0, max(group) * 2.8)
    step = 32 if max(group) > 64 else 16
    right.set_yticks(range(0, max(group) + step, step))
    right.set_ylabel("group width C·d (channels)", color=ORANGE)
    right.tick_params(axis="y", colors=ORANGE, labelsize=9)
    right.spines[["top"]].set_visible(False)
    right.spines["right"].set_color(ORANGE)
    handles = [bars, ax.get_lines()[0], line]
    ax.legend(
        handles,
        ["block weights (conv only)", f"C = 1 cost: {reference:,}", "group width C·d"],
        loc="upper left",
        fontsize=8.5,
        frameon=False,
        ncol=3,
    )
    ax.set_title(
        "Table 2, recomputed: more paths, thinner paths, same cost", fontsize=TITLE + 0.5, color=INK, loc="left"
    )
    return fig


def cardinality_sweep(max_cardinality=64, in_channels=256, out_channels=256, ax=None):
    """Width d and group width C·d against C at equal cost, and the block's weights staying flat.

    For every C from 1 to ``max_cardinality``, d = ``complexity.width_for_cardinality(C)`` keeps
    the block's weights (``complexity.block_params``, right axis) near the C = 1, d = 64 block:
    the whole range of the chapter's cardinality explorer, and Table 2's rule beyond its five rows.
    """
    top = positive_int("max_cardinality", max_cardinality)
    cin = positive_int("in_channels", in_channels)
    cout = positive_int("out_channels", out_channels)
    cs, ds = [], []
    for c in range(1, top + 1):
        d = complexity.width_for_cardinality(c, cin, cout)
        if d >= 1:
            cs.append(c)
            ds.append(d)
    weights = [complexity.block_params(cin, cout, c, d) for c, d in zip(cs, ds)]
    reference = weights[0]
    fig, ax = new_axes(ax, (8.5, 4.4))
    ax.plot(cs, ds, color=BLUE, linewidth=1.8, label="bottleneck width d")
    ax.plot(cs, [c * d for c, d in zip(cs, ds)], color=ORANGE, linewidth=1.8, label="group width C·d")
    marks = [c for c in cs if c & (c - 1) == 0]
    for c in marks:
        d = ds[c - 1]
        ax.plot([c], [d], "o", color=BLUE, markersize=4)
        ax.plot([c], [c * d], "o", color=ORANGE, markersize=4)
        ax.annotate(
            f"{c}×{d}d",
            (c, d),
            xytext=(0, -13) if c == 1 else (0, 6),
            textcoords="offset points",
            ha="center",
            fontsize=7.5,
            color=BLUE,
        )
    log2_axis(ax, 1, max(cs))
    ax.set_xlim(0.85, max(cs) * 1.15)
    ax.set_ylim(0, max(max(c * d for c, d in zip(cs, ds)), max(ds)) * 2.0)
    ax.set_xlabel("cardinality C (log scale)", color=INK)
    ax.set_ylabel("channels", color=INK)
    style_axes(ax)
    right = ax.twinx()
    right.plot(cs, weights, color=GRAY, linewidth=1.4, label="block weights (right axis)")
    right.axhline(reference, color=RED, linestyle="--", linewidth=1.0, label=f"C = 1 cost: {reference:,} (right axis)")
    right.set_ylim(0, max(weights) * 1.2)
    right.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:.0f}k"))
    right.set_ylabel("weights of one block", color=GRAY)
    right.tick_params(axis="y", colors=GRAY, labelsize=9)
    right.spines[["top"]].set_visible(False)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = right.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper left", ncol=2, fontsize=8.5, frameon=False)
    ax.set_title(
        f"Equal cost across cardinality: {cin}-d in, {cout}-d out, C = 1..{max(cs)}",
        fontsize=TITLE + 0.5,
        color=INK,
        loc="left",
    )
    return fig


def fixed_width_costs(group_width=128, in_channels=256, out_channels=256, cardinalities=None, size=56, ax=None):
    """The block's conv weights against C at a fixed group width W = C·d, stacked by layer (log2 axis).

    Rows from ``complexity.fixed_width_sweep``: the two 1x1s (blue) stay put while the grouped 3x3
    (orange) shrinks as 1/C, from a dense 3x3 at C = 1 to a depthwise one at C = W (Xception, Chollet
    2017; MobileNet, Howard et al. 2017). Each bar is labelled with the 3x3's share; the right axis
    reads the same bars as multiply-adds at ``size`` x ``size`` (stride 1: weights x size²); the dashed
    line is the ResNet bottleneck (1×(out/4)d, He et al. 2016) that Table 2 holds the cost to.
    """
    rows = complexity.fixed_width_sweep(group_width, in_channels, out_channels, cardinalities, size)
    fig, ax = new_axes(ax, (8.2, 4.6))
    xs = [math.log2(r["cardinality"]) for r in rows]
    parts = (
        ("conv1", "1x1 reduce", "#c9d9ec", BLUE),
        ("conv3", "1x1 restore", "#9dbbd9", BLUE),
        ("conv2", "3x3, C groups", "#f3c99b", ORANGE),
    )
    bottom = [0] * len(rows)
    for key, label, face, edge in parts:
        heights = [r["params"][key] for r in rows]
        ax.bar(xs, heights, width=0.62, bottom=bottom, color=face, edgecolor=edge, linewidth=0.8, label=label, zorder=2)
        bottom = [b + h for b, h in zip(bottom, heights)]
    top = max(bottom)
    for x, r, b in zip(xs, rows, bottom):
        share = r["params"]["conv2"] / r["total_params"]
        ax.text(
            x,
            b + 0.015 * top,
            f"{r['kind']}\n{r['cardinality']}×{r['bottleneck_width']}d\n3x3: {share:.0%}",
            ha="center",
            va="bottom",
            fontsize=7.8,
            color=INK,
        )
    resnet_width = out_channels // 4
    if resnet_width >= 1:
        reference = complexity.block_params(in_channels, out_channels, 1, resnet_width)
        ax.axhline(
            reference,
            color=RED,
            linestyle="--",
            linewidth=1.0,
            zorder=3,
            label=f"ResNet bottleneck 1×{resnet_width}d: {reference:,}",
        )
    ax.set_xticks(xs, [f"{r['cardinality']}" for r in rows])
    ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
    ax.set_ylim(0, top * 1.38)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:.0f}k"))
    ax.set_ylabel("conv weights of one block", color=INK)
    ax.set_xlabel(f"cardinality C (log scale), d = {group_width} / C", color=INK)
    style_axes(ax)
    area = size * size
    right = ax.secondary_yaxis("right", functions=(lambda v: v * area / 1e6, lambda v: v * 1e6 / area))
    right.set_ylabel(f"multiply-adds at {size}x{size} (millions)", color=GRAY)
    right.tick_params(colors=GRAY, labelsize=9)
    ax.legend(loc="upper right", fontsize=8.5, frameon=False, ncol=2)
    ax.set_title(
        f"Fixed group width {group_width}: {in_channels}-d in, {out_channels}-d out, C = "
        f"{rows[0]['cardinality']}..{rows[-1]['cardinality']}",
        fontsize=TITLE + 0.5,
        color=INK,
        loc="left",
    )
    return fig


def paper_table3(ax=None):
    """The paper's Table 3: ImageNet-1K top-1 error against cardinality at roughly equal cost.

    Data reported by Xie et al. 2017 (``PAPER_TABLE3``), not computed here: ResNet-50/101
    (1×64d) and ResNeXt-50/101 with 2×40d, 4×24d, 8×14d, 32×4d, 224x224 single-crop validation.
    """
    fig, ax = new_axes(ax, (7.5, 4.4))
    for depth, color in ((50, BLUE), (101, GREEN)):
        rows = [r for r in PAPER_TABLE3 if r["depth"] == depth]
        cs, errs = [r["cardinality"] for r in rows], [r["top1"] for r in rows]
        ax.plot(
            cs, errs, "-o", color=color, linewidth=1.8, markersize=5, label=f"ResNet-{depth} (C = 1) → ResNeXt-{depth}"
        )
        for r in rows:
            ax.annotate(
                f"{r['cardinality']}×{r['bottleneck_width']}d\n{r['top1']:.1f}",
                (r["cardinality"], r["top1"]),
                xytext=(0, 7),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=8,
                color=color,
            )
    cs = sorted({r["cardinality"] for r in PAPER_TABLE3})
    log2_axis(ax, 1, max(cs))
    ax.xaxis.set_major_locator(FixedLocator(cs))
    ax.set_xlim(0.75, max(cs) * 1.35)
    errs = [r["top1"] for r in PAPER_TABLE3]
    ax.set_ylim(min(errs) - 0.35, max(errs) + 0.65)
    ax.set_xlabel("cardinality C (bottleneck width d set to keep the cost, log scale)", color=INK)
    ax.set_ylabel("top-1 error (%), lower is better", color=INK)
    style_axes(ax)
    ax.spines[["right"]].set_visible(False)
    ax.legend(loc="upper right", fontsize=8.5, frameon=False)
    ax.set_title(
        "Table 3: ImageNet-1K top-1 error at equal cost (224×224, single crop)",
        fontsize=TITLE + 0.5,
        color=INK,
        loc="left",
    )
    ax.text(
        0.01,
        0.02,
        "data reported by Xie et al. 2017, Table 3 (not computed here)",
        transform=ax.transAxes,
        fontsize=8.5,
        color=INK,
        style="italic",
        ha="left",
        va="bottom",
    )
    return fig
