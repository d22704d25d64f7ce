"""Figures drawn from the code itself: blocks read back from built models, tables recomputed.

Each function returns a matplotlib ``Figure`` and never calls ``plt.show()`` (the chapters do).
The block and network diagrams are laid out from what the library builds or computes: a block's
boxes are labelled with the channels, kernels, groups and strides of its actual Keras layers
(read with ``equivalence.find_blocks``), and a network's rows come from ``complexity.stage_table``
or from the layers of a model built by ``resnext_edu.models``. The only numbers typed in are the
paper's own results, and the figure that shows them says so.

Modules: ``canvas`` (a small layout engine), ``block_source`` and ``block_diagrams`` (paper Figs. 1 and 3),
``charts`` (Tables 2 and 3, the cardinality sweeps), ``networks`` and ``tables`` (Table 1), ``reported`` (the paper's
Tables 4 and 7 at the costs ``complexity`` computes), ``distribution`` (data-parallel training). Colours and type
sizes come from ``resnext_edu.style``.

Importing this package imports matplotlib, not TensorFlow: Keras is only touched when a Keras
model is passed in (or built, by ``forms_side_by_side``).
"""

from resnext_edu.plots.block_diagrams import block_diagram, forms_side_by_side
from resnext_edu.plots.block_source import FORM_NAMES
from resnext_edu.plots.charts import PAPER_TABLE3, cardinality_sweep, fixed_width_costs, paper_table3, table2_bars
from resnext_edu.plots.distribution import plot_comparison, plot_data_parallelism
from resnext_edu.plots.networks import compare_networks, network_diagram
from resnext_edu.plots.reported import table4, table4_points, table7, table7_points
from resnext_edu.plots.tables import StageTable, stage_table_frame

__all__ = [
    "PAPER_TABLE3", "FORM_NAMES", "block_diagram", "forms_side_by_side", "table2_bars", "cardinality_sweep",
    "fixed_width_costs", "paper_table3", "network_diagram", "compare_networks", "StageTable", "stage_table_frame",
    "table4", "table4_points", "table7", "table7_points", "plot_data_parallelism", "plot_comparison",
]  # fmt: skip
