"""Explorers for the chapters, driven by ``resnext_edu.complexity`` (pure Python: every update is instant).

Each explorer returns an ipywidgets ``VBox`` for the chapter's cell to display; what it shows is
computed by plain functions the tests call without a browser: ``cardinality_readout`` and
``network_readout`` (the numbers), ``cardinality_readout_html`` and ``network_readout_html``
(the readout's HTML), and the ``*_static`` functions (a figure of the explorer's whole range, for
readers of the static web book). Works with ipywidgets 7 (Colab) and 8: only ``SelectionSlider``,
``IntSlider``, ``Dropdown``, ``Checkbox``, ``HTML``, ``Output``, ``HBox``, ``VBox`` and ``observe``.
ipywidgets and matplotlib are imported inside the functions, so importing this module is cheap.
"""

import functools
import html

from resnext_edu import complexity, style
from resnext_edu._checks import positive_int

#: The cardinalities of the explorer's slider (the paper's Table 2 uses 1, 2, 4, 8, 32).
CARDINALITIES = (1, 2, 4, 8, 16, 32, 64)
#: Depths of the network explorer (paper Table 1, He et al. 2016).
DEPTHS = tuple(complexity.STAGE_BLOCKS)
#: The map size of the conv2 stage at 224x224 input, where Table 2 counts a block's multiply-adds.
CONV2_SIZE = 56
RESNET_C, RESNET_D = 1, 64  # the ResNet bottleneck: one path of width 64 at conv2 (Table 1)

_STYLE = "font-family: sans-serif; font-size: 13px; line-height: 1.5;"


# --- the cardinality explorer (chapter 4: Table 2) ---------------------------------------------


def cardinality_readout(c, d, in_channels=256, out_channels=256):
    """The numbers the cardinality explorer shows for C paths of width d (paper Table 2's columns).

    Returns a dict: cardinality, bottleneck_width, group_width (C·d), params (the block's conv
    weights, ``complexity.block_params``), macs (at 56x56, ``complexity.block_macs``), the C = 1,
    d = 64 reference block's reference_params and reference_macs, and params_ratio to it.
    """
    c = positive_int("cardinality", c)
    d = positive_int("bottleneck_width", d)
    cin = positive_int("in_channels", in_channels)
    cout = positive_int("out_channels", out_channels)
    params = complexity.block_params(cin, cout, c, d)
    reference = complexity.block_params(cin, cout, RESNET_C, RESNET_D)
    return dict(
        cardinality=c,
        bottleneck_width=d,
        group_width=c * d,
        in_channels=cin,
        out_channels=cout,
        params=params,
        macs=complexity.block_macs(cin, cout, c, d, CONV2_SIZE),
        reference_params=reference,
        reference_macs=complexity.block_macs(cin, cout, RESNET_C, RESNET_D, CONV2_SIZE),
        params_ratio=params / reference,
        equal_cost_width=complexity.width_for_cardinality(c, cin, cout),
    )


def _table(rows):
    cells = "".join(
        f"<tr><td style='padding:0 14px 0 0'>{html.escape(k)}</td>"
        f"<td style='text-align:right; font-weight:bold'>{html.escape(v)}</td></tr>"
        for k, v in rows
    )
    return f"<table style='border-collapse:collapse'>{cells}</table>"


def _error_html(err):
    message = html.escape(str(err))
    return f"<div style='{_STYLE} color:{style.RED}'><b>Cannot compute this combination:</b> {message}</div>"


def cardinality_readout_html(c, d, in_channels=256, out_channels=256):
    """The explorer's readout as HTML: d, C·d, block weights, multiply-adds at 56x56, ratio to C = 1."""
    try:
        r = cardinality_readout(c, d, in_channels, out_channels)
    except ValueError as err:
        return _error_html(err)
    rows = [
        ("cardinality C × bottleneck width d", f"{r['cardinality']} × {r['bottleneck_width']}d"),
        ("group width C·d (channels of the grouped 3x3)", f"{r['group_width']:,}"),
        ("block weights (conv only, Table 2)", f"{r['params']:,}"),
        (f"multiply-adds at {CONV2_SIZE}×{CONV2_SIZE}", f"{r['macs'] / 1e6:,.1f} M"),
        (f"ratio to the C = 1 block ({r['reference_params']:,} weights)", f"{r['params_ratio']:.3f}×"),
    ]
    head = (
        f"<b>One block, {r['in_channels']}-d in, {r['out_channels']}-d out</b> "
        f"<span style='color:{style.MUTED}'>(equal-cost width for C = {r['cardinality']}: "
        f"d = {r['equal_cost_width']})</span>"
    )
    return f"<div style='{_STYLE}'>{head}{_table(rows)}</div>"


