"""Check any Keras model claimed to be a ResNeXt against the paper's specification (Table 1, Fig. 3).

``compare(model, depth=50, cardinality=32, bottleneck_width=4)`` reads the model's graph — its operations,
tensor shapes, kernels, ``groups`` and strides — never its layer names, so it audits models built by anyone.
The residual blocks are found from the graph alone: the tensors every path from input to output passes
through (the *trunk*) cut the network into pieces; a piece with branches is a block, its merge is the
operation that joins the branches again, the branch without a 3x3 conv is the shortcut. Each block is then
measured (depth and width of the residual branch, groups and group width of its 3x3 convolutions, where the
stride sits, what each path reads) and the blocks are grouped into stages where their shape changes.

Slicing operations (``Lambda`` layers, ``x[..., a:b]``) are opaque kernels in the graph; ``compare`` runs each
one on a tensor whose channels are numbered (channel k holds the value k) to see which channels it reads:
that is how it catches a late-bound loop variable (every path reading the same slice).

What ``compare`` cannot read: a subclassed layer or model that holds weights (its graph is Python code, not
a Keras graph) is reported as an unreadable part, and the model does not match. Nested functional and
``Sequential`` models are read through.
"""

import collections
import dataclasses
import html
import math

import keras
import numpy as np

from resnext_edu import complexity, introspect, style
from resnext_edu._checks import positive_int

# --- reading the graph ---------------------------------------------------------------------------


@dataclasses.dataclass(eq=False)
class Op:
    """One call of an operation in the flattened graph: which tensors it reads and writes."""

    operation: object
    node: object
    inputs: list  # tensor keys
    outputs: list
    index: int = 0

    @property
    def kind(self):
        return type(self.operation).__name__

    @property
    def is_conv(self):
        return isinstance(self.operation, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D))

    @property
    def is_dense(self):
        return isinstance(self.operation, keras.layers.Dense)


class Graph:
    """A Keras model as a flat list of operation calls in topological order, nested models expanded."""

    def __init__(self, model):
        if not isinstance(model, keras.Model):
            raise ValueError(f"compare needs a Keras model; got {model!r}.")
        if (
            not getattr(model, "inputs", None)
            or not getattr(model, "outputs", None)
            or len(model.inputs) != 1
            or len(model.outputs) != 1
        ):
            raise ValueError(
                "compare reads functional or Sequential models of one input and one output (a "
                f"subclassed model has no graph to read); got {type(model).__name__} "
                f"'{model.name}'."
            )
        self.ops, self.tensors, self.opaque = [], {}, []
        self._alias = {}
        self._walk(model)
        self.input, self.output = self.key(model.inputs[0]), self.key(model.outputs[0])
        self.producer = {k: op for op in self.ops for k in op.outputs}
        self.consumers = collections.defaultdict(list)
        for op in self.ops:
            for k in op.inputs:
                self.consumers[k].append(op)

    def key(self, tensor):
        k = id(tensor)
        while k in self._alias:
            k = self._alias[k]
        self.tensors.setdefault(k, tensor)
        return k

    def shape(self, key):
        return tuple(self.tensors[key].shape)

    def channels(self, key):
        return self.shape(key)[-1]

    def _walk(self, model):
        inner = getattr(model, "_functional", None) or model  # Sequential keeps its graph in _functional
        for node in _nodes_in_order(inner):
            op = node.operation
            inputs = [self.key(t) for t in node.input_tensors]
            sub = getattr(op, "_functional", None) or op
            if isinstance(op, keras.Model) and getattr(sub, "inputs", None) and len(sub.inputs) == len(inputs):
                for t, k in zip(sub.inputs, inputs):  # a nested model: read through it
                    self._alias[id(t)] = k
                self._walk(sub)
                for outer, t in zip(node.output_tensors, sub.outputs):
                    self._alias[id(outer)] = self.key(t)
                continue
            if isinstance(op, keras.Model) or (_has_weights(op) and not isinstance(op, _READABLE)):
                self.opaque.append(op)
            self.ops.append(Op(op, node, inputs, [self.key(t) for t in node.output_tensors], len(self.ops)))


