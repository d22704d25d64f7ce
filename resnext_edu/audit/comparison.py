"""``compare``: a model's blocks and stages checked against the paper's specification (Table 1, Fig. 3)."""

import collections
import dataclasses
import html
import math

from resnext_edu import complexity
from resnext_edu._checks import positive_int
from resnext_edu.audit.block_reader import op_macs, op_params, read_block, unique_layers
from resnext_edu.audit.graph import Graph, dominators

# --- the comparison ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Check:
    """One line of the audit: what was expected where, what was found, and whether they agree."""

    where: str  # "stem", a stage name ("conv2"), "head" or "model"
    what: str
    expected: str
    found: str
    ok: bool


@dataclasses.dataclass
class Audit:
    """The result of ``compare``: every check, the blocks as read, and the specification compared with."""

    name: str  # what the model was compared with, e.g. "ResNeXt-50 (32x4d)"
    checks: list
    blocks: list  # Block, in order
    stages: list  # lists of Block, one per stage found
    architecture: complexity.Architecture

    @property
    def matches(self):
        """True only when every check agrees."""
        return all(c.ok for c in self.checks)

    @property
    def departures(self):
        """The checks that disagree."""
        return [c for c in self.checks if not c.ok]

    def summary(self):
        if self.matches:
            return f"matches {self.name}: all {len(self.checks)} checks agree"
        n = len(self.departures)
        return f"departs from {self.name} in {n} of {len(self.checks)} checks"

    def __str__(self):
        lines = [self.summary()]
        width = max((len(c.where) for c in self.departures), default=0)
        lines += [f"  {c.where:<{width}}  {c.what}: found {c.found}, expected {c.expected}" for c in self.departures]
        return "\n".join(lines)

    def __repr__(self):
        return str(self)

    def _repr_html_(self):
        rows = "".join(
            f"<tr><td>{html.escape(c.where)}</td><td>{html.escape(c.what)}</td><td>{html.escape(c.expected)}</td>"
            f"<td>{html.escape(c.found)}</td><td style='text-align:center'>{'✓' if c.ok else '✗'}</td></tr>"
            for c in self.checks
        )
        return (
            f"<p><b>{html.escape(self.summary())}</b></p><table><thead><tr><th>where</th><th>check</th>"
            f"<th>paper</th><th>model</th><th></th></tr></thead><tbody>{rows}</tbody></table>"
        )


def _stages(blocks):
    """Group blocks into stages: a new stage starts where a block changes the shape of its input."""
    stages = []
    for block in blocks:
        if not stages or block.in_shape != block.out_shape:
            stages.append([])
        stages[-1].append(block)
    return stages


def _one(values, fmt=str):
    distinct = list(dict.fromkeys(values))
    return fmt(distinct[0]) if len(distinct) == 1 else " / ".join(map(fmt, distinct))


def _shortcuts(blocks):
    kinds = [b.shortcut for b in blocks]
    if not kinds:
        return "-"
    if len(kinds) > 1 and len(set(kinds[1:])) == 1:
        return kinds[0] if kinds[0] == kinds[1] else f"{kinds[0]}, then {kinds[1]}"
    return _one(kinds)


def _where_stride(blocks):
    found = []
    for i, b in enumerate(blocks, 1):
        places = list(b.strided) + (["shortcut"] if b.shortcut_strides > 1 else [])
        if places:
            found.append(f"block {i}: " + " + ".join(places))
    return "; ".join(found) or "none"


def _reads(block):
    """What the first convs of a block's paths read: all of its input, or how many of its channels."""
    if block.reads == (block.in_shape[-1],):
        return "all input channels"
    return f"{'/'.join(map(str, block.reads)) or 'no'} of {block.in_shape[-1]} channels"


def _size(shape):
    return f"{shape[2]} x {shape[0]}x{shape[1]}"


