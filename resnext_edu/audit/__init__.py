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

from resnext_edu.audit.block_reader import Block
from resnext_edu.audit.comparison import Audit, Check, compare
from resnext_edu.audit.figure import plot_departures
from resnext_edu.audit.graph import Graph

__all__ = ["Audit", "Block", "Check", "Graph", "compare", "plot_departures"]
