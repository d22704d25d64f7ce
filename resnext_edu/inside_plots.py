"""Figures of ``resnext_edu.inside``: a trained ResNeXt's paths, drawn from the model (colours from ``style``)."""

import numpy as np

from resnext_edu import inside, style


def plot_filters(model, block):
    """Every path's 3x3 kernels in ``block``'s grouped conv: one panel a path, d out (rows) by d in (columns)."""
    import matplotlib.pyplot as plt

    p = inside.block_paths(model, block)
    kernels = [inside.path_filters(model, block, i) for i in range(p.cardinality)]
    limit = max(float(np.abs(k).max()) for k in kernels)
    d = p.bottleneck_width
    fig, axes = plt.subplots(1, p.cardinality, figsize=(1.5 * p.cardinality + 1.0, 1.9), squeeze=False)
    for i, (ax, kernel) in enumerate(zip(axes[0], kernels)):
        mosaic = np.full((4 * d - 1, 4 * d - 1), np.nan)  # d x d kernels of 3x3, one pixel apart
        for o in range(d):
            for j in range(d):
                mosaic[4 * o : 4 * o + 3, 4 * j : 4 * j + 3] = kernel[:, :, j, o]
        image = ax.imshow(mosaic, cmap=style.DIVERGING, vmin=-limit, vmax=limit)
        ax.set_title(f"path {i + 1}", fontsize=style.FONT, color=style.INK)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(image, ax=list(axes[0]), shrink=0.85, label="weight")
    fig.suptitle(f"{block}: the 3×3 kernels of each path ({d} in × {d} out)", fontsize=style.TITLE, color=style.INK)
    return fig


def plot_activations(model, block, image):
    """One image, and each path's d maps after its 3x3 in ``block``: a column a path, a row a channel of it."""
    import matplotlib.pyplot as plt

    p = inside.block_paths(model, block)
    every = inside.block_activations(model, block, image[None])[0]
    maps = [every[..., p.channels(i)] for i in range(p.cardinality)]
    top = max(float(m.max()) for m in maps) or 1.0
    shown = min(p.bottleneck_width, 6)
    columns = p.cardinality + 1
    fig, axes = plt.subplots(shown, columns, figsize=(max(1.0 * columns, 5.0), 1.0 * shown + 0.5), squeeze=False)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.axis("off")
    axes[0][0].axis("on")
    axes[0][0].imshow(image[..., 0], cmap=style.GRAYSCALE)
    axes[0][0].set_title("input", fontsize=style.FONT, color=style.INK)
    for i in range(p.cardinality):
        axes[0][i + 1].set_title(f"path {i + 1}", fontsize=style.FONT, color=style.INK)
        for j in range(shown):
            axes[j][i + 1].axis("on")
            axes[j][i + 1].imshow(maps[i][..., j], cmap=style.SEQUENTIAL, vmin=0, vmax=top)
    more = f", the first {shown} of {p.bottleneck_width} channels" if shown < p.bottleneck_width else ""
    fig.suptitle(f"{block}: each path's maps after its 3×3, BN and ReLU{more}", fontsize=style.TITLE,
                 color=style.INK, x=0.02, ha="left")  # fmt: skip
    return fig


def plot_ablation(curves, ax=None, title=None):
    """Accuracy against inner channels removed: ``{label: {removed: [accuracy, ...]}}`` (``inside.ablation``'s
    results); a line through the means, a dot for every choice."""
    _, ax = style.new_axes(ax, figsize=(4.6, 3.3))
    for i, (label, curve) in enumerate(curves.items()):
        color = style.series_color(i)
        counts = sorted(curve)
        ax.plot(counts, [np.mean(curve[n]) for n in counts], color=color, lw=1.8, marker="o", label=label)
        for n in counts:
            ax.scatter([n] * len(curve[n]), curve[n], s=10, color=color, alpha=0.45, lw=0)
    ax.set_xlabel("inner channels removed", color=style.INK)
    ax.xaxis.set_major_locator(_integers())
    ax.set_ylabel("test accuracy", color=style.INK)
    ax.yaxis.set_major_formatter(_percent())
    style.style_axes(ax)
    ax.grid(alpha=0.3, color=style.RULE)
    ax.legend(fontsize=style.SMALL + 1, frameon=False)
    if title:
        style.title(ax, title, size=style.TITLE)
    return ax


def plot_weight_norms(rows, key="strength", ax=None, title=None):
    """``inside.weight_norms`` rows as bars: blocks side by side, a bar a path (tallest first in each block)."""
    _, ax = style.new_axes(ax, figsize=(6.0, 3.0))
    blocks = list(dict.fromkeys(r["block"] for r in rows))
    x, ticks = 0, []
    for b, block in enumerate(blocks):
        values = sorted((r[key] for r in rows if r["block"] == block), reverse=True)
        positions = np.arange(x, x + len(values))
        ax.bar(positions, values, color=style.series_color(b), width=0.8)
        ticks.append((positions.mean(), block))
        x += len(values) + 1
    ax.set_xticks([t for t, _ in ticks], [name for _, name in ticks], fontsize=style.FONT)
    ax.set_ylabel(f"{key} (L2 norm)" if key != "strength" else "output strength", color=style.INK)
    style.style_axes(ax)
    ax.grid(axis="y", alpha=0.3, color=style.RULE)
    if title:
        style.title(ax, title, size=style.TITLE)
    return ax


def _integers():
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def _percent():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _: f"{v:.0%}")


__all__ = ["plot_filters", "plot_activations", "plot_ablation", "plot_weight_norms"]
