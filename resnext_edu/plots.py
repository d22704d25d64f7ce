"""Figures drawn from the code itself: blocks read back from built models, tables recomputed.

Each function returns a matplotlib ``Figure`` and never calls ``plt.show()`` (the chapters do).
The block and network diagrams are laid out from what the library builds or computes: a block's
boxes are labelled with the channels, kernels, groups and strides of its actual Keras layers
(read with ``equivalence.find_blocks``), and a network's rows come from ``complexity.stage_table``
or from the layers of a model built by ``resnext_edu.models``. The paper's own results come from
``resnext_edu.paper``, and the figure that shows them says so.

Box labels follow the paper's Figs. 1 and 3: "in-channels, kernel, out-channels", e.g.
"256, 1x1, 4"; a grouped conv adds ", groups=C", a stride of 2 adds ", /2".

Importing this module imports matplotlib, not TensorFlow: Keras is only touched when a Keras
model is passed in (or built, by ``forms_side_by_side``).
"""

import functools
import math
import re
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, PathPatch
from matplotlib.path import Path
from matplotlib.textpath import TextToPath
from matplotlib.ticker import FixedLocator, FuncFormatter

from resnext_edu import complexity, paper
from resnext_edu._checks import positive_int
from resnext_edu.style import (
    BLUE,
    CONV,
    FONT,
    GRAY,
    GREEN,
    GROUPED,
    INK,
    MERGE,
    MUTED,
    ORANGE,
    RED,
    RULE,
    SHORTCUT,
    SMALL,
    TITLE,
    log2_axis,
    new_axes,
    style_axes,
)  # fmt: skip

# --- the paper's data (resnext_edu.paper) ---------------------------------------------

#: Alias of ``paper.TABLE3`` as dicts, for the chapters that still read it (new code: ``resnext_edu.paper``).
PAPER_TABLE3 = tuple(
    dict(depth=r.depth, cardinality=r.cardinality, bottleneck_width=r.bottleneck_width, top1=r.top1)
    for r in paper.TABLE3
)

#: Table 2 is about the conv2 stage's block: 256-d in, 256-d out (Table 1's first stage).
TABLE2_CHANNELS = 256

FORM_NAMES = {"a": "aggregated transformations", "b": "early concatenation", "c": "grouped convolution"}

# --- style (resnext_edu.style) ----------------------------------------------------------------

_T2P = TextToPath()


@functools.lru_cache(maxsize=4096)
def _text_size(text, size, weight="normal", style="normal"):
    """(width, height) in inches of one line of ``text`` at ``size`` points (measured glyphs)."""
    prop = FontProperties(size=size, weight=weight, style=style)
    width, _, _ = _T2P.get_text_width_height_descent(text, prop, ismath=False)
    return width * 1.06 / 72 + 0.02, size * 1.25 / 72


def _giga(n):
    return f"{n / 1e9:.3f} G"


# --- a small layout engine: primitives in inches at scale 1, rendered at any scale -------------


@dataclass
class _Canvas:
    """Boxes, circles, arrows and texts placed in inches (at font scale 1), with their extent."""

    items: list = field(default_factory=list)
    bounds: list = field(default_factory=lambda: [math.inf, math.inf, -math.inf, -math.inf])
    center: float = 0.0  # x of the main column (set by the layouts)

    def _grow(self, x0, y0, x1, y1):
        b = self.bounds
        self.bounds = [min(b[0], x0), min(b[1], y0), max(b[2], x1), max(b[3], y1)]

    def text(
        self,
        x,
        y,
        s,
        size=FONT,
        ha="center",
        va="center",
        color=INK,
        weight="normal",
        style="normal",
        rotation=0,
        background=False,
    ):
        w, h = _text_size(s, size, weight, style)
        if rotation:
            w, h = h, w
        x0 = {"left": x, "center": x - w / 2, "right": x - w}[ha]
        y0 = {"bottom": y, "center": y - h / 2, "top": y - h, "baseline": y - 0.25 * h}[va]
        self._grow(x0, y0, x0 + w, y0 + h)
        self.items.append(
            (
                "text",
                dict(
                    x=x,
                    y=y,
                    s=s,
                    size=size,
                    ha=ha,
                    va=va,
                    color=color,
                    weight=weight,
                    style=style,
                    rotation=rotation,
                    background=background,
                ),
            )
        )
        return w, h

    def box(self, x, y, w, h, main, sub=None, colors=CONV, weight="normal"):
        """A rounded box centred on (x, y); ``main`` label, optional small ``sub`` line below it."""
        self._grow(x - w / 2, y - h / 2, x + w / 2, y + h / 2)
        self.items.append(("box", dict(x=x, y=y, w=w, h=h, colors=colors)))
        if sub:
            self.text(x, y + 0.075, main, weight=weight)
            self.text(x, y - 0.105, sub, size=SMALL, color=MUTED)
        else:
            self.text(x, y, main, weight=weight)

    def circle(self, x, y, r, label="+"):
        self._grow(x - r, y - r, x + r, y + r)
        self.items.append(("circle", dict(x=x, y=y, r=r, label=label)))

    def arrow(self, points, head=True, color=INK, dashed=False, lw=1.0):
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        self._grow(min(xs), min(ys), max(xs), max(ys))
        self.items.append(("arrow", dict(points=points, head=head, color=color, dashed=dashed, lw=lw)))

    def line(self, points, color=INK, lw=1.0, dashed=False):
        self.arrow(points, head=False, color=color, dashed=dashed, lw=lw)

    def dot(self, x, y, r=0.035):
        self.items.append(("dot", dict(x=x, y=y, r=r)))

    @property
    def width(self):
        return self.bounds[2] - self.bounds[0]

    @property
    def height(self):
        return self.bounds[3] - self.bounds[1]

    def render(self, ax, scale):
        """Draw every item on ``ax`` (data units = inches at scale 1; fonts and lines times ``scale``)."""
        lw_scale = max(scale, 0.6)
        for kind, a in self.items:
            if kind == "text":
                bbox = dict(facecolor="white", edgecolor="none", pad=0.6 * scale) if a["background"] else None
                ax.text(
                    a["x"],
                    a["y"],
                    a["s"],
                    fontsize=a["size"] * scale,
                    ha=a["ha"],
                    va=a["va"],
                    color=a["color"],
                    fontweight=a["weight"],
                    fontstyle=a["style"],
                    rotation=a["rotation"],
                    bbox=bbox,
                    zorder=4,
                )
            elif kind == "box":
                fill, edge = a["colors"]
                ax.add_patch(
                    FancyBboxPatch(
                        (a["x"] - a["w"] / 2, a["y"] - a["h"] / 2),
                        a["w"],
                        a["h"],
                        boxstyle="round,pad=0,rounding_size=0.06",
                        facecolor=fill,
                        edgecolor=edge,
                        linewidth=0.9 * lw_scale,
                        zorder=3,
                    )
                )
            elif kind == "circle":
                ax.add_patch(
                    Circle(
                        (a["x"], a["y"]), a["r"], facecolor="white", edgecolor=INK, linewidth=0.9 * lw_scale, zorder=3
                    )
                )
                ax.text(
                    a["x"],
                    a["y"],
                    a["label"],
                    fontsize=11 * scale,
                    ha="center",
                    va="center_baseline",
                    color=INK,
                    zorder=4,
                )
            elif kind == "dot":
                ax.add_patch(Circle((a["x"], a["y"]), a["r"], facecolor=INK, edgecolor="none", zorder=3))
            elif kind == "arrow":
                _draw_polyline(ax, a["points"], a["head"], a["color"], a["lw"] * lw_scale, a["dashed"], scale)


