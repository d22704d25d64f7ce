"""One residual block read from the graph alone: its branches, merge, shortcut, convs, groups, strides, slices."""

import collections
import dataclasses
import math

import keras
import numpy as np

from resnext_edu import introspect
from resnext_edu.audit.graph import has_weights

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


def read_block(graph, ops, t_in, t_out):
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
            and not has_weights(op.operation)
            and len(op.inputs) == 1
            and graph.channels(op.outputs[0]) < graph.channels(op.inputs[0])
        ):
            selection = _probe_channels(op, graph)
            if selection is not None:
                slice_groups[op.inputs[0]].append(selection)
    params = sum(op_params(op) for op in unique_layers(ops))
    macs = sum(op_macs(op, graph) for op in ops)
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


def unique_layers(ops):
    seen, unique = set(), []
    for op in ops:
        if id(op.operation) not in seen:
            seen.add(id(op.operation))
            unique.append(op)
    return unique


def op_params(op):
    return sum(math.prod(w.shape) for w in getattr(op.operation, "trainable_weights", []))


def op_macs(op, graph):
    """Multiply-adds of one conv or dense call for one example (``introspect.conv_macs`` at this call's output)."""
    return introspect.conv_macs(op.operation, graph.shape(op.outputs[0])) if op.is_conv or op.is_dense else 0