def _stem_and_head(graph, trunk_ops_before, trunk_ops_after, arch):
    checks = []
    convs = [op for op in trunk_ops_before if op.is_conv]
    found = (
        ", ".join(
            f"{op.operation.kernel_size[0]}x{op.operation.kernel_size[1]}/{max(op.operation.strides)} "
            f"conv to {graph.channels(op.outputs[0])}"
            for op in convs
        )
        or "no conv"
    )
    if any("MaxPool" in op.kind for op in trunk_ops_before):
        found += ", max pool"
    expected = f"{arch.stem_kernel}x{arch.stem_kernel}/{arch.stem_strides} conv to {arch.stem_filters}" + (
        ", max pool" if arch.stem_pool else ""
    )
    checks.append(Check("stem", "stem layers", expected, found, found == expected))
    dense = [op for op in trunk_ops_after if op.is_dense]
    pooled = any("GlobalAveragePooling" in op.kind for op in trunk_ops_after)
    found = ("global average pool, " if pooled else "") + (
        f"fc to {graph.channels(dense[-1].outputs[0])}" if dense else "no fc"
    )
    expected = f"global average pool, fc to {arch.num_classes}"
    checks.append(Check("head", "classifier", expected, found, found == expected))
    return checks


def _architecture(depth, cardinality, bottleneck_width, architecture, num_classes, size):
    if architecture is not None:
        if not isinstance(architecture, complexity.Architecture):
            raise ValueError(f"architecture must be a complexity.Architecture; got {architecture!r}.")
        arch = dataclasses.replace(architecture, num_classes=num_classes or architecture.num_classes)
        name = arch.name
    else:
        arch = complexity.imagenet_architecture(depth, cardinality, bottleneck_width, num_classes or 1000)
        name = (
            f"ResNet-{depth}"
            if (cardinality, bottleneck_width) == (1, 64)
            else f"ResNeXt-{depth} ({cardinality}x{bottleneck_width}d)"
        )
    return complexity.with_size(arch, size), name


def _agrees_with(architecture, **given):
    """Refuse a depth, C or d given beside an ``architecture`` that says otherwise (which one would be meant?)."""
    if not isinstance(architecture, complexity.Architecture):
        raise ValueError(f"architecture must be a complexity.Architecture; got {architecture!r}.")
    first = architecture.stages[0]
    own = dict(depth=architecture.depth, cardinality=first.cardinality, bottleneck_width=first.bottleneck_width)
    for key, value in given.items():
        if value is not None and value != own[key]:
            raise ValueError(
                f"{key}={value!r} contradicts architecture {architecture.name!r}, whose {key} is {own[key]}: "
                "give the architecture alone (or a matching value)."
            )


