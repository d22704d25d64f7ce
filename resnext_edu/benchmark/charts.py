"""Charts of a measurement: ``plot_results`` (variants against the reference) and ``plot_sweep`` (against groups C).

Colours and styles come from ``resnext_edu.style``.
"""

import textwrap

import matplotlib.pyplot as plt
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter, NullLocator

from resnext_edu import style
from resnext_edu.benchmark.protocol import FOLDED
from resnext_edu.benchmark.reports import describe, number
from resnext_edu.benchmark.sweeps import KERAS_DEPTHWISE

#: Inference and training as the book's charts draw them, and folded inference in the palette's green.
_MODE_COLORS = {**style.MODE_COLORS, FOLDED: style.GREEN}


def plot_results(results, ax=None, title=None):
    """A bar chart of each variant's images/s relative to the reference, one bar per mode; returns the Figure.

    The y axis is logarithmic (ratios from thousandths to a few); bars grow from the reference's line at 1,
    down for slower variants and up for faster ones, each labelled with its ratio (the ratio of medians that
    ``table`` shows) and whiskered with its spread over rounds; skipped pairs are marked. Without a reference
    variant the bars show images/s.
    """
    own_figure = ax is None
    if own_figure:
        fig, ax = plt.subplots(figsize=(max(6.5, 1.1 * len(results.variants) + 2), 4.4), layout="constrained")
    else:
        fig = ax.figure
    modes = results.modes()
    ref = results.reference
    value = results.ratio if ref else results.median
    spread = results.ratio_spread if ref else results.spread
    colors = _MODE_COLORS
    width = 0.8 / max(1, len(modes))
    values = [x for v in results.variants for m in modes if value(v, m) for x in (spread(v, m) or [value(v, m)])]
    base = 1.0 if ref else min(values + [1.0]) / 2
    lo, hi = min(values + [base]) / 3, max(values + [base]) * 3
    for j, m in enumerate(modes):
        for i, v in enumerate(results.variants):
            xpos = i + (j - (len(modes) - 1) / 2) * width
            r = value(v, m)
            if r is None:
                reason = results.skipped.get(v, {}).get(m) or "not measured"
                ax.text(
                    xpos,
                    base / 1.08 if ref else base * 1.08,
                    reason,
                    rotation=90,
                    ha="center",
                    va="top" if ref else "bottom",
                    fontsize=8,
                    color=style.MUTED,
                )
                continue
            ax.bar(xpos, r - base, width * 0.92, bottom=base, color=colors[m], zorder=2)
            lo_r, hi_r = spread(v, m) or (r, r)
            if v != ref:
                ax.vlines(xpos, lo_r, hi_r, color=style.INK, lw=1, zorder=3)
            up = r >= base
            ax.text(
                xpos,
                hi_r * 1.08 if up else lo_r / 1.08,
                f"{number(r)}x" if ref else number(r),
                ha="center",
                va="bottom" if up else "top",
                fontsize=8,
                zorder=3,
            )
    ax.set_yscale("log")
    ax.set_ylim(lo, hi)
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}x" if ref else f"{y:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    if ref:
        ax.axhline(1.0, color=style.INK, lw=1, ls="--", zorder=1)
    ax.set_xticks(range(len(results.variants)), results.variants)
    ax.set_ylabel(f"images/s relative to {ref}" if ref else "images/s")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colors[m]) for m in modes]
    if own_figure:  # below the axes, where no bar or label can be
        fig.legend(handles, modes, loc="outside lower center", ncol=len(modes), frameon=False, fontsize=9)
    else:
        ax.legend(handles, modes, loc="best", frameon=False, fontsize=9)
    if title is None:
        title = textwrap.fill(describe(results).split(";")[0], int(11 * fig.get_figwidth()))
    ax.set_title(title, fontsize=10, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig


def plot_sweep(results, ax=None, title=None):
    """Images/s of each conv (``conv_sweep``) or block (``block_sweep``) against its groups C, relative to the first.

    One line per mode and op (markers only for an op measured at a single C, e.g. Keras' ``DepthwiseConv2D``); the grey
    dashed line is the speed-up the multiply-adds predict (first conv's over each conv's): flat for the equal-cost
    sweep (``EQUAL_MACS``), rising as 1/C at a fixed group width. Returns the Figure.
    """
    specs = results.config.get("specs")
    if results.config.get("network") not in ("conv", "blocks") or not specs:
        raise ValueError("plot_sweep needs the Results of conv_sweep or block_sweep (run's go to plot_results).")
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.5, 4.4), layout="constrained")
    else:
        fig = ax.figure
    ref = results.reference
    groups = sorted({s["groups"] for s in specs})
    by_groups = {}
    for s in specs:
        by_groups.setdefault(s["groups"], s["name"])
    predicted = [results.macs[ref] / results.macs[by_groups[g]] for g in groups]
    ax.plot(groups, predicted, color=style.GRAY, ls="--", lw=1.3, marker=".", label="if time followed multiply-adds")
    colors = _MODE_COLORS
    ops = [op for op in dict.fromkeys(s["implementation"] for s in specs) if op != "dense"]
    styles = dict(zip(ops, ("-", ":", "-.", (0, (5, 1)))))
    markers = dict(zip(ops, "osD^v"))
    values = list(predicted)
    for m in results.modes():
        for op in ops or ["dense"]:
            points = sorted(
                (s["groups"], results.ratio(s["name"], m))
                for s in specs
                if s["implementation"] in (op, "dense") and results.ratio(s["name"], m) is not None
            )
            single = len([g for g, _ in points if g > 1]) <= 1 and len(ops) > 1
            if single:
                points = [(g, r) for g, r in points if g > 1] or points
            if not points:
                continue
            xs, ys = zip(*points)
            values += ys
            if single:  # beside the line's point at the same C, not on it
                xs = [x * 1.12 for x in xs]
            ax.plot(
                xs,
                ys,
                color=colors[m],
                ls="none" if single else styles.get(op, "-"),
                lw=1.8,
                marker="*" if single else markers.get(op, "o"),
                markersize=10 if single else 5,
                label=f"{m}, " + (f"'{op}' op" if op not in ("dense", KERAS_DEPTHWISE) else f"{op}"),
            )
            offset = (9, 0) if single else (0, 7) if m == "inference" else (0, -8)
            ax.annotate(
                f"{ys[-1]:.2g}x",
                (xs[-1], ys[-1]),
                xytext=offset,
                textcoords="offset points",
                ha="left" if single else "center",
                va="center" if single else "bottom" if m == "inference" else "top",
                fontsize=8,
                color=colors[m],
            )
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(FixedLocator(groups))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_xlim(groups[0] / 1.4, groups[-1] * 1.8)
    ax.set_yscale("log")
    ax.set_ylim(min(values + [1.0]) / 2, max(values + [1.0]) * 2.5)
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}x"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.axhline(1.0, color=style.INK, lw=0.8, zorder=1)
    ax.set_xlabel("groups C (log scale)")
    ax.set_ylabel(f"images/s relative to {ref}")
    ax.legend(loc="upper left", frameon=False, fontsize=8.5)
    if title is None:
        title = textwrap.fill(describe(results).split(";")[0], int(11 * fig.get_figwidth()))
    ax.set_title(title, fontsize=10, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig
