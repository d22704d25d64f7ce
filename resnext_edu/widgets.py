"""Explorers for the chapters, driven by ``resnext_edu.complexity`` (pure Python: every update is instant).

Each explorer returns an ipywidgets ``VBox`` for the chapter's cell to display. What it shows comes from
``resnext_edu.readouts`` (over ``complexity``), the module that the web book also runs in the reader's browser: its
controls (``CARDINALITY_CONTROLS``, ``NETWORK_CONTROLS``) and its *view* of the controls' values
(``cardinality_view``, ``network_view``: the readout's numbers and HTML, and the chart as data, drawn here with
matplotlib). The readout functions are importable from here too (``cardinality_readout``, ``network_readout_html``,
...). The ``*_static`` functions draw an explorer's whole range as one figure, for readers who cannot move it. Works
with ipywidgets 7 (Colab) and 8: only ``SelectionSlider``, ``IntSlider``, ``Dropdown``, ``Checkbox``, ``HTML``,
``Output``, ``HBox``, ``VBox`` and ``observe``. ipywidgets and matplotlib are imported inside the functions, so
importing this module is cheap.
"""

import functools
import html

from resnext_edu import complexity, readouts, style
from resnext_edu._checks import positive_int
from resnext_edu.readouts import (
    CARDINALITIES,
    CONV2_SIZE,
    DEPTHS,
    RESNET_C,
    RESNET_D,
    cardinality_readout,
    cardinality_readout_html,
    network_readout,
    network_readout_html,
)


def _figure(chart):
    """Draw a chart of ``readouts`` (``cardinality_chart``, ``network_chart``) as a matplotlib Figure (not pyplot's)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=chart["size"], layout="constrained")
    panels = chart["panels"]
    for k, panel in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), k + 1)
        xs, width, n = range(len(panel["categories"])), panel["bar_width"], len(panel["series"])
        for j, series in enumerate(panel["series"]):
            bars = ax.bar(
                [x + (j - (n - 1) / 2) * width for x in xs],
                series["values"],
                width=width,
                color=series["fills"],
                edgecolor=series["edges"],
                label=series["name"],
            )
            for bar, text in zip(bars, series["labels"] or ()):
                x = bar.get_x() + bar.get_width() / 2
                ax.text(x, bar.get_height(), text, ha="center", va="bottom", fontsize=panel["tick_size"])
        if panel["reference"]:
            ax.axhline(panel["reference"]["value"], color=panel["reference"]["color"], linestyle="--", linewidth=1)
        if panel["ymax"] is not None:
            ax.set_ylim(0, panel["ymax"])
        if panel["tick_suffix"]:
            scale, suffix = panel["tick_scale"], panel["tick_suffix"]
            ax.yaxis.set_major_formatter(lambda v, _, scale=scale, suffix=suffix: f"{v / scale:,.0f}{suffix}")
        ax.set_xticks(list(xs), panel["categories"])
        ax.set_ylabel(panel["ylabel"], fontsize=9)
        ax.tick_params(labelsize=panel["tick_size"])
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_title(panel["title"], fontsize=10, loc="left")
        if panel["legend"]:
            ax.legend(fontsize=8, frameon=False, loc="upper left")
    return fig


def _show(output, fig, alt):
    """Replace what ``output`` (an ``Output`` widget) shows by ``fig``: a PNG, and an ``<img>`` with ``alt`` (what a
    screen reader reads out; front ends that render HTML show this one), ``alt`` as its text form.

    Sets the widget's outputs in the kernel (not by capturing a display), so the chart stays
    inside the widget under every front end and executor (Jupyter, Colab, nbclient, nbval).
    """
    import base64
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    data = {
        "image/png": png,
        "text/html": f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{png}"/>',
        "text/plain": alt,
    }
    output.outputs = ({"output_type": "display_data", "data": data, "metadata": {}},)


@functools.cache
def _explorer_class():
    import ipywidgets as w

    class Explorer(w.VBox):
        """A ``VBox`` whose text form (what a notebook stores as text/plain) is a one-line summary."""

        def __init__(self, children, describe):
            super().__init__(children)
            self._describe = describe

        def __repr__(self):
            return self._describe()

    return Explorer


def _control(spec):
    """The ipywidgets control of a ``readouts`` control spec (its ``kind`` names the class)."""
    import ipywidgets as w

    common = dict(value=spec["value"], description=spec["description"])
    if spec["kind"] == "checkbox":
        return w.Checkbox(**common, indent=False)
    if spec["kind"] == "dropdown":
        return w.Dropdown(options=list(spec["options"]), **common)
    if spec["kind"] == "selection_slider":
        return w.SelectionSlider(options=spec["options"], **common, continuous_update=False)
    return w.IntSlider(min=spec["min"], max=spec["max"], **common, continuous_update=False)


def _explorer(controls, view, describe):
    """An explorer: the controls in an ``HBox``, the readout (``HTML``), the chart (``Output``); moving a control
    shows ``view(**values)`` (a view of ``readouts``), and a value the view changes is set on its control."""
    import ipywidgets as w

    inputs = {name: _control(spec) for name, spec in controls.items()}
    readout, chart = w.HTML(), w.Output()

    def update(change=None):
        shown = view(**{name: control.value for name, control in inputs.items()})
        for name, control in inputs.items():
            control.disabled = name in shown["disabled"]
        for name, value in shown["values"].items():
            if inputs[name].value != value:  # setting it calls update again; that call does the work
                inputs[name].value = value
                return
        readout.value = shown["html"]
        if shown["chart"] is None:
            chart.outputs = ()
        else:
            _show(chart, _figure(shown["chart"]), shown["alt"])

    for control in inputs.values():
        control.observe(update, names="value")
    update()
    return _explorer_class()([w.HBox(list(inputs.values())), readout, chart], lambda: describe(inputs))


def cardinality_explorer(in_channels=256, out_channels=256):
    """Slide the cardinality C of one block and watch d, C·d and the cost (paper Table 2, live).

    Children of the returned ``VBox``: an ``HBox`` of the C slider (``SelectionSlider`` over
    ``CARDINALITIES``), the "keep the cost" checkbox (on: d = ``width_for_cardinality(C)``; off:
    the d slider sets d) and the d slider; the readout (``HTML``); the bar chart (``Output``).
    Controls and view: ``readouts.CARDINALITY_CONTROLS``, ``readouts.cardinality_view``.
    """
    cin = positive_int("in_channels", in_channels)
    cout = positive_int("out_channels", out_channels)
    return _explorer(
        readouts.CARDINALITY_CONTROLS,
        functools.partial(readouts.cardinality_view, in_channels=cin, out_channels=cout),
        lambda c: (
            f"cardinality explorer: C={c['cardinality'].value}, d={c['bottleneck_width'].value}, "
            f"keep the cost={c['keep_cost'].value}"
        ),
    )


def cardinality_explorer_static(in_channels=256, out_channels=256, max_cardinality=64):
    """The cardinality explorer's whole range as one figure (``plots.cardinality_sweep``)."""
    from resnext_edu import plots

    return plots.cardinality_sweep(max_cardinality, in_channels, out_channels)


# --- the network explorer (the whole network: Table 1) ---------------------------------------------


def network_explorer():
    """Choose depth, cardinality C and width d of a ResNeXt and read its size and cost (paper Table 1).

    Children of the returned ``VBox``: an ``HBox`` of the depth ``Dropdown`` (50, 101, 152), the
    C slider (1..64) and the d slider (1..128); the readout (``HTML``); the per-stage bar chart
    (``Output``). Counts come from ``complexity`` (1000 classes, 224x224 input), through
    ``readouts.network_view``; controls: ``readouts.NETWORK_CONTROLS``.
    """
    return _explorer(
        readouts.NETWORK_CONTROLS,
        readouts.network_view,
        lambda c: (
            f"network explorer: depth={c['depth'].value}, C={c['cardinality'].value}, d={c['bottleneck_width'].value}"
        ),
    )


def network_explorer_static(depth=50, cardinalities=CARDINALITIES, widths=(1, 2, 4, 8, 16, 32, 64, 128)):
    """The network explorer's range as one figure: parameters and multiply-adds over a grid of C and d.

    Two heat maps (``complexity.model_params`` in M, ``complexity.model_macs`` in G) for
    ResNeXt-{depth}; the red outline marks the cells within 10 % of ResNet-{depth}'s cost (1 × 64d).
    """
    import matplotlib.pyplot as plt

    if depth not in complexity.STAGE_BLOCKS:
        complexity.imagenet_architecture(depth)  # raises the library's ValueError
    cs = [positive_int("cardinality", c) for c in cardinalities]
    ds = [positive_int("bottleneck_width", d) for d in widths]
    params = [[complexity.model_params(depth, c, d) / 1e6 for c in cs] for d in ds]
    macs = [[complexity.model_macs(depth, c, d) / 1e9 for c in cs] for d in ds]
    ref = (
        complexity.model_params(depth, RESNET_C, RESNET_D) / 1e6,
        complexity.model_macs(depth, RESNET_C, RESNET_D) / 1e9,
    )
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), layout="constrained")
    for ax, grid, unit, reference, title in zip(
        axes, (params, macs), ("M", "G"), ref, ("trainable parameters (M)", "multiply-adds (G)")
    ):
        image = ax.imshow(
            [[v / reference for v in row] for row in grid], cmap="RdBu_r", vmin=0, vmax=2, origin="lower", aspect="auto"
        )
        for i, row in enumerate(grid):
            for j, v in enumerate(row):
                near = abs(v / reference - 1) <= 0.1
                text = f"{v:.1f}" if unit == "M" else f"{v:.2f}"
                ax.text(
                    j,
                    i,
                    text,
                    ha="center",
                    va="center",
                    fontsize=7.5,
                    color="white" if abs(v / reference - 1) > 0.7 else style.INK,
                    fontweight="bold" if near else "normal",
                )
                if near:
                    ax.add_patch(
                        plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor=style.RED, linewidth=1.6)
                    )
        ax.set_xticks(range(len(cs)), [str(c) for c in cs])
        ax.set_yticks(range(len(ds)), [str(d) for d in ds])
        ax.set_xlabel("cardinality C")
        ax.set_ylabel("bottleneck width d (at conv2)")
        ax.set_title(
            f"ResNeXt-{depth}: {title}\nResNet-{depth} (1×64d): {reference:.2f} {unit}; outlined: within 10 %",
            fontsize=10,
            loc="left",
        )
    fig.colorbar(image, ax=axes, shrink=0.8, label=f"ratio to ResNet-{depth}")
    return fig


__all__ = [
    "CARDINALITIES",
    "CONV2_SIZE",
    "DEPTHS",
    "cardinality_readout",
    "cardinality_readout_html",
    "cardinality_explorer",
    "cardinality_explorer_static",
    "network_readout",
    "network_readout_html",
    "network_explorer",
    "network_explorer_static",
]