def compare(model, depth=None, cardinality=None, bottleneck_width=None, *, num_classes=None, architecture=None):
    """Audit ``model`` against ResNeXt-{depth} (C x d) of the paper (default 50, 32, 4), or ``architecture`` (a CIFAR
    one, say: then depth, C and d, if given, must be its own).

    Reads only the graph (shapes, kernels, groups, strides, weights), never layer names; returns an ``Audit``
    whose ``matches`` is True only when the stem, every stage (blocks, output size, cardinality and group
    width of the 3x3, stride placement, shortcuts, how the branches merge, what each path reads, residual
    depth, parameters) and the totals (trainable parameters and multiply-adds, exactly, against
    ``complexity``) agree. ``num_classes`` defaults to the model's; the input size is the model's.
    """
    if architecture is not None:
        _agrees_with(architecture, depth=depth, cardinality=cardinality, bottleneck_width=bottleneck_width)
    else:
        depth, cardinality = (50 if depth is None else depth), (32 if cardinality is None else cardinality)
        bottleneck_width = 4 if bottleneck_width is None else bottleneck_width
        depth = positive_int("depth", depth)
        if depth not in complexity.STAGE_BLOCKS:
            raise ValueError(f"depth must be one of {sorted(complexity.STAGE_BLOCKS)}; got {depth}.")
        positive_int("cardinality", cardinality)
        positive_int("bottleneck_width", bottleneck_width)
    graph = Graph(model)
    in_shape = graph.shape(graph.input)
    if len(in_shape) != 4 or None in in_shape[1:]:
        raise ValueError(f"compare needs a model with a fixed input size (height, width, channels); got {in_shape}.")
    out_shape = graph.shape(graph.output)
    classes = num_classes if num_classes is not None else out_shape[-1]
    arch, name = _architecture(depth, cardinality, bottleneck_width, architecture, classes, in_shape[1:3])
    arch = dataclasses.replace(arch, in_channels=in_shape[-1])

    dom = dominators(graph)
    if graph.output not in dom:
        raise ValueError("the model's output does not depend on its input.")
    trunk = sorted(dom[graph.output], key=lambda k: -1 if k == graph.input else graph.producer[k].index)
    position = {k: i for i, k in enumerate(trunk)}
    pieces = collections.defaultdict(list)
    for op in graph.ops:
        if not op.outputs or op.outputs[0] not in dom:
            continue
        own = op.outputs[0]
        before = [position[k] for k in dom[own] if k in position and k != own]
        pieces[max(before, default=0)].append(op)
    blocks, before_blocks, after_blocks = [], [], []
    for i in range(len(trunk) - 1):
        ops = pieces.get(i, [])
        if len(ops) > 1:
            blocks.append(read_block(graph, ops, trunk[i], trunk[i + 1]))
        else:
            (after_blocks if blocks else before_blocks).extend(ops)

    checks = []
    if graph.opaque:
        names = ", ".join(f"{type(op).__name__} '{op.name}'" for op in graph.opaque[:3])
        checks.append(
            Check(
                "model",
                "readable graph",
                "every weight in a Keras layer of the graph",
                f"{len(graph.opaque)} opaque part(s) with weights: {names}",
                False,
            )
        )
    stem, head = _stem_and_head(graph, before_blocks, after_blocks, arch)
    checks.append(stem)
    stages = _stages(blocks)
    rows = complexity.stage_table(arch)[1:-1]
    channels = arch.stem_filters
    for i in range(max(len(stages), len(arch.stages))):
        found = stages[i] if i < len(stages) else []
        if i >= len(arch.stages):
            checks.append(Check(f"stage {i + 1}", "stage", "none", f"{len(found)} more block(s)", False))
            continue
        stage, row = arch.stages[i], rows[i]
        expect = dict(
            blocks=str(stage.blocks),
            output=_size((*row["output_size"], stage.out_channels)),
            merge="add",
            shortcut=("projection, then identity" if stage.blocks > 1 else "projection")
            if (stage.strides != 1 or channels != stage.out_channels)
            else "identity",
            grouped=f"C={stage.cardinality}, d={stage.bottleneck_width}",
            stride="block 1: 3x3 + shortcut" if stage.strides > 1 else "none",
            reads="all input channels",
            slices="none or disjoint",
            depth="3",
            params=f"{row['params']:,}",
        )
        if found:
            got = dict(
                blocks=str(len(found)),
                output=_size(found[-1].out_shape),
                merge=_one(b.merge for b in found),
                shortcut=_shortcuts(found),
                grouped=_one(
                    ((b.cardinality, b.group_widths) for b in found),
                    lambda cg: f"C={cg[0]}, d={_one(cg[1]) if cg[1] else '-'}",
                ),
                stride=_where_stride(found),
                reads=_one(_reads(b) for b in found),
                slices=_one(b.slices for b in found),
                depth=_one(b.depth for b in found),
                params=f"{sum(b.params for b in found):,}",
            )
        else:
            got = dict.fromkeys(expect, "-") | {"blocks": "0"}
        labels = dict(
            blocks="blocks",
            output="output (channels x size)",
            merge="branches merged by",
            shortcut="shortcuts",
            grouped="3x3: groups C, group width d",
            stride="stride at",
            reads="paths read",
            slices="channel slices",
            depth="convs per residual branch",
            params="trainable parameters",
        )
        for key, label in labels.items():
            ok = got[key] in ("none", "disjoint") if key == "slices" else got[key] == expect[key]
            checks.append(Check(stage.name, label, expect[key], got[key], ok))
        channels = stage.out_channels
    checks.append(head)
    biased = [op.operation for op in unique_layers(graph.ops) if op.is_conv and op.operation.use_bias]
    biases = sum(math.prod(layer.bias.shape) for layer in biased)
    checks.append(
        Check(
            "model",
            "conv biases",
            "none (BN follows every conv)",
            f"{biases:,} in {len(biased)} convs" if biased else "none",
            not biased,
        )
    )
    params = sum(op_params(op) for op in unique_layers(graph.ops))
    macs = sum(op_macs(op, graph) for op in graph.ops)
    expected_params, expected_macs = complexity.architecture_params(arch), complexity.architecture_macs(arch)
    checks.append(
        Check("model", "trainable parameters", f"{expected_params:,}", f"{params:,}", params == expected_params)
    )
    checks.append(Check("model", "multiply-adds", f"{expected_macs:,}", f"{macs:,}", macs == expected_macs))
    return Audit(name, checks, blocks, stages, arch)
