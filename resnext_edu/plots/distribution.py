"""Figures of data-parallel training (the chapter *Scaling out*): one step split across replicas, and a distributed
run's losses against the single-device run's (``distribute.compare_runs``)."""

import numpy as np

from resnext_edu import style
from resnext_edu._checks import positive_int


def plot_data_parallelism(replicas=2, global_batch=64, devices=None):
    """A diagram of one data-parallel step: the batch split across replicas, gradients all-reduced, one update."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    replicas, global_batch = positive_int("replicas", replicas), positive_int("global_batch", global_batch)
    devices = list(devices or [f"device {i}" for i in range(replicas)])
    fig, ax = plt.subplots(figsize=(10.4, 1.0 + 1.25 * replicas))
    ax.set_xlim(0, 10.4)
    ax.set_ylim(-0.2, 1.25 * replicas)
    ax.axis("off")
    rows = [1.25 * (replicas - 1 - i) + 0.5 for i in range(replicas)]
    middle = sum(rows) / replicas

    def box(x, y, w, h, text, color, face="white"):
        ax.add_patch(
            FancyBboxPatch(
                (x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.04", facecolor=face, edgecolor=color, lw=1.4
            )
        )
        ax.text(x, y, text, ha="center", va="center", fontsize=8.5)

    def arrow(a, b, color=style.GRAY):
        ax.add_patch(
            FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=11, color=color, lw=1.2, shrinkA=2, shrinkB=2)
        )

    box(0.95, middle, 1.6, 0.9, f"global batch\n{global_batch} images", style.GRAY, style.LIGHT[style.GRAY])
    share = [global_batch // replicas + (i < global_batch % replicas) for i in range(replicas)]
    for y, device, n, i in zip(rows, devices, share, range(replicas)):
        arrow((1.8, middle), (2.6, y))
        text = f"replica {i} on {device}\n{n} images\nweights W (a copy)"
        box(3.6, y, 1.9, 0.9, text, style.BLUE, style.LIGHT[style.BLUE])
        box(5.6, y, 1.3, 0.9, f"gradient\ng{i}", style.ORANGE, style.LIGHT[style.ORANGE])
        arrow((4.6, y), (4.9, y))
        arrow((6.3, y), (7.0, middle))
    box(7.75, middle, 1.4, 0.9, "all-reduce\ng = Σ gᵢ", style.RED, style.LIGHT[style.RED])
    box(9.55, middle, 1.5, 0.9, "same update\non every copy\nW ← W − η·g", style.GREEN, style.LIGHT[style.GREEN])
    arrow((8.5, middle), (8.75, middle))
    ax.set_title("one training step under MirroredStrategy", fontsize=10)
    fig.tight_layout()
    return fig


def plot_comparison(comparison, tolerance=None):
    """Training loss per step on one device and under the strategy; their relative difference per step and per epoch."""
    import matplotlib.pyplot as plt

    single, distributed = np.asarray(comparison.single_steps), np.asarray(comparison.distributed_steps)
    steps = np.arange(1, len(single) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.4, 3.6))
    left.plot(steps, single, "-", color=style.BLUE, lw=2.4, label="1 device")
    left.plot(steps, distributed, "--", color=style.ORANGE, lw=1.8, label=f"{comparison.replicas} replicas")
    left.set_ylabel("training loss of the step")
    right.semilogy(
        steps, np.abs(distributed - single) / single, "o-", color=style.GRAY, lw=1.0, markersize=3.5, label="per step"
    )
    a, b = comparison.single.history["loss"], comparison.distributed.history["loss"]
    per_epoch = len(steps) // max(len(a), 1)
    for epoch, (x, y) in enumerate(zip(a, b)):
        right.hlines(
            abs(y - x) / x,
            epoch * per_epoch + 0.6,
            (epoch + 1) * per_epoch + 0.4,
            color=style.RED,
            lw=2.6,
            label="epoch's mean loss" if epoch == 0 else None,
        )
    right.set_ylabel(f"|{comparison.replicas} replicas - 1 device| / 1 device")
    if tolerance is not None:
        right.axhline(tolerance, color=style.RED, ls=":", lw=1.2, label=f"tolerance, last epoch ({tolerance:.0%})")
    right.legend(frameon=False, fontsize=8, loc="lower right")
    left.legend(frameon=False, fontsize=8)
    for ax in (left, right):
        ax.set_xlabel("training step")
        ax.grid(alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig
