"""Block diagrams (paper Figs. 1 and 3) from what the library builds: ``block_diagram``, ``forms_side_by_side``."""

import matplotlib.pyplot as plt

from resnext_edu._checks import positive_int
from resnext_edu.plots.block_source import FORM_NAMES, NOTE_BN, read_block
from resnext_edu.plots.canvas import MARGIN, PAD, Canvas, place, text_size
from resnext_edu.style import (
    CONV,
    FONT,
    GROUPED,
    INK,
    MUTED,
    SHORTCUT,
    SMALL,
    TITLE,
)  # fmt: skip

# --- block layout ------------------------------------------------------------------------------

BOX_H = 0.42
ROW_GAP = 0.3
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
    cv = Canvas()
    columns = drawing.paths
    labels = [lab for _, col in columns if col for lab in col]
    col_w = max(max(text_size(t, FONT)[0], text_size(n, SMALL)[0] if n else 0) for t, n in labels) + 2 * PAD
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
            mw = max(text_size(t, FONT)[0] for t, _, _ in drawing.merge) + 2 * PAD
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
        right = max(right, cx + R + 0.06 + text_size("sum of the paths", SMALL)[0])

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
        pw = max(text_size(drawing.shortcut, FONT)[0], text_size(note, SMALL)[0]) + 2 * PAD
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
    drawing = read_block(source, block)
    if title is not None and not isinstance(title, str):
        raise ValueError(f"title must be a string or None; got {title!r}.")
    return place(_block_canvas(drawing, title), ax)


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
        drawing = read_block(model)
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
        place(cv, ax, valign="top")
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