def _draw_polyline(ax, points, head, color, lw, dashed, scale, radius=0.1):
    """A polyline with rounded corners; its last straight run carries the arrow head."""
    verts, codes = [points[0]], [Path.MOVETO]
    for prev, corner, nxt in zip(points, points[1:], points[2:]):
        d1 = math.dist(prev, corner)
        d2 = math.dist(corner, nxt)
        r = min(radius, d1 / 2, d2 / 2)
        a = (corner[0] - r * (corner[0] - prev[0]) / d1, corner[1] - r * (corner[1] - prev[1]) / d1)
        b = (corner[0] + r * (nxt[0] - corner[0]) / d2, corner[1] + r * (nxt[1] - corner[1]) / d2)
        verts += [a, corner, b]
        codes += [Path.LINETO, Path.CURVE3, Path.CURVE3]
    style = (0, (3, 2)) if dashed else "solid"
    if not head:
        verts.append(points[-1])
        codes.append(Path.LINETO)
        ax.add_patch(
            PathPatch(
                Path(verts, codes),
                fill=False,
                edgecolor=color,
                linewidth=lw,
                linestyle=style,
                capstyle="butt",
                zorder=2,
            )
        )
        return
    if len(verts) > 1:
        ax.add_patch(
            PathPatch(
                Path(verts, codes),
                fill=False,
                edgecolor=color,
                linewidth=lw,
                linestyle=style,
                capstyle="butt",
                zorder=2,
            )
        )
    ax.add_patch(
        FancyArrowPatch(
            verts[-1],
            points[-1],
            arrowstyle="-|>",
            mutation_scale=8 * scale,
            shrinkA=0,
            shrinkB=0,
            color=color,
            linewidth=lw,
            linestyle=style,
            zorder=2,
        )
    )


MARGIN = 0.12


def _place(canvas, ax, valign="center", figsize=None):
    """Render ``canvas`` on ``ax`` (or on a new figure of its size), scaling it to fit; returns the figure."""
    x0, y0, x1, y1 = canvas.bounds
    w, h = canvas.width + 2 * MARGIN, canvas.height + 2 * MARGIN
    if ax is None:
        fig = plt.figure(figsize=figsize or (w, h))
        ax = fig.add_axes((0, 0, 1, 1))
    fig = ax.figure
    engine = getattr(fig, "get_layout_engine", lambda: None)()
    if engine is not None:  # place the axes now: the drawing is scaled to the axes' final size
        engine.execute(fig)
    pos = ax.get_position()
    aw, ah = pos.width * fig.get_figwidth(), pos.height * fig.get_figheight()
    scale = min(aw / w, ah / h)
    xr, yr = aw / scale, ah / scale
    cx = (x0 + x1) / 2
    ax.set_xlim(cx - xr / 2, cx + xr / 2)
    if valign == "top":
        ax.set_ylim(y1 + MARGIN - yr, y1 + MARGIN)
    else:
        cy = (y0 + y1) / 2
        ax.set_ylim(cy - yr / 2, cy + yr / 2)
    ax.set_axis_off()
    canvas.render(ax, scale)
    return fig


