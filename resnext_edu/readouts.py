"""What the book's explorers show, in pure Python: their controls, their numbers, readout HTML and charts as data.

One source for both front ends. ``resnext_edu.widgets`` builds the ipywidgets explorers of a notebook (Jupyter, Colab)
from this module; the web book runs this very file, with ``complexity``, ``style`` and ``_checks``, in the reader's
browser (Pyodide; the book's Sphinx extension copies them into the site and checks the copies). Each explorer is a
*view* function of its controls' values: ``cardinality_view(cardinality, keep_cost, bottleneck_width)`` and
``network_view(depth, cardinality, bottleneck_width)`` return the controls' values after the explorer's rule, the
readout's HTML, its numbers, and its chart (``*_chart``: bars, labels and colours that matplotlib in the kernel and
SVG in the browser both draw). Imports only the standard library and those three modules: no matplotlib, no widgets.
"""

import html

from resnext_edu import complexity, style
from resnext_edu._checks import one_of, positive_int

#: The cardinalities of the explorer's slider (the paper's Table 2 uses 1, 2, 4, 8, 32).
CARDINALITIES = (1, 2, 4, 8, 16, 32, 64)
#: Depths of the network explorer (paper Table 1, He et al. 2016).
DEPTHS = (50, 101, 152)
#: The map size of the conv2 stage at 224x224 input, where Table 2 counts a block's multiply-adds.
CONV2_SIZE = 56
RESNET_C, RESNET_D = 1, 64  # the ResNet bottleneck: one path of width 64 at conv2 (Table 1)

_STYLE = "font-family: sans-serif; font-size: 13px; line-height: 1.5;"

#: The controls of each explorer, in display order: keyword of its view -> control. ``kind`` names the widget
#: (``selection_slider``, ``int_slider``, ``dropdown``, ``checkbox``: ipywidgets' classes of those names).
CARDINALITY_CONTROLS = {
    "cardinality": dict(kind="selection_slider", description="C (paths)", options=CARDINALITIES, value=32),
    "keep_cost": dict(kind="checkbox", description="keep the cost", value=True),
    "bottleneck_width": dict(
        kind="int_slider", description="d (width)", min=1, max=128, value=complexity.width_for_cardinality(32)
    ),
}
NETWORK_CONTROLS = {
    "depth": dict(kind="dropdown", description="depth", options=DEPTHS, value=50),
    "cardinality": dict(kind="int_slider", description="C (paths)", min=1, max=64, value=32),
    "bottleneck_width": dict(kind="int_slider", description="d (width)", min=1, max=128, value=4),
}


# --- the cardinality explorer (Table 2) --------------------------------------------------------


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


def _cardinality_html(r):
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


def cardinality_readout_html(c, d, in_channels=256, out_channels=256):
    """The explorer's readout as HTML: d, C·d, block weights, multiply-adds at 56x56, ratio to C = 1."""
    try:
        return _cardinality_html(cardinality_readout(c, d, in_channels, out_channels))
    except ValueError as err:
        return _error_html(err)


def cardinality_chart(r):
    """The explorer's bar chart as data: this block's weights next to the C = 1 block's, a dashed line at its cost.

    A dict: ``size`` (inches), ``ink`` (text colour) and ``panels``, each with title, ylabel, categories, series
    (values, their printed labels, fills and edges), bar_width, the dashed reference line, ymax, the y ticks' scale
    and suffix (``20k`` for 20,000), tick_size (points) and legend. ``widgets`` draws it with matplotlib, the web book
    as SVG.
    """
    values = [r["reference_params"], r["params"]]
    panel = dict(
        title=f"{r['params_ratio']:.3f}× the ResNet block's weights",
        ylabel="block weights",
        categories=[
            f"C = {RESNET_C}, d = {RESNET_D}\n(ResNet)",
            f"C = {r['cardinality']}, d = {r['bottleneck_width']}",
        ],
        series=[
            dict(
                name=None,
                values=values,
                labels=[f"{v:,}" for v in values],
                fills=[style.RESNET_BAR[0], style.RESNEXT_BAR[0]],
                edges=[style.RESNET_BAR[1], style.RESNEXT_BAR[1]],
            )
        ],
        bar_width=0.55,
        reference=dict(value=r["reference_params"], color=style.RED),
        ymax=max(values) * 1.25,
        tick_scale=1000,
        tick_suffix="k",
        tick_size=9,
        legend=False,
    )
    return dict(size=(5.2, 2.6), ink=style.INK, panels=[panel])