_READABLE = (
    keras.layers.Conv2D,
    keras.layers.DepthwiseConv2D,
    keras.layers.Dense,
    keras.layers.BatchNormalization,
    keras.layers.LayerNormalization,
    keras.layers.GroupNormalization,
)


def _has_weights(op):
    return bool(getattr(op, "weights", None))


def _nodes_in_order(model):
    """The nodes of a functional model from its inputs to its outputs (iterative depth-first search)."""
    order, done = [], set()
    stack = [(t, False) for t in reversed(model.outputs)]
    while stack:
        tensor, expanded = stack.pop()
        operation, node_index, _ = tensor._keras_history
        node = operation._inbound_nodes[node_index]
        if id(node) in done:
            continue
        if expanded:
            done.add(id(node))
            if not node.is_input:
                order.append(node)
            continue
        stack.append((tensor, True))
        stack.extend((t, False) for t in node.input_tensors)
    return order


def _dominators(graph):
    """For every tensor, the tensors that every path from the input to it passes through (itself included)."""
    dom = {graph.input: frozenset([graph.input])}
    for op in graph.ops:
        sets = [dom[k] for k in op.inputs if k in dom]
        if not sets:  # a constant or a second input: not on a path from the model's input
            continue
        common = frozenset.intersection(*sets)
        for k in op.outputs:
            dom[k] = common | {k}
    return dom


# --- one block ---------------------------------------------------------------------------------


@dataclasses.dataclass
class Block:
    """A residual block as read from the graph."""

    in_shape: tuple  # (height, width, channels) of its input
    out_shape: tuple
    merge: str  # how the branches join: "add", "concatenate" or the operation's class name
    shortcut: str  # "identity", "projection" (a 1x1 conv), "none" or a description
    shortcut_strides: int
    depth: int  # convs on the longest path of the residual branch
    cardinality: int  # groups of the 3x3 convs, summed over parallel 3x3 convs
    group_widths: tuple  # distinct input channels per group of the 3x3 convs
    width: int  # output channels of the 3x3 convs, summed (C x d)
    strided: tuple  # where the stride sits in the residual branch: "1x1 before", "3x3", "1x1 after", "pool"
    reads: tuple  # distinct input channels of the residual branch's first convs
    slices: str  # "none", "disjoint", or what is wrong with them
    params: int
    macs: int


def _conv_info(op, graph):
    layer = op.operation
    cin = graph.channels(op.inputs[0])
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        groups = cin
    else:
        groups = getattr(layer, "groups", 1)
    kernel = tuple(layer.kernel_size)
    strides = max(tuple(layer.strides))
    return cin, groups, kernel, strides


def _ancestors(graph, start, stop_keys, members):
    """Ops of ``members`` on the way back from tensor ``start`` to any of ``stop_keys``."""
    found, stack, seen = set(), [start], set()
    while stack:
        k = stack.pop()
        if k in seen or k in stop_keys:
            continue
        seen.add(k)
        op = graph.producer.get(k)
        if op is None or op not in members:
            continue
        found.add(op)
        stack.extend(op.inputs)
    return found


def _probe_channels(op, graph):
    """Which input channel each output channel of a weightless op copies (None if it is not a selection)."""
    if len(op.inputs) != 1 or len(op.outputs) != 1:
        return None
    shape = graph.shape(op.inputs[0])
    if len(shape) != 4 or shape[-1] is None:
        return None
    size = [2 if s is None else s for s in shape[1:3]]
    numbered = np.broadcast_to(np.arange(shape[-1], dtype="float32"), (1, *size, shape[-1])).copy()
    try:
        args, kwargs = op.node.arguments.fill_in({id(op.node.input_tensors[0]): keras.ops.convert_to_tensor(numbered)})
        out = keras.ops.convert_to_numpy(op.operation(*args, **kwargs))
    except Exception:  # an op that cannot run alone: not a channel selection we can read
        return None
    if out.ndim != 4:
        return None
    flat = out.reshape(-1, out.shape[-1])
    if not np.all(flat == flat[0]) or not np.all(flat[0] == np.round(flat[0])):
        return None
    return tuple(int(v) for v in flat[0])


