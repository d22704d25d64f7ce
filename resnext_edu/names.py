"""The names of the layers the library builds: one owner, so that a rename fails loudly (pure Python, no Keras).

A network's layers are named like Keras applications' ResNet (``conv1_conv``, ``conv2_block1_out``, ``fc``) and a
block's like the paper's Fig. 3 (``conv2_block1_conv2``, ``conv2_block1_path3_conv1``, ``conv2_block1_sum``).
``blocks`` and ``models`` name layers with these functions; ``equivalence``, ``plots`` and ``audit`` find them with
them.
"""

#: The stem, the pool after it, the global pool and the classifier of ``models.build``; the zero-padding layers
#: before the stem and the pool where ``padding="symmetric"`` (torchvision's padding).
STEM_CONV, STEM_BN, STEM_RELU, STEM_POOL = "conv1_conv", "conv1_bn", "conv1_relu", "pool1"
STEM_PAD, POOL_PAD = "conv1_pad", "pool1_pad"
GLOBAL_POOL, CLASSIFIER = "avg_pool", "fc"
#: The input layer of ``models.build``.
INPUT = "image"


def layer_name(block, part, path=None):
    """The name of one layer of a block: ``{block}_{part}``, or ``{block}_path{path}_{part}`` inside path ``path``.

    Parts: ``conv1``..``conv3``, ``bn1``..``bn3``, ``relu1``, ``relu2`` (per path in forms a and b), ``sum`` (form a),
    ``concat`` (form b), ``shortcut_conv``, ``shortcut_bn``, ``add``, ``out``. Paths count from 1.
    """
    return f"{block}_{part}" if path is None else f"{block}_path{path}_{part}"


#: The parts a block's layers are named after (``layer_name``); per-path parts stop at conv3 (form a) or relu2.
BLOCK_PARTS = ("pad2", "conv1", "bn1", "relu1", "conv2", "bn2", "relu2", "conv3", "bn3", "sum", "concat",
               "shortcut_conv", "shortcut_bn", "add", "out")  # fmt: skip
_PATH_PARTS = ("pad2", "conv1", "bn1", "relu1", "conv2", "bn2", "relu2", "conv3")


def parse_layer_name(name):
    """``(block, part, path)`` of a name ``layer_name`` made (``path`` None outside the paths), else None."""
    for part in BLOCK_PARTS:
        block = name.removesuffix(f"_{part}")
        if block == name or not block:
            continue
        head, sep, path = block.rpartition("_path")
        if sep and head and path.isdigit() and part in _PATH_PARTS:
            return head, part, int(path)
        return block, part, None
    return None


def block_name(stage, index):
    """The name of block ``index`` (from 1) of a stage (``"conv2"``): ``"conv2_block1"``, as Keras applications do."""
    return f"{stage}_block{index}"


def parse_block_name(name):
    """``(stage, index)`` of a name ``block_name`` made, else None."""
    stage, sep, index = name.rpartition("_block")
    return (stage, int(index)) if sep and stage and index.isdigit() else None


__all__ = [
    "STEM_CONV", "STEM_BN", "STEM_RELU", "STEM_POOL", "STEM_PAD", "POOL_PAD", "GLOBAL_POOL", "CLASSIFIER", "INPUT",
    "BLOCK_PARTS",
    "layer_name", "block_name", "parse_block_name", "parse_layer_name",
]  # fmt: skip