def cardinality_alt(r):
    """What the cardinality chart shows, in words: its alt text (what a screen reader reads out)."""
    return (
        f"Bar chart of a block's convolution weights: the ResNet block (C = {RESNET_C}, d = {RESNET_D}) has "
        f"{r['reference_params']:,}, this block (C = {r['cardinality']}, d = {r['bottleneck_width']}) has "
        f"{r['params']:,}, {r['params_ratio']:.3f} times as many; a dashed line marks the ResNet block's."
    )


def network_alt(r):
    """What the network chart shows, in words: its alt text."""
    return (
        f"Two bar charts, stage by stage from {r['stages'][0]['stage']} to {r['stages'][-1]['stage']}: the parameters "
        f"and the multiply-adds of {r['name']} next to those of ResNet-{r['depth']}. In all, {r['params']:,} "
        f"parameters against {r['resnet_params']:,}, and {r['macs'] / 1e9:.3f} G multiply-adds against "
        f"{r['resnet_macs'] / 1e9:.3f} G."
    )


def cardinality_view(cardinality, keep_cost, bottleneck_width, in_channels=256, out_channels=256):
    """What the cardinality explorer shows for its controls' values (``CARDINALITY_CONTROLS``).

    With ``keep_cost`` the width follows the equal-cost rule, d = ``complexity.width_for_cardinality(C)``, and the d
    control is disabled. Returns a dict: values (the controls after that rule), disabled (names of controls that
    cannot move), readout (``cardinality_readout``, or None), html (the readout, or the error it raised) and chart
    (``cardinality_chart``, or None).
    """
    values = dict(cardinality=cardinality, keep_cost=bool(keep_cost), bottleneck_width=bottleneck_width)
    view = dict(values=values, disabled=["bottleneck_width"] if keep_cost else [], readout=None, chart=None, alt=None)
    try:
        if keep_cost:
            values["bottleneck_width"] = complexity.width_for_cardinality(cardinality, in_channels, out_channels)
        r = cardinality_readout(cardinality, values["bottleneck_width"], in_channels, out_channels)
    except ValueError as err:
        return dict(view, html=_error_html(err))
    return dict(view, readout=r, html=_cardinality_html(r), chart=cardinality_chart(r), alt=cardinality_alt(r))


# --- the network explorer (Table 1) ------------------------------------------------------------


def _stages(arch):
    return [dict(stage=row["stage"], params=row["params"], macs=row["macs"]) for row in complexity.stage_table(arch)]


def network_readout(depth, c, d):
    """The numbers the network explorer shows for ResNeXt-{depth} (C × d), 1000 classes, 224x224.

    Returns a dict: depth, cardinality, bottleneck_width, name, params (trainable, BN included:
    ``complexity.model_params``), macs (``complexity.model_macs``), resnet_params / resnet_macs
    of ResNet-{depth} (1 × 64d), their ratios, and stages: [{stage, params, macs}] from
    ``complexity.stage_table``. Raises ``ValueError`` for a depth other than ``DEPTHS`` (Table 1's) or a width
    complexity refuses.
    """
    one_of("depth", depth, DEPTHS)
    arch = complexity.imagenet_architecture(depth, c, d)
    resnet = complexity.imagenet_architecture(depth, RESNET_C, RESNET_D)
    params, macs = complexity.model_params(depth, c, d), complexity.model_macs(depth, c, d)
    resnet_params, resnet_macs = (
        complexity.model_params(depth, RESNET_C, RESNET_D),
        complexity.model_macs(depth, RESNET_C, RESNET_D),
    )
    first = arch.stages[0]  # plain ints, whatever integer type came in (numpy's too)
    return dict(
        depth=arch.depth,
        cardinality=first.cardinality,
        bottleneck_width=first.bottleneck_width,
        name=arch.display_name,
        params=params,
        macs=macs,
        resnet_params=resnet_params,
        resnet_macs=resnet_macs,
        params_ratio=params / resnet_params,
        macs_ratio=macs / resnet_macs,
        stages=_stages(arch),
        resnet_stages=_stages(resnet),
    )


