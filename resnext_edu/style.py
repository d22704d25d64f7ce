"""The book's look in one place: palette, axes style, the log2 axis, titles (the ground floor of all that draws).

Every module that draws (``plots``, ``widgets``, ``training``, ``audit``, ``distribute``, ``benchmark``) takes its
colours and styles from here; the browser explorers' charts use the same hex values. Importing this module imports no
matplotlib: the functions that need it import it themselves.
"""

# --- palette ------------------------------------------------------------------------------------------------------

INK = "#1f2d3d"  # text, rules that carry meaning
MUTED = "#66727f"  # secondary text
RULE = "#c9d1da"  # light rules, grids

#: The five series colours, in the order charts use them.
BLUE, ORANGE, GREEN, GRAY, RED = "#3c6e9f", "#d9822b", "#4a8f4a", "#8a949e", "#b8433f"
SERIES = (BLUE, ORANGE, GREEN, RED, GRAY)

#: Light fills of the series colours (boxes and bars drawn behind text).
LIGHT = {BLUE: "#e3ecf5", ORANGE: "#fbeedd", GREEN: "#e4f0e4", RED: "#f6e1e0", GRAY: "#eef1f4"}

#: A ResNet next to a ResNeXt in bar charts: (fill, edge).
RESNET_BAR = ("#d5dbe2", GRAY)
RESNEXT_BAR = ("#c9d9ec", "#3c6e9f")

#: Inference and training series of the benchmark's charts.
MODE_COLORS = {"inference": "#3c5a80", "train": ORANGE}

#: Block-diagram boxes: (fill, edge).
CONV = ("#eef3fa", "#3c5a80")
GROUPED = ("#fdf0dc", "#b0702a")
MERGE = ("#e9f4ea", "#4a7f4a")
SHORTCUT = ("#f2f2f2", "#7a7a7a")

#: Colour maps: weights around zero (blue negative, red positive), activations from zero, images as stored.
DIVERGING, SEQUENTIAL, GRAYSCALE = "RdBu_r", "Blues", "gray_r"

#: Audit grids: a check that passes, fails, or does not apply.
PASS_FILL, FAIL_FILL, NONE_FILL = "#dcebdc", "#f4d3d1", "#f2f2f2"

# --- type sizes (points) ------------------------------------------------------------------------------------------

FONT = 9.0  # box labels, tick labels
SMALL = 6.8  # BN / ReLU notes and captions
TITLE = 10.5


def series_color(i):
    """The ``i``-th series colour, cycling through ``SERIES``."""
    return SERIES[i % len(SERIES)]


# --- axes -----------------------------------------------------------------------------------------------------------


def new_axes(ax=None, figsize=(6.4, 3.6)):
    """``(figure, axes)``: ``ax`` and its figure, or a new constrained-layout figure of ``figsize``."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax.figure, ax


def style_axes(ax):
    """The book's axes: no top spine, grey spines, ink-coloured ticks."""
    ax.spines[["top"]].set_visible(False)
    ax.tick_params(colors=INK, labelsize=FONT)
    for side in ("left", "bottom", "right"):
        ax.spines[side].set_color(GRAY)


def log2_axis(ax, lo, hi, axis="x"):
    """A base-2 log scale on ``axis`` with a tick at every power of two from ``lo`` to ``hi``, labelled plainly."""
    import math

    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    getattr(ax, f"set_{axis}scale")("log", base=2)
    ticks = [2**k for k in range(int(math.log2(lo)), int(math.log2(hi)) + 1)]
    scale = getattr(ax, f"{axis}axis")
    scale.set_major_locator(FixedLocator(ticks))
    scale.set_minor_locator(NullLocator())
    scale.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))


def title(ax, text, size=TITLE + 0.5):
    """A left-aligned chart title in the book's ink."""
    ax.set_title(text, fontsize=size, color=INK, loc="left")


__all__ = [
    "INK", "MUTED", "RULE", "BLUE", "ORANGE", "GREEN", "GRAY", "RED", "SERIES", "LIGHT", "RESNET_BAR", "RESNEXT_BAR",
    "MODE_COLORS", "CONV", "GROUPED", "MERGE", "SHORTCUT", "PASS_FILL", "FAIL_FILL", "NONE_FILL", "FONT", "SMALL",
    "TITLE", "DIVERGING", "SEQUENTIAL", "GRAYSCALE", "series_color", "new_axes", "style_axes", "log2_axis", "title",
]  # fmt: skip
