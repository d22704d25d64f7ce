"""resnext_edu.comparison: spread over seeds, bootstrap intervals of a difference, curves with a band."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from resnext_edu import comparison  # noqa: E402


def runs(accuracies, images=2000, seed=0):
    """Boolean (runs, images) arrays with exactly these accuracies, images right at random."""
    rng = np.random.default_rng(seed)
    out = np.zeros((len(accuracies), images), bool)
    for i, accuracy in enumerate(accuracies):
        out[i, rng.permutation(images)[: round(accuracy * images)]] = True
    return out


def test_summary_is_mean_and_sample_std_over_seeds():
    s = comparison.summary(runs([0.8, 0.9, 0.85], images=1000))
    assert (s.runs, s.low, s.high) == (3, 0.8, 0.9)
    assert s.mean == pytest.approx(0.85) and s.std == pytest.approx(0.05)
    assert str(s) == "85.00% ± 5.00% (3 seeds, 80.00% to 90.00%)"
    assert comparison.summary(runs([0.7])).std == 0.0


def test_a_certain_difference_has_a_degenerate_interval():
    a, b = np.zeros((3, 50), bool), np.ones((3, 50), bool)
    interval = comparison.bootstrap_difference(a, b, draws=200)
    assert (interval.difference, interval.low, interval.high) == (1.0, 1.0, 1.0) and interval.excludes_zero


def test_the_same_network_twice_differs_by_zero_within_its_interval():
    a = runs([0.84, 0.86, 0.85])
    interval = comparison.bootstrap_difference(a, a.copy(), draws=500)
    assert interval.difference == 0 and interval.low < 0 < interval.high and not interval.excludes_zero


def test_a_clear_gain_excludes_zero_and_resampling_more_widens_the_interval():
    a, b = runs([0.80, 0.81, 0.80], seed=1), runs([0.86, 0.87, 0.86], seed=2)
    both = comparison.bootstrap_difference(a, b, draws=1000)
    assert both.difference == pytest.approx(b.mean() - a.mean()) and both.low > 0.03 and both.excludes_zero
    images = comparison.bootstrap_difference(a, b, draws=1000, over="images")
    runs_only = comparison.bootstrap_difference(a, b, draws=1000, over="runs")
    width = lambda i: i.high - i.low  # noqa: E731
    assert width(both) >= max(width(images), width(runs_only)) * 0.9
    again = comparison.bootstrap_difference(a, b, draws=1000)
    assert (again.low, again.high) == (both.low, both.high)  # the same seed, the same interval
    assert str(both).startswith(f"{100 * both.difference:+.2f} points (95% interval")


def test_seed_to_seed_spread_makes_the_interval_over_runs_wide():
    """Two networks equal on average but with a large seed spread: resampling images alone looks too sure."""
    a, b = runs([0.80, 0.90, 0.85], seed=3), runs([0.81, 0.89, 0.86], seed=4)
    runs_only = comparison.bootstrap_difference(a, b, draws=2000, over="runs")
    assert runs_only.low < 0 < runs_only.high and runs_only.high - runs_only.low > 0.04


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(correct_a=np.zeros((2, 10)), correct_b=np.zeros((2, 10), bool)), "correct_a must be a boolean array"),
        (dict(correct_a=np.zeros((2, 10), bool), correct_b=np.zeros((2, 9), bool)), "the same test images"),
        (dict(correct_a=np.zeros((2, 10), bool), correct_b=np.zeros((2, 10), bool), level=95), "level must be"),
        (dict(correct_a=np.zeros((2, 10), bool), correct_b=np.zeros((2, 10), bool), over="seeds"), "over must be"),
        (dict(correct_a=np.zeros((2, 10), bool), correct_b=np.zeros((2, 10), bool), draws=0), "draws must be"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        comparison.bootstrap_difference(**kwargs)


def test_curve_band_and_plots():
    histories = {
        "1×12d": [{"val_accuracy": [0.5, 0.7, 0.8]}, {"val_accuracy": [0.6, 0.7, 0.9]}],
        "4×5d": [{"val_accuracy": [0.55, 0.75, 0.85]}, {"val_accuracy": [0.5, 0.8, 0.8]}],
    }
    epochs, mean, low, high = comparison.curve_band(histories["1×12d"], "val_accuracy")
    assert epochs.tolist() == [1, 2, 3] and mean.tolist() == pytest.approx([0.55, 0.7, 0.85])
    assert low.tolist() == [0.5, 0.7, 0.8] and high.tolist() == [0.6, 0.7, 0.9]
    with pytest.raises(ValueError, match="every history must record 'loss'"):
        comparison.curve_band(histories["1×12d"], "loss")
    ax = comparison.plot_curves(histories, title="curves")
    assert len(ax.lines) == 2 and len(ax.collections) == 2  # a line and a band per network
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["1×12d (2 seeds)", "4×5d (2 seeds)"]
    correct = {"1×12d": runs([0.8, 0.82]), "4×5d": runs([0.83, 0.84])}
    ax = comparison.plot_accuracies(correct)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1×12d", "4×5d"]
    ax = comparison.plot_differences({"4×5d": comparison.bootstrap_difference(correct["1×12d"], correct["4×5d"])})
    assert [t.get_text() for t in ax.get_yticklabels()] == ["4×5d"]
    plt.close("all")