def _network_html(r):
    rows = [
        ("trainable parameters", f"{r['params'] / 1e6:,.2f} M  ({r['params']:,})"),
        ("multiply-adds (224×224)", f"{r['macs'] / 1e9:,.3f} G"),
        (f"parameters vs ResNet-{r['depth']} ({r['resnet_params'] / 1e6:.2f} M)", f"{r['params_ratio']:.3f}×"),
        (f"multiply-adds vs ResNet-{r['depth']} ({r['resnet_macs'] / 1e9:.3f} G)", f"{r['macs_ratio']:.3f}×"),
    ]
    return f"<div style='{_STYLE}'><b>{html.escape(r['name'])}</b>, 1000 classes{_table(rows)}</div>"


def network_readout_html(depth, c, d):
    """The network explorer's readout as HTML; a combination ``complexity`` refuses shows its message."""
    try:
        return _network_html(network_readout(depth, c, d))
    except ValueError as err:
        return _error_html(err)


def network_chart(r):
    """The explorer's chart as data (as ``cardinality_chart``): per stage, parameters (M) and multiply-adds (G) of
    this network next to ResNet of the same depth, in two panels."""
    panels = []
    for key, unit, scale, what in (("params", "M", 1e6, "parameters"), ("macs", "G", 1e9, "multiply-adds")):
        series = [
            dict(
                name=name,
                values=[s[key] / scale for s in stages],
                labels=None,
                fills=[fill] * len(stages),
                edges=[edge] * len(stages),
            )
            for name, stages, (fill, edge) in (
                (f"ResNet-{r['depth']}", r["resnet_stages"], style.RESNET_BAR),
                (r["name"], r["stages"], style.RESNEXT_BAR),
            )
        ]
        panels.append(
            dict(
                title=f"per stage: {what}",
                ylabel=f"{what} ({unit})",
                categories=[s["stage"] for s in r["stages"]],
                series=series,
                bar_width=0.4,
                reference=None,
                ymax=None,
                tick_scale=1,
                tick_suffix="",
                tick_size=8.5,
                legend=not panels,
            )
        )
    return dict(size=(8.4, 2.7), ink=style.INK, panels=panels)


def network_view(depth, cardinality, bottleneck_width):
    """What the network explorer shows for its controls' values (``NETWORK_CONTROLS``), as ``cardinality_view``."""
    values = dict(depth=depth, cardinality=cardinality, bottleneck_width=bottleneck_width)
    view = dict(values=values, disabled=[], readout=None, chart=None, alt=None)
    try:
        r = network_readout(depth, cardinality, bottleneck_width)
    except ValueError as err:
        return dict(view, html=_error_html(err))
    return dict(view, readout=r, html=_network_html(r), chart=network_chart(r), alt=network_alt(r))


#: The explorers by name: their controls, their view, and the functions of ``resnext_edu.widgets`` that show them in a
#: notebook (``widget``) and draw their whole range as a static figure (``figure``). The web book finds an explorer
#: in a chapter by the call of its widget function, and shows its static figure where the explorer cannot run.
EXPLORERS = {
    "cardinality": dict(
        controls=CARDINALITY_CONTROLS,
        view="cardinality_view",
        widget="cardinality_explorer",
        figure="cardinality_explorer_static",
    ),
    "network": dict(
        controls=NETWORK_CONTROLS, view="network_view", widget="network_explorer", figure="network_explorer_static"
    ),
}

__all__ = [
    "CARDINALITIES",
    "DEPTHS",
    "CONV2_SIZE",
    "CARDINALITY_CONTROLS",
    "NETWORK_CONTROLS",
    "EXPLORERS",
    "cardinality_readout",
    "cardinality_readout_html",
    "cardinality_chart",
    "cardinality_view",
    "network_readout",
    "network_readout_html",
    "network_chart",
    "network_view",
]