# --- reading a block: from a built model or from a BlockSpec -----------------------------------


@dataclass
class _BlockDrawing:
    """What ``block_diagram`` draws: labels of every box, read from layers or from a BlockSpec."""

    name: object
    form: str
    cardinality: int
    bottleneck_width: int
    in_channels: int
    out_channels: int
    strides: int
    paths: list  # [(path index or None for the ellipsis, [(label, note), ...]), ...]
    merge: list  # boxes after the paths: [(label, note, colors), ...]
    shortcut: object  # None (identity) or the projection's label


def _label(cin, kernel, cout, groups=1, strides=1):
    k = kernel if isinstance(kernel, (tuple, list)) else (kernel, kernel)
    text = f"{cin}, {k[0]}x{k[1]}, {cout}"
    if groups > 1:
        text += f", groups={groups}"
    if strides != 1:
        text += f", /{strides}"
    return text


def _layer_label(layer):
    """``_label`` of a built conv layer: its real input channels, kernel, filters, groups, stride."""
    return _label(
        int(layer.input.shape[-1]),
        tuple(layer.kernel_size),
        int(layer.filters),
        int(getattr(layer, "groups", 1)),
        int(layer.strides[0]),
    )


def _drawn_paths(cardinality):
    """Path indices to draw: all up to 4; else the first three, an ellipsis (None) and the last."""
    return list(range(1, cardinality + 1)) if cardinality <= 4 else [1, 2, 3, None, cardinality]


NOTE_RELU, NOTE_BN = "BN, ReLU", "BN"


def _drawing_from_spec(spec):
    form, c, d = spec.form, spec.cardinality, spec.bottleneck_width
    cin, cout, s = spec.in_channels, spec.filters, spec.strides
    if form == "c":
        paths = [
            (
                1,
                [
                    (_label(cin, 1, c * d), NOTE_RELU),
                    (_label(c * d, 3, c * d, c, s), NOTE_RELU),
                    (_label(c * d, 1, cout), NOTE_BN),
                ],
            )
        ]
        merge = []
    else:
        column = [(_label(cin, 1, d), NOTE_RELU), (_label(d, 3, d, 1, s), NOTE_RELU)]
        if form == "a":
            column.append((_label(d, 1, cout), None))
        paths = [(i, column if i else None) for i in _drawn_paths(c)]
        merge = [] if form == "a" else [("concatenate", f"{c * d}-d", MERGE), (_label(c * d, 1, cout), NOTE_BN, CONV)]
    shortcut = _label(cin, 1, cout, 1, s) if (s != 1 or cin != cout) else None
    return _BlockDrawing(getattr(spec, "name", None), form, c, d, cin, cout, s, paths, merge, shortcut)


def _drawing_from_model(model, spec):
    """Labels read from the model's own layers (kernel sizes, filters, groups, strides)."""
    n = spec.name
    get = model.get_layer
    if spec.form == "c":
        convs = [get(f"{n}_conv{j}") for j in (1, 2, 3)]
        paths = [
            (
                1,
                [
                    (_layer_label(convs[0]), NOTE_RELU),
                    (_layer_label(convs[1]), NOTE_RELU),
                    (_layer_label(convs[2]), NOTE_BN),
                ],
            )
        ]
        merge = []
    else:
        depth = 3 if spec.form == "a" else 2
        notes = (NOTE_RELU, NOTE_RELU, None)
        paths = []
        for i in _drawn_paths(spec.cardinality):
            column = (
                None
                if i is None
                else [(_layer_label(get(f"{n}_path{i}_conv{j}")), notes[j - 1]) for j in range(1, depth + 1)]
            )
            paths.append((i, column))
        if spec.form == "a":
            merge = []
        else:
            concat = get(f"{n}_concat")
            merge = [
                ("concatenate", f"{int(concat.output.shape[-1])}-d", MERGE),
                (_layer_label(get(f"{n}_conv3")), NOTE_BN, CONV),
            ]
    try:
        projection = get(f"{n}_shortcut_conv")
    except ValueError:
        projection = None
    shortcut = None if projection is None else _layer_label(projection)
    return _BlockDrawing(
        n,
        spec.form,
        spec.cardinality,
        spec.bottleneck_width,
        spec.in_channels,
        spec.filters,
        spec.strides,
        paths,
        merge,
        shortcut,
    )


_SPEC_FIELDS = ("form", "in_channels", "filters", "cardinality", "bottleneck_width", "strides")


