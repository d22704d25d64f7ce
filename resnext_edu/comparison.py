"""Comparing networks trained with several seeds: spread, intervals, and learning curves with a band.

One training run is one draw: another seed gives other initial weights and another order of batches, and a test set
is a sample of the images a network will meet. So a comparison of networks reports

- ``summary``: each network's test accuracy over its seeds, as mean ± standard deviation (and min, max);
- ``bootstrap_difference``: the difference of two networks' mean test accuracies with a bootstrap interval that
  resamples the seeds of each network and the test images (paired: both networks are scored on the same resampled
  images), so that it covers both kinds of chance; ``over="runs"`` or ``"images"`` resamples one kind only;
- ``plot_curves``: a metric per epoch, the mean over seeds as a line and the range over seeds as a band;
- ``plot_accuracies``: each seed's test accuracy as a dot, the mean ± standard deviation as a bar;
- ``plot_differences``: differences to a baseline with their intervals, against zero.

Inputs are plain data: ``{network: [history, ...]}`` (Keras history dicts, one per seed) and
``{network: correct}``, ``correct`` a boolean array (seeds, test images) of which images each run classified right.
"""

import dataclasses
import math

import numpy as np

from resnext_edu import style
from resnext_edu._checks import one_of, positive_int

RESAMPLE = ("both", "runs", "images")


@dataclasses.dataclass(frozen=True)
class Summary:
    """Test accuracy of one network over its seeds (fractions)."""

    mean: float
    std: float  # sample standard deviation over seeds (0 for one seed)
    low: float
    high: float
    runs: int

    def __str__(self):
        seeds = f"{self.runs} seed" + ("s" if self.runs != 1 else "")
        return f"{self.mean:.2%} ± {self.std:.2%} ({seeds}, {self.low:.2%} to {self.high:.2%})"


@dataclasses.dataclass(frozen=True)
class Interval:
    """``difference`` (b - a, a fraction) with its bootstrap interval [low, high] at ``level``."""

    difference: float
    low: float
    high: float
    level: float
    draws: int
    over: str

    @property
    def excludes_zero(self):
        return self.low > 0 or self.high < 0

    def __str__(self):
        points = 100 * self.difference
        return f"{points:+.2f} points ({self.level:.0%} interval {100 * self.low:+.2f} to {100 * self.high:+.2f})"


def _correct(name, correct):
    correct = np.asarray(correct)
    if correct.ndim == 1:
        correct = correct[None]
    if correct.ndim != 2 or correct.shape[0] < 1 or correct.shape[1] < 1 or correct.dtype != bool:
        raise ValueError(f"{name} must be a boolean array (runs, test images); got {correct.dtype} {correct.shape}.")
    return correct


def summary(correct):
    """``Summary`` of the test accuracies of the runs in ``correct`` (runs, test images)."""
    accuracy = _correct("correct", correct).mean(axis=1)
    std = float(accuracy.std(ddof=1)) if len(accuracy) > 1 else 0.0
    return Summary(float(accuracy.mean()), std, float(accuracy.min()), float(accuracy.max()), len(accuracy))