def _cardinality_chart(r):
    """Bar chart: the current block's weights next to the C = 1 reference (a Figure, not pyplot's)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.2, 2.6), layout="constrained")
    ax = fig.add_subplot()
    labels = [f"C = {RESNET_C}, d = {RESNET_D}\n(ResNet)", f"C = {r['cardinality']}, d = {r['bottleneck_width']}"]
    values = [r["reference_params"], r["params"]]
    bars = ax.bar(
        labels,
        values,
        width=0.55,
        color=[style.RESNET_BAR[0], style.RESNEXT_BAR[0]],
        edgecolor=[style.RESNET_BAR[1], style.RESNEXT_BAR[1]],
    )
    ax.axhline(r["reference_params"], color=style.RED, linestyle="--", linewidth=1)
    for bar, v in zip(bars, values):
        ax.text(bar.get_x() + bar.get_width() / 2, v, f"{v:,}", ha="center", va="bottom", fontsize=9)
    ax.set_ylim(0, max(values) * 1.25)
    ax.yaxis.set_major_formatter(lambda v, _: f"{v / 1000:,.0f}k")
    ax.set_ylabel("block weights", fontsize=9)
    ax.tick_params(labelsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(f"{r['params_ratio']:.3f}× the ResNet block's weights", fontsize=10, loc="left")
    return fig


def _show(output, fig):
    """Replace what ``output`` (an ``Output`` widget) shows by ``fig``, as a PNG.

    Sets the widget's outputs in the kernel (not by capturing a display), so the chart stays
    inside the widget under every front end and executor (Jupyter, Colab, nbclient, nbval).
    """
    import io

    from IPython.display import Image

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    output.outputs = ()
    output.append_display_data(Image(data=buffer.getvalue(), format="png"))


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


def cardinality_explorer(in_channels=256, out_channels=256):
    """Slide the cardinality C of one block and watch d, C·d and the cost (paper Table 2, live).

    Children of the returned ``VBox``: an ``HBox`` of the C slider (``SelectionSlider`` over
    ``CARDINALITIES``), the "keep the cost" checkbox (on: d = ``width_for_cardinality(C)``; off:
    the d slider sets d) and the d slider; the readout (``HTML``); the bar chart (``Output``).
    """
    import ipywidgets as w

    cin = positive_int("in_channels", in_channels)
    cout = positive_int("out_channels", out_channels)
    c0 = 32
    d0 = complexity.width_for_cardinality(c0, cin, cout)
    c_slider = w.SelectionSlider(options=CARDINALITIES, value=c0, description="C (paths)", continuous_update=False)
    keep = w.Checkbox(value=True, description="keep the cost", indent=False)
    d_slider = w.IntSlider(value=d0, min=1, max=128, description="d (width)", disabled=True, continuous_update=False)
    readout = w.HTML(value=cardinality_readout_html(c0, d0, cin, cout))
    chart = w.Output()

    def update(change=None):
        d_slider.disabled = keep.value
        if keep.value:  # setting d_slider.value calls update again; that call does the work
            d = complexity.width_for_cardinality(c_slider.value, cin, cout)
            if d_slider.value != d:
                d_slider.value = d
                return
        readout.value = cardinality_readout_html(c_slider.value, d_slider.value, cin, cout)
        _show(chart, _cardinality_chart(cardinality_readout(c_slider.value, d_slider.value, cin, cout)))

    for control in (c_slider, keep, d_slider):
        control.observe(update, names="value")
    update()
    return _explorer_class()(
        [w.HBox([c_slider, keep, d_slider]), readout, chart],
        lambda: f"cardinality explorer: C={c_slider.value}, d={d_slider.value}, keep the cost={keep.value}",
    )


def cardinality_explorer_static(in_channels=256, out_channels=256, max_cardinality=64):
    """The cardinality explorer's whole range as one figure (``plots.cardinality_sweep``)."""
    from resnext_edu import plots

    return plots.cardinality_sweep(max_cardinality, in_channels, out_channels)


# --- the network explorer (chapter 5: Table 1) -------------------------------------------------