def _read_block(source, block=None):
    """A ``_BlockDrawing`` of ``source``: a Keras model holding library blocks, or a BlockSpec."""
    if hasattr(source, "get_layer") and hasattr(source, "layers"):
        from resnext_edu import equivalence  # Keras only when a model is given

        specs = equivalence.find_blocks(source)
        if not specs:
            raise ValueError(
                f"model {getattr(source, 'name', '?')!r} holds no resnext_edu block: block_diagram "
                "draws the blocks of Figs. 1 and 3 built by resnext_edu.blocks (resnext_block, "
                "bottleneck_block) or resnext_edu.models; depth-2 blocks (Fig. 4) are not drawn."
            )
        if block is None:
            spec = specs[0]
        else:
            matches = [s for s in specs if s.name == block]
            if not matches:
                names = ", ".join(repr(s.name) for s in specs[:6]) + (", ..." if len(specs) > 6 else "")
                raise ValueError(f"model {source.name!r} has no block named {block!r}; its blocks: {names}.")
            spec = matches[0]
        _check_form(spec.form)
        return _drawing_from_model(source, spec)
    if all(hasattr(source, f) for f in _SPEC_FIELDS):
        if block is not None:
            raise ValueError("block= chooses a block inside a model; a BlockSpec is already one block.")
        _check_form(source.form)
        for f in _SPEC_FIELDS[1:]:
            positive_int(f, getattr(source, f))
        return _drawing_from_spec(source)
    raise ValueError(
        "block_diagram needs a Keras model built with resnext_edu's blocks or an "
        f"equivalence.BlockSpec; got {type(source).__name__}."
    )


def _check_form(form):
    if form not in FORM_NAMES:
        raise ValueError(f"block_diagram draws the forms 'a', 'b' and 'c' of Fig. 3; this block has form {form!r}.")


# --- block layout ------------------------------------------------------------------------------

BOX_H = 0.42
ROW_GAP = 0.3
PAD = 0.09
COL_GAP = 0.13
ELLIPSIS_W = 0.32
R = 0.13


def _block_title(drawing):
    c, d = drawing.cardinality, drawing.bottleneck_width
    if drawing.form == "c" and c == 1:
        return "ResNet bottleneck", f"C = 1, d = {d}  ·  paper Fig. 1 (left)"
    return f"({drawing.form}) {FORM_NAMES[drawing.form]}", f"C = {c}, d = {d}  ·  paper Fig. 3({drawing.form})"


def _block_canvas(drawing, title=None, subtitle=None):
    """Lay out a block top-down like the paper's Fig. 3: input, paths, merge, shortcut, sum, output."""
    cv = _Canvas()
    columns = drawing.paths
    labels = [lab for _, col in columns if col for lab in col]
    col_w = max(max(_text_size(t, FONT)[0], _text_size(n, SMALL)[0] if n else 0) for t, n in labels) + 2 * PAD
    widths = [col_w if col else ELLIPSIS_W for _, col in columns]
    lefts, x = [], 0.0
    for w in widths:
        lefts.append(x)
        x += w + COL_GAP
    centers = [left + w / 2 for left, w in zip(lefts, widths)]
    span_right = lefts[-1] + widths[-1]
    cx = span_right / 2
    multi = len(columns) > 1

    # input, branch point of the shortcut, fan-out bus
    cv.text(cx, 0.0, f"{drawing.in_channels}-d in", weight="bold")
    y_branch = -0.3
    y_bus = -0.5
    top = -0.7 if multi else -0.55
    cv.dot(cx, y_branch)
    if multi:
        cv.line([(cx, -0.1), (cx, y_bus)])
        cv.line([(centers[0], y_bus), (centers[-1], y_bus)])
        for (_, col), xc in zip(columns, centers):
            if col:
                cv.arrow([(xc, y_bus), (xc, top)])
    else:
        cv.arrow([(cx, -0.1), (cx, top)])

    # the paths: one column of boxes each, BN/ReLU noted under each label
    rows = max(len(col) for _, col in columns if col)
    ys = [top - BOX_H / 2 - r * (BOX_H + ROW_GAP) for r in range(rows)]
    for (_, col), xc in zip(columns, centers):
        if not col:
            for y in ys:
                cv.text(xc, y, "…", size=14, weight="bold", color=MUTED)
            continue
        for r, (label, note) in enumerate(col):
            colors = GROUPED if "groups=" in label else CONV
            cv.box(xc, ys[r], col_w, BOX_H, label, note, colors)
            if r:
                cv.arrow([(xc, ys[r - 1] - BOX_H / 2), (xc, ys[r] + BOX_H / 2)])
    bottom = ys[-1] - BOX_H / 2
    right = span_right

    # merge the paths: sum (a), concatenate + 1x1 (b), nothing (c)
    caption = f"C = {drawing.cardinality} paths"
    if multi:
        y_bus2 = bottom - 0.2
        for (_, col), xc in zip(columns, centers):
            if col:
                cv.line([(xc, bottom), (xc, y_bus2)])
        cv.line([(centers[0], y_bus2), (centers[-1], y_bus2)])
        y = y_bus2
    else:
        y = bottom
    if drawing.form == "a":
        y_sum = y - 0.36 - R
        cv.arrow([(cx, y), (cx, y_sum + R)])
        if multi or drawing.cardinality > 1:
            cv.text(cx - 0.18, (y + y_sum + R) / 2, caption, size=SMALL + 0.6, ha="right", color=MUTED, style="italic")
        cv.circle(cx, y_sum, R)
        cv.text(cx + R + 0.06, y_sum, "sum of the paths", size=SMALL, ha="left", color=MUTED)
        y_res = y_sum - 2 * R - 0.42
        cv.arrow([(cx, y_sum - R), (cx, y_res + R)])
        cv.text(cx + 0.06, (y_sum + y_res) / 2, NOTE_BN, size=SMALL, ha="left", color=MUTED)
    else:
        if drawing.form == "b":
            mw = max(_text_size(t, FONT)[0] for t, _, _ in drawing.merge) + 2 * PAD
            y_box = y - 0.32 - BOX_H / 2
            cv.arrow([(cx, y), (cx, y_box + BOX_H / 2)])
            if multi:
                cv.text(
                    cx - 0.18,
                    (y + y_box + BOX_H / 2) / 2,
                    caption,
                    size=SMALL + 0.6,
                    ha="right",
                    color=MUTED,
                    style="italic",
                )
            for k, (label, note, colors) in enumerate(drawing.merge):
                if k:
                    cv.arrow([(cx, y_box + BOX_H + ROW_GAP - BOX_H / 2), (cx, y_box + BOX_H / 2)])
                cv.box(cx, y_box, mw, BOX_H, label, note, colors)
                right = max(right, cx + mw / 2)
                y_box -= BOX_H + ROW_GAP
            y = y_box + BOX_H + ROW_GAP - BOX_H / 2
        y_res = y - 0.32 - R
        cv.arrow([(cx, y), (cx, y_res + R)])

    # residual sum, output
    cv.circle(cx, y_res, R)
    y_out = y_res - R - 0.45
    cv.arrow([(cx, y_res - R), (cx, y_out + 0.1)])
    cv.text(cx + 0.06, (y_res - R + y_out + 0.1) / 2, "ReLU", size=SMALL, ha="left", color=MUTED)
    cv.text(cx, y_out, f"{drawing.out_channels}-d out", weight="bold")
    if drawing.form == "a":
        right = max(right, cx + R + 0.06 + _text_size("sum of the paths", SMALL)[0])

    # shortcut: from the branch point around the right side into the residual sum
    if drawing.shortcut is None:
        x_lane = right + 0.3
        cv.arrow([(cx, y_branch), (x_lane, y_branch), (x_lane, y_res), (cx + R, y_res)])
        cv.text(
            x_lane + 0.06,
            (y_branch + y_res) / 2,
            "identity shortcut",
            size=SMALL,
            ha="left",
            color=MUTED,
            style="italic",
            rotation=90,
        )
    else:
        note = "projection shortcut, BN"
        pw = max(_text_size(drawing.shortcut, FONT)[0], _text_size(note, SMALL)[0]) + 2 * PAD
        x_lane = right + 0.25 + pw / 2
        y_p = (y_branch + y_res) / 2
        cv.arrow([(cx, y_branch), (x_lane, y_branch), (x_lane, y_p + BOX_H / 2)])
        cv.box(x_lane, y_p, pw, BOX_H, drawing.shortcut, note, SHORTCUT)
        cv.arrow([(x_lane, y_p - BOX_H / 2), (x_lane, y_res), (cx + R, y_res)])

    # title (form, C, d) above, optional footer below
    head, sub = _block_title(drawing)
    cv.text(cx, 0.62, title or head, size=TITLE, weight="bold")
    cv.text(cx, 0.36, subtitle or sub, size=SMALL + 1, color=MUTED)
    cv.center = cx
    return cv