def bootstrap_difference(correct_a, correct_b, *, draws=2000, level=0.95, over="both", seed=0):
    """Mean test accuracy of b minus that of a, with a percentile bootstrap interval at ``level``.

    Each of ``draws`` resamples picks, with replacement, as many runs of each network as it has (``over`` "runs" or
    "both") and as many test images as there are (``over`` "images" or "both"; the same images for both networks),
    and takes the difference of the two mean accuracies. With few seeds the interval over runs is itself rough: with
    3 seeds there are only 10 distinct resamples of each network.
    """
    a, b = _correct("correct_a", correct_a), _correct("correct_b", correct_b)
    a, b = a.astype(np.float64), b.astype(np.float64)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"both networks must be scored on the same test images; got {a.shape[1]} and {b.shape[1]}.")
    draws = positive_int("draws", draws)
    one_of("over", over, RESAMPLE)
    if isinstance(level, bool) or not isinstance(level, float) or not 0 < level < 1:
        raise ValueError(f"level must be a fraction strictly between 0 and 1 (0.95); got {level!r}.")
    rng = np.random.default_rng(positive_int("seed", seed, minimum=0))
    images = a.shape[1]
    differences = np.empty(draws)
    chunk = max(1, 2_000_000 // images)
    for start in range(0, draws, chunk):
        n = min(chunk, draws - start)
        if over == "runs":
            weights = np.ones((n, images))
        else:  # how often each test image is drawn: multinomial counts, one row per resample
            weights = np.stack([np.bincount(rng.integers(0, images, images), minlength=images) for _ in range(n)])
        per_run_a, per_run_b = (a @ weights.T) / images, (b @ weights.T) / images  # (runs, n): accuracy per resample
        if over != "images":
            pick_a = rng.integers(0, len(a), (len(a), n))
            pick_b = rng.integers(0, len(b), (len(b), n))
            columns = np.arange(n)
            per_run_a, per_run_b = per_run_a[pick_a, columns], per_run_b[pick_b, columns]
        differences[start : start + n] = per_run_b.mean(axis=0) - per_run_a.mean(axis=0)
    tail = (1 - level) / 2
    low, high = np.quantile(differences, [tail, 1 - tail])
    difference = float(b.mean(axis=1).mean() - a.mean(axis=1).mean())
    return Interval(difference, float(low), float(high), level, draws, over)


def curve_band(histories, metric):
    """``(epochs, mean, low, high)`` of ``metric`` over the runs' histories (all of the same length)."""
    if not histories or not all(metric in h for h in histories):
        raise ValueError(f"every history must record {metric!r}; got keys {[sorted(h) for h in histories]}.")
    values = np.array([h[metric] for h in histories], dtype=float)
    return np.arange(1, values.shape[1] + 1), values.mean(axis=0), values.min(axis=0), values.max(axis=0)


def plot_curves(histories, metric="val_accuracy", ax=None, title=None, labels=None):
    """``metric`` per epoch for each network: mean over seeds as a line, the range over seeds as a band.

    ``histories``: ``{network: [history, ...]}``; ``labels``: display names by network. Returns the ``Axes``.
    """
    _, ax = style.new_axes(ax, figsize=(5.6, 3.6))
    for i, (network, runs) in enumerate(histories.items()):
        epochs, mean, low, high = curve_band(runs, metric)
        color = style.series_color(i)
        name = (labels or {}).get(network, network)
        ax.fill_between(epochs, low, high, color=color, alpha=0.18, lw=0)
        ax.plot(epochs, mean, color=color, lw=1.8, marker="o", markersize=3, label=f"{name} ({len(runs)} seeds)")
    ax.set_xlabel("epoch", color=style.INK)
    ax.set_ylabel(metric.replace("_", " "), color=style.INK)
    ax.set_xticks(epochs if len(epochs) <= 12 else epochs[:: math.ceil(len(epochs) / 12)])
    if metric.endswith("accuracy"):
        ax.yaxis.set_major_formatter(_percent())
    style.style_axes(ax)
    ax.grid(alpha=0.3, color=style.RULE)
    ax.legend(fontsize=style.SMALL + 1, frameon=False)
    if title:
        style.title(ax, title)
    return ax


def _percent(decimals=0):
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _: f"{v:.{decimals}%}")


def plot_accuracies(correct, ax=None, title=None, labels=None):
    """Test accuracy of every run (dots) and each network's mean ± standard deviation (bar). Returns the ``Axes``."""
    _, ax = style.new_axes(ax, figsize=(4.8, 3.4))
    rng = np.random.default_rng(0)  # a little horizontal jitter so that equal dots stay visible
    for i, (network, runs) in enumerate(correct.items()):
        accuracy, s = _correct(network, runs).mean(axis=1), summary(runs)
        color = style.series_color(i)
        ax.scatter(i + rng.uniform(-0.12, 0.12, len(accuracy)), accuracy, s=18, color=color, alpha=0.75, lw=0)
        ax.errorbar(i + 0.3, s.mean, yerr=s.std, fmt="D", color=color, markersize=5, capsize=4, lw=1.4)
    ax.set_xticks(range(len(correct)), [(labels or {}).get(n, n) for n in correct], fontsize=style.FONT)
    ax.set_xlim(-0.5, len(correct) - 0.3)
    ax.set_ylabel("test accuracy", color=style.INK)
    ax.yaxis.set_major_formatter(_percent(1))
    style.style_axes(ax)
    ax.grid(axis="y", alpha=0.3, color=style.RULE)
    if title:
        style.title(ax, title)
    return ax


def plot_differences(intervals, ax=None, title=None, baseline="the ResNet"):
    """``{network: Interval}`` as points with interval bars, in percentage points, against a zero line."""
    _, ax = style.new_axes(ax, figsize=(4.8, 0.5 + 0.55 * len(intervals)))
    for i, interval in enumerate(intervals.values()):
        color = style.series_color(i + 1)
        low, high = 100 * (interval.difference - interval.low), 100 * (interval.high - interval.difference)
        ax.errorbar(100 * interval.difference, i, xerr=[[low], [high]], fmt="o", color=color, capsize=4, lw=1.6)
    ax.axvline(0, color=style.GRAY, lw=1, ls="--")
    ax.set_yticks(range(len(intervals)), list(intervals), fontsize=style.FONT)
    ax.set_ylim(-0.6, len(intervals) - 0.4)
    level = next(iter(intervals.values())).level if intervals else 0.95
    ax.set_xlabel(f"test accuracy − {baseline}'s, points ({level:.0%} interval)", color=style.INK)
    style.style_axes(ax)
    ax.grid(axis="x", alpha=0.3, color=style.RULE)
    if title:
        style.title(ax, title)
    return ax


__all__ = [
    "RESAMPLE",
    "Summary",
    "Interval",
    "summary",
    "bootstrap_difference",
    "curve_band",
    "plot_curves",
    "plot_accuracies",
    "plot_differences",
]