def network_readout(depth, c, d):
    """The numbers the network explorer shows for ResNeXt-{depth} (C × d), 1000 classes, 224x224.

    Returns a dict: depth, cardinality, bottleneck_width, name, params (trainable, BN included:
    ``complexity.model_params``), macs (``complexity.model_macs``), resnet_params / resnet_macs
    of ResNet-{depth} (1 × 64d), their ratios, and stages: [{stage, params, macs}] from
    ``complexity.stage_table``. Raises ``ValueError`` for a depth or width complexity refuses.
    """
    arch = complexity.imagenet_architecture(depth, c, d)
    resnet = complexity.imagenet_architecture(depth, RESNET_C, RESNET_D)
    params, macs = complexity.model_params(depth, c, d), complexity.model_macs(depth, c, d)
    resnet_params, resnet_macs = (
        complexity.model_params(depth, RESNET_C, RESNET_D),
        complexity.model_macs(depth, RESNET_C, RESNET_D),
    )
    stages = [dict(stage=row["stage"], params=row["params"], macs=row["macs"]) for row in complexity.stage_table(arch)]
    resnet_stages = [
        dict(stage=row["stage"], params=row["params"], macs=row["macs"]) for row in complexity.stage_table(resnet)
    ]
    name = arch.display_name
    first = arch.stages[0]  # plain ints, whatever integer type came in (numpy's too)
    return dict(
        depth=arch.depth,
        cardinality=first.cardinality,
        bottleneck_width=first.bottleneck_width,
        name=name,
        params=params,
        macs=macs,
        resnet_params=resnet_params,
        resnet_macs=resnet_macs,
        params_ratio=params / resnet_params,
        macs_ratio=macs / resnet_macs,
        stages=stages,
        resnet_stages=resnet_stages,
    )


def network_readout_html(depth, c, d):
    """The network explorer's readout as HTML; a combination ``complexity`` refuses shows its message."""
    try:
        r = network_readout(depth, c, d)
    except ValueError as err:
        return _error_html(err)
    rows = [
        ("trainable parameters", f"{r['params'] / 1e6:,.2f} M  ({r['params']:,})"),
        ("multiply-adds (224×224)", f"{r['macs'] / 1e9:,.3f} G"),
        (f"parameters vs ResNet-{r['depth']} ({r['resnet_params'] / 1e6:.2f} M)", f"{r['params_ratio']:.3f}×"),
        (f"multiply-adds vs ResNet-{r['depth']} ({r['resnet_macs'] / 1e9:.3f} G)", f"{r['macs_ratio']:.3f}×"),
    ]
    return f"<div style='{_STYLE}'><b>{html.escape(r['name'])}</b>, 1000 classes{_table(rows)}</div>"


def _network_chart(r):
    """Per-stage parameters and multiply-adds, this network next to ResNet of the same depth."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.4, 2.7), layout="constrained")
    names = [s["stage"] for s in r["stages"]]
    xs = range(len(names))
    for k, (key, unit, scale) in enumerate((("params", "M", 1e6), ("macs", "G", 1e9))):
        ax = fig.add_subplot(1, 2, k + 1)
        ax.bar(
            [x - 0.2 for x in xs],
            [s[key] / scale for s in r["resnet_stages"]],
            width=0.4,
            color=style.RESNET_BAR[0],
            edgecolor=style.RESNET_BAR[1],
            label=f"ResNet-{r['depth']}",
        )
        ax.bar(
            [x + 0.2 for x in xs],
            [s[key] / scale for s in r["stages"]],
            width=0.4,
            color=style.RESNEXT_BAR[0],
            edgecolor=style.RESNEXT_BAR[1],
            label=r["name"],
        )
        ax.set_xticks(list(xs), names)
        ax.set_ylabel(f"{'parameters' if key == 'params' else 'multiply-adds'} ({unit})", fontsize=9)
        ax.tick_params(labelsize=8.5)
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_title(f"per stage: {'parameters' if key == 'params' else 'multiply-adds'}", fontsize=10, loc="left")
        if k == 0:
            ax.legend(fontsize=8, frameon=False, loc="upper left")
    return fig


def network_explorer():
    """Choose depth, cardinality C and width d of a ResNeXt and read its size and cost (paper Table 1).

    Children of the returned ``VBox``: an ``HBox`` of the depth ``Dropdown`` (50, 101, 152), the
    C slider (1..64) and the d slider (1..128); the readout (``HTML``); the per-stage bar chart
    (``Output``). Counts come from ``complexity`` (1000 classes, 224x224 input).
    """
    import ipywidgets as w

    depth = w.Dropdown(options=list(DEPTHS), value=50, description="depth")
    c_slider = w.IntSlider(value=32, min=1, max=64, description="C (paths)", continuous_update=False)
    d_slider = w.IntSlider(value=4, min=1, max=128, description="d (width)", continuous_update=False)
    readout = w.HTML(value=network_readout_html(50, 32, 4))
    chart = w.Output()

    def update(change=None):
        readout.value = network_readout_html(depth.value, c_slider.value, d_slider.value)
        try:
            r = network_readout(depth.value, c_slider.value, d_slider.value)
        except ValueError:
            chart.outputs = ()
            return
        _show(chart, _network_chart(r))

    for control in (depth, c_slider, d_slider):
        control.observe(update, names="value")
    update()
    return _explorer_class()(
        [w.HBox([depth, c_slider, d_slider]), readout, chart],
        lambda: f"network explorer: depth={depth.value}, C={c_slider.value}, d={d_slider.value}",
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