def block_diagram(source, ax=None, title=None, *, block=None):
    """A block drawn like the paper's Fig. 3 (Fig. 1 left for C = 1) from its actual structure.

    ``source`` is a Keras model holding blocks built by ``resnext_edu`` (the first block is drawn,
    or the one named ``block``; labels come from the layers' channels, kernels, groups and strides)
    or an ``equivalence.BlockSpec``. Form "a" draws C paths of three boxes summed, "b" C paths of
    two boxes, "concatenate" and one 1x1, "c" three boxes with a grouped 3x3; for C > 4 the paths
    drawn are 1, 2, 3, "…", C. The shortcut is an identity or a "1x1 projection" box; a stride
    of 2 shows as "/2"; BN and ReLU are noted under each conv.
    """
    drawing = _read_block(source, block)
    if title is not None and not isinstance(title, str):
        raise ValueError(f"title must be a string or None; got {title!r}.")
    return _place(_block_canvas(drawing, title), ax)


def _build_block_model(form, in_channels, filters, cardinality, bottleneck_width):
    import keras

    from resnext_edu import blocks

    inputs = keras.Input((8, 8, in_channels))
    outputs = blocks.resnext_block(inputs, filters, cardinality, bottleneck_width, form=form, name="block")
    return keras.Model(inputs, outputs, name=f"form_{form}")


