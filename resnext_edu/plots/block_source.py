"""What a block diagram shows, read from a built model's layers or from a ``BlockSpec`` (paper Figs. 1 and 3).

Box labels follow the paper: "in-channels, kernel, out-channels", e.g. "256, 1x1, 4"; a grouped conv adds
", groups=C", a stride of 2 adds ", /2".
"""

from dataclasses import dataclass

from resnext_edu._checks import positive_int
from resnext_edu.names import layer_name
from resnext_edu.style import (
    CONV,
    MERGE,
)  # fmt: skip

FORM_NAMES = {"a": "aggregated transformations", "b": "early concatenation", "c": "grouped convolution"}


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
        convs = [get(layer_name(n, f"conv{j}")) for j in (1, 2, 3)]
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
                else [(_layer_label(get(layer_name(n, f"conv{j}", i))), notes[j - 1]) for j in range(1, depth + 1)]
            )
            paths.append((i, column))
        if spec.form == "a":
            merge = []
        else:
            concat = get(layer_name(n, "concat"))
            merge = [
                ("concatenate", f"{int(concat.output.shape[-1])}-d", MERGE),
                (_layer_label(get(layer_name(n, "conv3"))), NOTE_BN, CONV),
            ]
    try:
        projection = get(layer_name(n, "shortcut_conv"))
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


def read_block(source, block=None):
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
