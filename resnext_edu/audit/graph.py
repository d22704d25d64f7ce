"""A Keras model as a flat graph of operations and tensors, nested models read through; the trunk's dominators."""

import collections
import dataclasses

import keras

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
            if isinstance(op, keras.Model) or (has_weights(op) and not isinstance(op, _READABLE)):
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


def has_weights(op):
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


def dominators(graph):
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