def forms_side_by_side(cardinality=4, bottleneck_width=4, filters=256, in_channels=256):
    """Forms (a), (b), (c) of one block side by side (paper Fig. 3), each built with the library.

    Each panel is ``block_diagram`` of a one-block model built by ``blocks.resnext_block`` with
    that form; under it, the model's trainable parameters (``introspect.trainable_params``):
    the same number for the three forms.
    """
    from resnext_edu import introspect

    c = positive_int("cardinality", cardinality)
    d = positive_int("bottleneck_width", bottleneck_width)
    filters = positive_int("filters", filters)
    in_channels = positive_int("in_channels", in_channels)
    canvases, counts = [], []
    for form in "abc":
        model = _build_block_model(form, in_channels, filters, c, d)
        count = introspect.trainable_params(model)
        counts.append(count)
        drawing = _read_block(model)
        canvases.append(
            _block_canvas(
                drawing, title=f"({form}) {FORM_NAMES[form]}", subtitle=f"C = {c}, d = {d}  ·  paper Fig. 3({form})"
            )
        )
    bottom = min(cv.bounds[1] for cv in canvases)
    for cv, count in zip(canvases, counts):  # the counts on one line under the three panels
        cv.text(cv.center, bottom - 0.3, f"{count:,} trainable parameters", weight="bold")
    widths = [cv.width + 2 * MARGIN for cv in canvases]
    height = max(cv.height for cv in canvases) + 2 * MARGIN
    total = sum(widths)
    fig_w = min(max(total, 8.0), 11.0)
    scale = fig_w / total
    top_band = 0.45
    fig = plt.figure(figsize=(fig_w, height * scale + top_band))
    x = 0.0
    for cv, w in zip(canvases, widths):
        ax = fig.add_axes((x / total, 0, w / total, height * scale / (height * scale + top_band)))
        _place(cv, ax, valign="top")
        x += w
    same = "the same" if len(set(counts)) == 1 else "different"
    fig.suptitle(
        f"One block, three forms: {same} parameters, the same function ({in_channels}-d in, {filters}-d out)",
        fontsize=TITLE + 1,
        fontweight="bold",
        y=1 - 0.12 / (height * scale + top_band),
        va="top",
        color=INK,
    )
    return fig


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


# --- the whole network (Table 1) ---------------------------------------------------------------