def _describe_slices(groups, graph):
    """Check that the slices taken of each tensor give each path its own channels, all of them once."""
    if not groups:
        return "none"
    problems = []
    for source, selections in groups.items():
        channels = graph.channels(source)
        read = collections.Counter(c for sel in selections for c in sel)
        distinct = {tuple(sel) for sel in selections}
        if len(distinct) < len(selections):
            same = max(collections.Counter(tuple(s) for s in selections).values())
            sel = max(distinct, key=lambda s: sum(tuple(x) == s for x in selections))
            problems.append(f"{same} of {len(selections)} paths read the same channels {_span(sel)} of {channels}")
        elif any(n > 1 for n in read.values()):
            problems.append(f"slices of {channels} channels overlap")
        if len(read) < channels:
            problems.append(f"{channels - len(read)} of {channels} channels unread")
    return "; ".join(problems) or "disjoint"


def _span(channels):
    channels = sorted(channels)
    if channels == list(range(channels[0], channels[-1] + 1)):
        return f"{channels[0]}-{channels[-1]}" if len(channels) > 1 else str(channels[0])
    return ",".join(map(str, channels))


def _longest_conv_chain(graph, members, start, end):
    """The most convs on any path from tensor ``start`` to tensor ``end`` through ``members``."""
    best = {start: 0}
    for op in sorted(members, key=lambda o: o.index):
        reach = [best[k] for k in op.inputs if k in best]
        if not reach:
            continue
        n = max(reach) + (1 if op.is_conv else 0)
        for k in op.outputs:
            best[k] = max(best.get(k, 0), n)
    return best.get(end, 0)


