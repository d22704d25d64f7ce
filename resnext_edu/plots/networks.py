"""The whole network (paper Table 1): rows from ``complexity.stage_table`` or a built model, drawn side by side."""

import math

from resnext_edu import complexity
from resnext_edu.names import CLASSIFIER, STEM_CONV, STEM_POOL, layer_name, parse_block_name
from resnext_edu.plots.canvas import PAD, Canvas, place, text_size
from resnext_edu.style import (
    CONV,
    FONT,
    GROUPED,
    MERGE,
    MUTED,
    RULE,
    SMALL,
)  # fmt: skip


def giga(n):
    return f"{n / 1e9:.3f} G"


# --- the whole network (Table 1) ---------------------------------------------------------------


def _display_name(stages):
    """The paper's name of a network from its stage rows (depth = 3 convs a block + stem + classifier)."""
    depth = 3 * sum(row["blocks"] for row in stages) + 2
    c = stages[0]["cardinality"]
    return complexity.display_name(depth, c, stages[0]["group_width"] // c)


def size_text(size):
    if size is None or None in size:
        return "—"
    return f"{size[0]}×{size[1]}"


def input_text(size):
    return "input of any size" if size_text(size) == "—" else f"{size_text(size)} input"


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
    if not specs or STEM_CONV not in names or CLASSIFIER not in names:
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

    stem = model.get_layer(STEM_CONV)
    k, s = stem.kernel_size[0], stem.strides[0]
    p, m = counts(prefix=STEM_CONV.removesuffix("conv"))
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
        parsed = parse_block_name(spec.name)
        if not parsed:
            raise ValueError(f"network_diagram expects blocks named conv{{k}}_block{{i}}; found {spec.name!r}.")
        stages.setdefault(parsed[0], []).append(spec)
    pool = STEM_POOL in names
    for n, (stage, blocks) in enumerate(stages.items()):
        first, last = blocks[0], blocks[-1]
        p, m = counts(prefix=f"{stage}_")
        gw = first.cardinality * first.bottleneck_width
        note = None
        if n == 0 and pool:
            layer = model.get_layer(STEM_POOL)
            note = f"{layer.pool_size[0]}x{layer.pool_size[1]} max pool, stride {layer.strides[0]}"
        rows.append(
            dict(
                stage=stage,
                output_size=out_size(model.get_layer(layer_name(last.name, "out"))),
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
    fc = model.get_layer(CLASSIFIER)
    p, m = counts(exact=CLASSIFIER)
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


def network_rows(source):
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
    cv = Canvas()
    order = []
    for _, _, rows in networks:
        for row in rows:
            if row["stage"] not in order:
                order.append(row["stage"])
    by_stage = [{row["stage"]: row for row in rows} for _, _, rows in networks]

    line_h, stat_size = 0.19, 7.2

    def stats(row):
        macs = "—" if row["macs"] is None else giga(row["macs"])
        return f"{row['params']:,} params  ·  {macs} MACs"

    box_ws = []
    for table in by_stage:
        w = max(max(text_size(t, FONT)[0] for t in row["lines"]) for row in table.values()) + 2 * PAD
        box_ws.append(w)
    col_ws = []
    for (name, _, rows), bw in zip(networks, box_ws):
        widths = [bw + 0.5, text_size(name, FONT + 0.5, "bold")[0]]
        widths += [text_size(stats(row), stat_size)[0] for row in rows]
        widths += [text_size(f"{sum(r['params'] for r in rows):,} params", FONT, "bold")[0]]
        col_ws.append(max(widths) + 0.2)
    stage_w = max(text_size(s, FONT, "bold")[0] for s in order + ["stage"]) + 0.25
    sizes = [[size_text(t[s]["output_size"]) if s in t else "" for t in by_stage] for s in order]
    out_texts = [" | ".join(dict.fromkeys(x for x in row if x)) for row in sizes]
    out_w = max(text_size(t, FONT)[0] for t in out_texts + ["output size"]) + 0.3
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
        cv.text(xc, -0.16, input_text(size), size=SMALL, color=MUTED)
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
        cv.text(xc, y - 0.42, f"{'—' if macs is None else giga(macs)} multiply-adds", size=FONT - 0.5)
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
    return place(_network_canvas([network_rows(arch_or_model)]), ax)


def compare_networks(arch1, arch2):
    """Two networks side by side as in the paper's Table 1 (e.g. ResNet-50 next to ResNeXt-50 32×4d)."""
    return place(_network_canvas([network_rows(arch1), network_rows(arch2)]), None)