def _display_name(stages):
    """The paper's name of a network from its stage rows (depth = 3 convs a block + stem + classifier)."""
    depth = 3 * sum(row["blocks"] for row in stages) + 2
    c = stages[0]["cardinality"]
    return complexity.display_name(depth, c, stages[0]["group_width"] // c)


def _size(size):
    if size is None or None in size:
        return "—"
    return f"{size[0]}×{size[1]}"


def _input_text(size):
    return "input of any size" if _size(size) == "—" else f"{_size(size)} input"


def _stage_lines(out_channels, cardinality, group_width):
    c = f", C={cardinality}" if cardinality > 1 else ""
    return [f"1x1, {group_width}", f"3x3, {group_width}{c}", f"1x1, {out_channels}"]


def _arch_rows(arch):
    """Rows of Table 1 from ``complexity.stage_table``, with the text of each stage's box."""
    rows = complexity.stage_table(arch)
    out = []
    for row in rows:
        row = dict(row)
        if row["stage"] == "conv1":
            row["lines"] = [f"{arch.stem_kernel}x{arch.stem_kernel}, {arch.stem_filters}, stride {arch.stem_strides}"]
            row["note"] = None
        elif row["stage"] == "fc":
            row["lines"] = ["global average pool", f"{arch.num_classes}-d fc"]
            row["note"] = None
        else:
            row["lines"] = _stage_lines(row["out_channels"], row["cardinality"], row["group_width"])
            first = row["stage"] == arch.stages[0].name
            row["note"] = "3x3 max pool, stride 2" if (first and arch.stem_pool) else None
        out.append(row)
    return out


def _model_rows(model):
    """Rows of Table 1 read from a model built by ``resnext_edu.models`` (its layers and weights)."""
    from resnext_edu import equivalence, introspect

    specs = equivalence.find_blocks(model)
    names = {layer.name for layer in model.layers}
    if not specs or "conv1_conv" not in names or "fc" not in names:
        raise ValueError(
            f"network_diagram reads models built by resnext_edu.models (layers conv1_conv, "
            f"conv{{k}}_block{{i}}_out, fc); model {getattr(model, 'name', '?')!r} is not one."
        )

    def counts(prefix=None, exact=None):
        params, macs, known = 0, 0, True
        for layer in model.layers:
            if (exact and layer.name == exact) or (prefix and layer.name.startswith(prefix)):
                params += sum(math.prod(w.shape) for w in layer.trainable_weights)
                try:
                    macs += introspect.conv_macs(layer)
                except TypeError:  # an input of unknown height or width: no fixed count
                    known = False
        return params, (macs if known else None)

    def out_size(layer):
        shape = layer.output.shape
        return None if shape[1] is None or shape[2] is None else (int(shape[1]), int(shape[2]))

    stem = model.get_layer("conv1_conv")
    k, s = stem.kernel_size[0], stem.strides[0]
    p, m = counts(prefix="conv1_")
    rows = [
        dict(
            stage="conv1",
            output_size=out_size(stem),
            blocks=0,
            out_channels=int(stem.filters),
            group_width=None,
            cardinality=None,
            params=p,
            macs=m,
            note=None,
            lines=[f"{k}x{k}, {int(stem.filters)}, stride {s}"],
        )
    ]
    stages = {}
    for spec in specs:
        match = re.match(r"^(conv\d+)_block(\d+)$", spec.name)
        if not match:
            raise ValueError(f"network_diagram expects blocks named conv{{k}}_block{{i}}; found {spec.name!r}.")
        stages.setdefault(match.group(1), []).append(spec)
    pool = "pool1" in names
    for n, (stage, blocks) in enumerate(stages.items()):
        first, last = blocks[0], blocks[-1]
        p, m = counts(prefix=f"{stage}_")
        gw = first.cardinality * first.bottleneck_width
        note = None
        if n == 0 and pool:
            layer = model.get_layer("pool1")
            note = f"{layer.pool_size[0]}x{layer.pool_size[1]} max pool, stride {layer.strides[0]}"
        rows.append(
            dict(
                stage=stage,
                output_size=out_size(model.get_layer(f"{last.name}_out")),
                blocks=len(blocks),
                out_channels=first.filters,
                group_width=gw,
                cardinality=first.cardinality,
                params=p,
                macs=m,
                note=note,
                lines=_stage_lines(first.filters, first.cardinality, gw),
            )
        )
    fc = model.get_layer("fc")
    p, m = counts(exact="fc")
    rows.append(
        dict(
            stage="fc",
            output_size=(1, 1),
            blocks=0,
            out_channels=int(fc.units),
            group_width=None,
            cardinality=None,
            params=p,
            macs=m,
            note=None,
            lines=["global average pool", f"{int(fc.units)}-d fc"],
        )
    )
    return rows


def _network(source):
    """(display name, input size, rows) of an Architecture or a model built by ``resnext_edu.models``."""
    if isinstance(source, complexity.Architecture):
        rows = _arch_rows(source)
        return source.display_name, source.input_size, rows
    if hasattr(source, "get_layer") and hasattr(source, "layers"):
        rows = _model_rows(source)
        shape = source.inputs[0].shape
        return _display_name(rows[1:-1]), (shape[1], shape[2]), rows
    raise ValueError(
        "network_diagram needs a complexity.Architecture (e.g. complexity.imagenet_architecture"
        f"(50, 32, 4)) or a model built by resnext_edu.models; got {type(source).__name__}."
    )


def _network_canvas(networks):
    """Table 1 as boxes: one row per stage, one column per network (params and multiply-adds under each)."""
    cv = _Canvas()
    order = []
    for _, _, rows in networks:
        for row in rows:
            if row["stage"] not in order:
                order.append(row["stage"])
    by_stage = [{row["stage"]: row for row in rows} for _, _, rows in networks]

    line_h, stat_size = 0.19, 7.2

    def stats(row):
        macs = "—" if row["macs"] is None else _giga(row["macs"])
        return f"{row['params']:,} params  ·  {macs} MACs"

    box_ws = []
    for table in by_stage:
        w = max(max(_text_size(t, FONT)[0] for t in row["lines"]) for row in table.values()) + 2 * PAD
        box_ws.append(w)
    col_ws = []
    for (name, _, rows), bw in zip(networks, box_ws):
        widths = [bw + 0.5, _text_size(name, FONT + 0.5, "bold")[0]]
        widths += [_text_size(stats(row), stat_size)[0] for row in rows]
        widths += [_text_size(f"{sum(r['params'] for r in rows):,} params", FONT, "bold")[0]]
        col_ws.append(max(widths) + 0.2)
    stage_w = max(_text_size(s, FONT, "bold")[0] for s in order + ["stage"]) + 0.25
    sizes = [[_size(t[s]["output_size"]) if s in t else "" for t in by_stage] for s in order]
    out_texts = [" | ".join(dict.fromkeys(x for x in row if x)) for row in sizes]
    out_w = max(_text_size(t, FONT)[0] for t in out_texts + ["output size"]) + 0.3
    x_stage, x_out = 0.0, stage_w
    x_cols, x = [], stage_w + out_w
    for w in col_ws:
        x_cols.append(x + w / 2)
        x += w
    right = x

    cv.text(x_stage, 0, "stage", ha="left", weight="bold", color=MUTED)
    cv.text(x_out + out_w / 2 - 0.1, 0, "output size", weight="bold", color=MUTED)
    for (name, size, _), xc in zip(networks, x_cols):
        cv.text(xc, 0.05, name, size=FONT + 0.5, weight="bold")
        cv.text(xc, -0.16, _input_text(size), size=SMALL, color=MUTED)
    y = -0.32
    cv.line([(0, y), (right, y)], color=RULE, lw=0.8)
    for stage, out_text in zip(order, out_texts):
        rows = [t.get(stage) for t in by_stage]
        n_lines = max(len(r["lines"]) for r in rows if r)
        has_note = any(r and r["note"] for r in rows)
        note_h = 0.22 if has_note else 0.0
        box_h = 0.16 + n_lines * line_h
        row_h = 0.14 + note_h + box_h + 0.3
        y_box = y - 0.14 - note_h - box_h / 2
        cv.text(x_stage, y_box, stage, ha="left", weight="bold")
        cv.text(x_out + out_w / 2 - 0.1, y_box, out_text)
        for row, xc, bw in zip(rows, x_cols, box_ws):
            if not row:
                continue
            if row["note"]:
                cv.text(xc, y - 0.14 - 0.09, row["note"], size=SMALL + 0.4, color=MUTED)
            colors = GROUPED if (row["cardinality"] or 1) > 1 else CONV
            if row["blocks"]:
                cv.box(xc - 0.2, y_box, bw, box_h, "", None, colors)
                for k, t in enumerate(row["lines"]):
                    cv.text(xc - 0.2, y_box + (n_lines - 1) / 2 * line_h - k * line_h, t)
                cv.text(xc - 0.2 + bw / 2 + 0.08, y_box, f"× {row['blocks']}", ha="left", weight="bold")
            else:
                cv.box(xc - 0.2, y_box, bw, box_h, "", None, MERGE if row["stage"] == "fc" else CONV)
                k0 = (n_lines - len(row["lines"])) / 2
                for k, t in enumerate(row["lines"]):
                    cv.text(xc - 0.2, y_box + (n_lines - 1) / 2 * line_h - (k + k0) * line_h, t)
            cv.text(xc, y_box - box_h / 2 - 0.14, stats(row), size=stat_size, color=MUTED)
        y -= row_h
        cv.line([(0, y), (right, y)], color=RULE, lw=0.8)
    cv.text(x_stage, y - 0.24, "total", ha="left", weight="bold")
    for (_, _, rows), xc in zip(networks, x_cols):
        params = sum(r["params"] for r in rows)
        macs = None if any(r["macs"] is None for r in rows) else sum(r["macs"] for r in rows)
        cv.text(xc, y - 0.2, f"{params:,} params", weight="bold")
        cv.text(xc, y - 0.42, f"{'—' if macs is None else _giga(macs)} multiply-adds", size=FONT - 0.5)
    for k, note in enumerate(
        (
            "Paper Table 1, computed (resnext_edu).",
            "Params: trainable, BN included. MACs: multiply-adds (the paper's FLOPs).",
        )
    ):
        cv.text(0, y - 0.72 - 0.14 * k, note, size=SMALL, ha="left", color=MUTED, style="italic")
    return cv


def network_diagram(arch_or_model, ax=None):
    """The whole network as the paper's Table 1: one row per stage, with sizes, params and multiply-adds.

    Accepts a ``complexity.Architecture`` (counts from ``complexity.stage_table``) or a model built
    by ``resnext_edu.models`` (sizes from its ``conv{k}_block{i}_out`` layers, counts from its
    weights). Each stage box lists the block, [1x1, 3x3 (C groups), 1x1] widths, times its blocks.
    """
    return _place(_network_canvas([_network(arch_or_model)]), ax)


def compare_networks(arch1, arch2):
    """Two networks side by side as in the paper's Table 1 (e.g. ResNet-50 next to ResNeXt-50 32×4d)."""
    return _place(_network_canvas([_network(arch1), _network(arch2)]), None)


# --- Table 1 as a table ------------------------------------------------------------------------


class StageTable:
    """Table 1 computed, as a table a notebook shows as HTML; its plain text is deterministic."""

    columns = ("stage", "output size", "blocks", "out channels", "group width (C)", "params", "multiply-adds")

    def __init__(self, name, input_size, rows):
        self.name = name
        self.input_size = input_size
        self.rows = rows  # raw numbers, one dict per stage (as complexity.stage_table)
        self.total_params = sum(r["params"] for r in rows)
        self.total_macs = None if any(r["macs"] is None for r in rows) else sum(r["macs"] for r in rows)

    @property
    def title(self):
        return f"{self.name}, {_input_text(self.input_size)} (Table 1, computed)"

    def cells(self):
        """The table's text: one tuple of strings per stage, then the total."""
        out = []
        for r in self.rows:
            group = "—" if r["group_width"] is None else f"{r['group_width']} (C={r['cardinality']})"
            out.append(
                (
                    r["stage"],
                    _size(r["output_size"]),
                    str(r["blocks"]) if r["blocks"] else "—",
                    str(r["out_channels"]),
                    group,
                    f"{r['params']:,}",
                    "—" if r["macs"] is None else _giga(r["macs"]),
                )
            )
        macs = "—" if self.total_macs is None else _giga(self.total_macs)
        out.append(("total", "", "", "", "", f"{self.total_params:,}", macs))
        return out

    def __repr__(self):
        cells = self.cells()
        widths = [max(len(c[i]) for c in cells + [self.columns]) for i in range(len(self.columns))]
        numeric = {2, 3, 5, 6}

        def fmt(row):
            return "  ".join(
                c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))
            ).rstrip()

        return "\n".join([self.title, fmt(self.columns), *(fmt(r) for r in cells)])

    __str__ = __repr__

    def _repr_html_(self):
        import html

        head = "".join(
            f"<th style='text-align:{'left' if i in (0, 1, 4) else 'right'}'>{html.escape(c)}</th>"
            for i, c in enumerate(self.columns)
        )
        body = []
        for k, row in enumerate(self.cells()):
            style = " style='font-weight:bold; border-top:1px solid #999'" if k == len(self.rows) else ""
            cells = "".join(
                f"<td style='text-align:{'left' if i in (0, 1, 4) else 'right'}'>{html.escape(c)}</td>"
                for i, c in enumerate(row)
            )
            body.append(f"<tr{style}>{cells}</tr>")
        return (
            f"<table><caption style='caption-side:top; text-align:left'>{html.escape(self.title)}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        )


def stage_table_frame(arch):
    """The paper's Table 1, computed: a ``StageTable`` (HTML in a notebook, aligned text otherwise).

    ``arch`` is a ``complexity.Architecture`` (rows from ``complexity.stage_table``) or a model
    built by ``resnext_edu.models`` (rows read from its layers). Columns: stage, output size,
    blocks, out channels, group width (C), params, multiply-adds.
    """
    name, size, rows = _network(arch)
    return StageTable(name, size, [{k: v for k, v in r.items() if k not in ("lines", "note")} for r in rows])


__all__ = [
    "PAPER_TABLE3",
    "FORM_NAMES",
    "block_diagram",
    "forms_side_by_side",
    "table2_bars",
    "cardinality_sweep",
    "fixed_width_costs",
    "paper_table3",
    "network_diagram",
    "compare_networks",
    "StageTable",
    "stage_table_frame",
]