def _read_block(graph, ops, t_in, t_out):
    members = set(ops)
    merge_op = graph.producer[t_out]
    merge = {"Add": "add", "Concatenate": "concatenate"}.get(merge_op.kind, merge_op.kind)
    branches = [(k, _ancestors(graph, k, {t_in}, members)) for k in merge_op.inputs]

    def spatial(branch_ops):
        return [op for op in branch_ops if op.is_conv and max(op.operation.kernel_size) > 1]

    plain = [(k, b) for k, b in branches if not spatial(b)]
    shortcut_ops, shortcut, shortcut_strides = set(), "none", 1
    if plain:
        k, shortcut_ops = min(plain, key=lambda kb: len(kb[1]))
        convs = [op for op in shortcut_ops if op.is_conv]
        if k == t_in:
            shortcut = "identity"
        elif len(convs) == 1 and max(convs[0].operation.kernel_size) == 1:
            shortcut, shortcut_strides = "projection", max(convs[0].operation.strides)
        else:
            shortcut = " + ".join(sorted({op.kind for op in shortcut_ops}))
    residual = (members - shortcut_ops) - {merge_op}

    convs = sorted((op for op in residual if op.is_conv), key=lambda o: o.index)
    spatial_convs = spatial(convs)
    cardinality, group_widths, width = 0, set(), 0
    for op in spatial_convs:
        cin, groups, _, _ = _conv_info(op, graph)
        cardinality += groups
        group_widths.add(cin // groups)
        width += graph.channels(op.outputs[0])
    first_spatial = min((op.index for op in spatial_convs), default=math.inf)
    strided = set()
    for op in convs:
        if _conv_info(op, graph)[3] > 1:
            strided.add("3x3" if op in spatial_convs else "1x1 before" if op.index < first_spatial else "1x1 after")
    for op in residual:
        if "Pooling" in op.kind:
            strided.add("pool")
    firsts = [op for op in convs if not any(o.is_conv for o in _ancestors(graph, op.inputs[0], {t_in}, members))]
    reads = tuple(sorted({graph.channels(op.inputs[0]) for op in firsts}))

    slice_groups = collections.defaultdict(list)
    for op in residual:
        if (
            not op.is_conv
            and not _has_weights(op.operation)
            and len(op.inputs) == 1
            and graph.channels(op.outputs[0]) < graph.channels(op.inputs[0])
        ):
            selection = _probe_channels(op, graph)
            if selection is not None:
                slice_groups[op.inputs[0]].append(selection)
    params = sum(_params(op) for op in _unique_layers(ops))
    macs = sum(_macs(op, graph) for op in ops)
    depth = max(
        (_longest_conv_chain(graph, residual, t_in, k) for k, b in branches if b is not shortcut_ops), default=0
    )
    return Block(
        graph.shape(t_in)[1:],
        graph.shape(t_out)[1:],
        merge,
        shortcut,
        shortcut_strides,
        depth,
        cardinality,
        tuple(sorted(group_widths)),
        width,
        tuple(sorted(strided)),
        reads,
        _describe_slices(slice_groups, graph),
        params,
        macs,
    )


def _unique_layers(ops):
    seen, unique = set(), []
    for op in ops:
        if id(op.operation) not in seen:
            seen.add(id(op.operation))
            unique.append(op)
    return unique


def _params(op):
    return sum(math.prod(w.shape) for w in getattr(op.operation, "trainable_weights", []))


def _macs(op, graph):
    """Multiply-adds of one conv or dense call for one example (``introspect.conv_macs`` at this call's output)."""
    return introspect.conv_macs(op.operation, graph.shape(op.outputs[0])) if op.is_conv or op.is_dense else 0


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

    dom = _dominators(graph)
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
            blocks.append(_read_block(graph, ops, trunk[i], trunk[i + 1]))
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
    biased = [op.operation for op in _unique_layers(graph.ops) if op.is_conv and op.operation.use_bias]
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
    params = sum(_params(op) for op in _unique_layers(graph.ops))
    macs = sum(_macs(op, graph) for op in graph.ops)
    expected_params, expected_macs = complexity.architecture_params(arch), complexity.architecture_macs(arch)
    checks.append(
        Check("model", "trainable parameters", f"{expected_params:,}", f"{params:,}", params == expected_params)
    )
    checks.append(Check("model", "multiply-adds", f"{expected_macs:,}", f"{macs:,}", macs == expected_macs))
    return Audit(name, checks, blocks, stages, arch)


def plot_departures(results, title=None):
    """A grid of audits: one row per model, one column per kind of check, red where any stage departs.

    ``results``: ``{label: Audit}``. Each cell counts the checks of that kind that fail (stages, or the
    model's totals). Returns the matplotlib ``Figure``.
    """
    import matplotlib.pyplot as plt

    if not results or not all(isinstance(r, Audit) for r in results.values()):
        raise ValueError("plot_departures needs a dict of label -> Audit (from audit.compare).")
    columns = list(
        dict.fromkeys(f"{c.what} (model)" if c.where == "model" else c.what for r in results.values() for c in r.checks)
    )
    fig, ax = plt.subplots(figsize=(0.62 * len(columns) + 2.6, 0.42 * len(results) + 2.2))
    for row, audit_result in enumerate(results.values()):
        for col, column in enumerate(columns):
            checks = [
                c for c in audit_result.checks if (f"{c.what} (model)" if c.where == "model" else c.what) == column
            ]
            failed = sum(not c.ok for c in checks)
            color = style.NONE_FILL if not checks else (style.FAIL_FILL if failed else style.PASS_FILL)
            ax.add_patch(plt.Rectangle((col, row), 0.94, 0.9, color=color, lw=0))
            if checks:
                ax.text(
                    col + 0.47,
                    row + 0.45,
                    str(failed) if failed else "✓",
                    ha="center",
                    va="center",
                    fontsize=8.5,
                    color=style.RED if failed else style.GREEN,
                    weight="bold" if failed else None,
                )
    ax.set_xlim(0, len(columns))
    ax.set_ylim(len(results), 0)
    ax.set_xticks([i + 0.47 for i in range(len(columns))], columns, rotation=40, ha="right", fontsize=8)
    ax.set_yticks([i + 0.45 for i in range(len(results))], list(results), fontsize=9)
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_title(
        title or "audit.compare: checks that depart from the paper (count), ✓ where all agree", fontsize=10, loc="left"
    )
    fig.tight_layout()
    return fig


__all__ = ["Audit", "Block", "Check", "Graph", "compare", "plot_departures"]
