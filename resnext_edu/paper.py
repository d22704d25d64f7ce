"""What the paper reports, as data: Xie et al. 2017, "Aggregated Residual Transformations for Deep Neural
Networks", arXiv 1611.05431 v2 (CVPR 2017). Transcribed, not computed: each record names its source.

Tables are tuples of small frozen records (``TABLE3[0].top1 == 23.9``, ``TABLE3[0].source == "Table 3"``);
what the text states in sentences is in ``STATED``; ``reported()`` lists every value with its source (the
book's Sources page). Numbers are stored as printed: errors in %, Table 1's totals as the mantissas of
×10⁶ / ×10⁹, Table 7's sizes in millions. "FLOPs" in the paper are multiply-adds (Sec. 3.1).
"""

from dataclasses import dataclass, field, fields

ARXIV = "1611.05431v2"

_PCT = "%"


def _metric(label, unit=_PCT):
    """A reported number of a record: ``reported()`` lists it with ``label`` and ``unit``."""
    return field(default=None, metadata={"label": label, "unit": unit})


@dataclass(frozen=True)
class _Row:
    """A network as the paper's tables name it: ``model`` ("ResNeXt-50") and its template C × d."""

    model: str
    depth: int | None
    cardinality: int | None
    bottleneck_width: int | None

    @property
    def setting(self):
        """The template as the tables print it: "32×4d" (None for networks the paper does not describe so)."""
        return None if self.cardinality is None else f"{self.cardinality}×{self.bottleneck_width}d"

    @property
    def name(self):
        """ "ResNeXt-50 (32×4d)", or the model alone where the table gives no setting."""
        return self.model if self.setting is None else f"{self.model} ({self.setting})"


# --- Table 1: ResNet-50 and ResNeXt-50 (32×4d), stage by stage -------------------------------------------


@dataclass(frozen=True)
class Table1Stage:
    """One residual stage of Table 1: ``blocks`` blocks of [1×1, reduce; 3×3, middle; 1×1, out] per network."""

    stage: str
    output_size: int  # the stage's output map is output_size × output_size
    blocks: int
    resnet50: tuple  # (1×1, 3×3, 1×1) widths of ResNet-50's block
    resnext50: tuple  # the same for ResNeXt-50 (32×4d); its 3×3 has C = 32 groups
    cardinality: int = 32
    source: str = "Table 1"


TABLE1_STEM = "conv1: 7×7, 64, stride 2, output 112×112; conv2 begins with a 3×3 max pool, stride 2 (Table 1)"
TABLE1_HEAD = "global average pool, 1000-d fc, softmax; output 1×1 (Table 1)"

TABLE1 = (
    Table1Stage("conv2", 56, 3, (64, 64, 256), (128, 128, 256)),
    Table1Stage("conv3", 28, 4, (128, 128, 512), (256, 256, 512)),
    Table1Stage("conv4", 14, 6, (256, 256, 1024), (512, 512, 1024)),
    Table1Stage("conv5", 7, 3, (512, 512, 2048), (1024, 1024, 2048)),
)


@dataclass(frozen=True)
class Table1Total(_Row):
    """The totals printed under each column of Table 1 (conv and fc weights; BatchNorm not counted)."""

    params: float = _metric("parameters", "×10⁶")
    flops: float = _metric("FLOPs (multiply-adds)", "×10⁹")
    source: str = "Table 1"


TABLE1_TOTALS = (
    Table1Total("ResNet-50", 50, 1, 64, params=25.5, flops=4.1),
    Table1Total("ResNeXt-50", 50, 32, 4, params=25.0, flops=4.2),
)


# --- Table 2: cardinality against bottleneck width at ~70k parameters per conv2 block ---------------------


@dataclass(frozen=True)
class Table2Row:
    """C paths of width d keep the conv2 template near ResNet's cost; the grouped conv is C·d wide."""

    cardinality: int
    bottleneck_width: int
    group_width: int
    source: str = "Table 2"


TABLE2 = (
    Table2Row(1, 64, 64),
    Table2Row(2, 40, 80),
    Table2Row(4, 24, 96),
    Table2Row(8, 14, 112),
    Table2Row(32, 4, 128),
)


# --- Tables 3 and 4, the residual-connection table: ImageNet-1K, single 224×224 crop -----------------------


@dataclass(frozen=True)
class ErrorRow(_Row):
    """Top-1 (and top-5) error (%) on the ImageNet-1K validation set, single 224×224 crop."""

    top1: float = _metric("top-1 error")
    top5: float | None = _metric("top-5 error")
    complexity: str | None = None  # Table 4's groups: "1×" or "2×" the FLOPs of ResNet-101
    source: str = ""


def _t3(model, depth, c, d, top1):
    return ErrorRow(model, depth, c, d, top1=top1, source="Table 3")


#: Cardinality against width at preserved complexity (~4.1 and ~7.8 billion FLOPs, Table 3's caption).
TABLE3 = (
    _t3("ResNet-50", 50, 1, 64, 23.9),
    _t3("ResNeXt-50", 50, 2, 40, 23.0),
    _t3("ResNeXt-50", 50, 4, 24, 22.6),
    _t3("ResNeXt-50", 50, 8, 14, 22.3),
    _t3("ResNeXt-50", 50, 32, 4, 22.2),
    _t3("ResNet-101", 101, 1, 64, 22.0),
    _t3("ResNeXt-101", 101, 2, 40, 21.7),
    _t3("ResNeXt-101", 101, 4, 24, 21.4),
    _t3("ResNeXt-101", 101, 8, 14, 21.3),
    _t3("ResNeXt-101", 101, 32, 4, 21.2),
)


def _t4(model, depth, c, d, top1, top5, complexity):
    return ErrorRow(model, depth, c, d, top1=top1, top5=top5, complexity=complexity, source="Table 4")


#: Doubling the cost of ResNet-101 by depth (ResNet-200, He et al. 2016b as in fb.resnet.torch), width
#: (1×100d) or cardinality (2×64d, 64×4d); "2×" models have ~15 billion FLOPs (Sec. 5.1).
TABLE4 = (
    _t4("ResNet-101", 101, 1, 64, 22.0, 6.0, "1×"),
    _t4("ResNeXt-101", 101, 32, 4, 21.2, 5.6, "1×"),
    _t4("ResNet-200", 200, 1, 64, 21.7, 5.8, "2×"),
    _t4("ResNet-101, wider", 101, 1, 100, 21.3, 5.7, "2×"),
    _t4("ResNeXt-101", 101, 2, 64, 20.7, 5.5, "2×"),
    _t4("ResNeXt-101", 101, 64, 4, 20.4, 5.3, "2×"),
)


@dataclass(frozen=True)
class ResidualRow(_Row):
    """Sec. 5.1's table of the residual (shortcut) connections: top-1 error (%) with and without them."""

    with_residual: float = _metric("top-1 error with shortcuts")
    without_residual: float = _metric("top-1 error without shortcuts")
    source: str = "Sec. 5.1 (residual connections)"


RESIDUAL = (
    ResidualRow("ResNet-50", 50, 1, 64, with_residual=23.9, without_residual=31.2),
    ResidualRow("ResNeXt-50", 50, 32, 4, with_residual=22.2, without_residual=26.1),
)


# --- Table 5: against the state of the art, single crop ---------------------------------------------------


@dataclass(frozen=True)
class Table5Row(_Row):
    """Single-crop error (%) at 224×224 and at 320×320 (ResNet/ResNeXt) or 299×299 (Inception); None: "-"."""

    top1_224: float | None = _metric("top-1 error, 224×224 crop")
    top5_224: float | None = _metric("top-5 error, 224×224 crop")
    top1_large: float | None = _metric("top-1 error, 320×320 / 299×299 crop")
    top5_large: float | None = _metric("top-5 error, 320×320 / 299×299 crop")
    large_crop: int = 320  # the side of the larger test crop: 320 (ResNet/ResNeXt) or 299 (Inception)
    source: str = "Table 5"


TABLE5 = (
    Table5Row("ResNet-101", 101, None, None, top1_224=22.0, top5_224=6.0),
    Table5Row("ResNet-200", 200, None, None, top1_224=21.7, top5_224=5.8, top1_large=20.1, top5_large=4.8),
    Table5Row("Inception-v3", None, None, None, top1_large=21.2, top5_large=5.6, large_crop=299),
    Table5Row("Inception-v4", None, None, None, top1_large=20.0, top5_large=5.0, large_crop=299),
    Table5Row("Inception-ResNet-v2", None, None, None, top1_large=19.9, top5_large=4.9, large_crop=299),
    Table5Row("ResNeXt-101", 101, 64, 4, top1_224=20.4, top5_224=5.3, top1_large=19.1, top5_large=4.4),
)


# --- Table 6: trained on ImageNet-5K, tested on the ImageNet-1K validation set -----------------------------


@dataclass(frozen=True)
class Table6Row(_Row):
    """Error (%) as a 5K-way and as a 1K-way classification task at test time (single 224×224 crop)."""

    top1_5k: float = _metric("5K-way top-1 error")
    top5_5k: float = _metric("5K-way top-5 error")
    top1_1k: float = _metric("1K-way top-1 error")
    top5_1k: float = _metric("1K-way top-5 error")
    source: str = "Table 6"


TABLE6 = (
    Table6Row("ResNet-50", 50, 1, 64, top1_5k=45.5, top5_5k=19.4, top1_1k=27.1, top5_1k=8.2),
    Table6Row("ResNeXt-50", 50, 32, 4, top1_5k=42.3, top5_5k=16.8, top1_1k=24.4, top5_1k=6.6),
    Table6Row("ResNet-101", 101, 1, 64, top1_5k=42.4, top5_5k=16.9, top1_1k=24.2, top5_1k=6.8),
    Table6Row("ResNeXt-101", 101, 32, 4, top1_5k=40.1, top5_5k=15.1, top1_1k=22.2, top5_1k=5.7),
)


# --- Table 7 and Fig. 7: CIFAR ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Table7Row(_Row):
    """Test error (%) on CIFAR-10 and CIFAR-100, mean of 10 runs; size in millions (conv + fc weights)."""

    params: float = _metric("parameters", "M")
    cifar10: float = _metric("CIFAR-10 test error")
    cifar100: float = _metric("CIFAR-100 test error")
    source: str = "Table 7"


#: Wide ResNet is Zagoruyko and Komodakis 2016 (the paper's [43]), the best published record then.
TABLE7 = (
    Table7Row("Wide ResNet", None, None, None, params=36.5, cifar10=4.17, cifar100=20.50),
    Table7Row("ResNeXt-29", 29, 8, 64, params=34.4, cifar10=3.65, cifar100=17.77),
    Table7Row("ResNeXt-29", 29, 16, 64, params=68.1, cifar10=3.58, cifar100=17.31),
)


@dataclass(frozen=True)
class Fig7Series:
    """A series of Fig. 7 (CIFAR-10 test error against model size) as Sec. 5.3 describes it.

    The figure's error values are printed only in the plot, not in the text: not transcribed here.
    """

    label: str
    varies: str  # "cardinality" or "bottleneck_width"
    fixed: str
    source: str = "Fig. 7, Sec. 5.3"


FIG7 = (
    Fig7Series("increase cardinality", "cardinality", "all widths fixed (d = 64 in the first stage)"),
    Fig7Series("increase width", "bottleneck_width", "cardinality fixed at 1"),
)


# --- Table 8: COCO detection -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Table8Row(_Row):
    """Faster R-CNN on the COCO minival set: AP@0.5 and COCO-style AP (%)."""

    ap50: float = _metric("AP@0.5")
    ap: float = _metric("AP")
    source: str = "Table 8"


TABLE8 = (
    Table8Row("ResNet-50", 50, 1, 64, ap50=47.6, ap=26.5),
    Table8Row("ResNeXt-50", 50, 32, 4, ap50=49.7, ap=27.5),
    Table8Row("ResNet-101", 101, 1, 64, ap50=51.1, ap=29.8),
    Table8Row("ResNeXt-101", 101, 32, 4, ap50=51.9, ap=30.0),
)


# --- Sec. 5.1 "Performance": training time on 8 NVIDIA M40 GPUs --------------------------------------------


@dataclass(frozen=True)
class Timing(_Row):
    """Seconds per training mini-batch on 8 NVIDIA M40 GPUs (Torch's built-in grouped convolution)."""

    seconds_per_batch: float = _metric("seconds per mini-batch", "s")
    gpus: int = 8
    source: str = "Sec. 5.1 (Performance)"


GPU_SECONDS = (
    Timing("ResNet-101", 101, 1, 64, seconds_per_batch=0.70),
    Timing("ResNeXt-101", 101, 32, 4, seconds_per_batch=0.95),
    Timing("ResNeXt-101", 101, 64, 4, seconds_per_batch=1.7),
)


# --- training recipes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipe:
    """How the paper trained: SGD with momentum. None: the paper does not state it."""

    dataset: str
    batch_size: int = _metric("mini-batch size (all GPUs)", "images")
    gpus: int = _metric("GPUs", "")
    learning_rate: float = _metric("initial learning rate", "")
    momentum: float = _metric("momentum", "")
    weight_decay: float = _metric("weight decay", "")
    epochs: int | None = _metric("epochs", "")
    lr_drops: tuple = ()  # epochs at which the learning rate is reduced
    lr_drop_factor: float | None = None
    augmentation: str = ""
    train_images: int | None = _metric("training images", "")
    test_images: int | None = _metric("test images", "")
    source: str = ""


#: Sec. 4. "divide it by 10 for three times using the schedule in [11]" (fb.resnet.torch): epochs not stated.
IMAGENET_RECIPE = Recipe(
    "ImageNet-1K",
    batch_size=256,
    gpus=8,
    learning_rate=0.1,
    momentum=0.9,
    weight_decay=0.0001,
    lr_drop_factor=0.1,
    augmentation="224×224 random crop with scale and aspect-ratio augmentation (Szegedy et al.)",
    source="Sec. 4",
)

#: Appendix A. The factor of the two reductions is not stated there ("Other implementation details are as in
#: [11]"; fb.resnet.torch divides by 10): lr_drop_factor stays None.
CIFAR_RECIPE = Recipe(
    "CIFAR-10/100",
    batch_size=128,
    gpus=8,
    learning_rate=0.1,
    momentum=0.9,
    weight_decay=0.0005,
    epochs=300,
    lr_drops=(150, 225),
    augmentation="32×32 random crops of the zero-padded 40×40 image or of its flip",
    train_images=50000,
    test_images=10000,
    source="Appendix A",
)


# --- what the text states in sentences ---------------------------------------------------------------------


@dataclass(frozen=True)
class Reported:
    """One reported number: what it is, its value as printed, its unit, and where the paper prints it."""

    what: str
    value: float
    unit: str
    source: str


def _s(what, value, unit, source):
    return Reported(what, value, unit, source)


STATED = (
    _s("ResNet bottleneck block of conv2, parameters (256·64 + 3·3·64·64 + 64·256)", 70, "k (≈)", "Sec. 3.4"),
    _s("conv2 template, parameters", 70, "k (∼)", "Table 2 caption"),
    _s("conv2 template, FLOPs (# params × 56 × 56)", 0.22, "billion (∼)", "Table 2 caption"),
    _s("ResNet-50-sized models, FLOPs", 4.1, "billion (∼)", "Table 3 caption; Fig. 5"),
    _s("ResNet-101-sized models, FLOPs", 7.8, "billion (∼)", "Table 3 caption; Fig. 5"),
    _s("ResNet-50-sized models, parameters", 25, "million (∼)", "Fig. 5 caption"),
    _s("ResNet-101-sized models, parameters", 44, "million (∼)", "Fig. 5 caption"),
    _s("ResNeXt-50 (32×4d) below ResNet-50, top-1 error", 1.7, "points", "Sec. 5.1"),
    _s("ResNeXt-101 (32×4d) below ResNet-101, top-1 error", 0.8, "points", "Sec. 5.1"),
    _s("ResNet-101 training error (end of Fig. 5 right)", 20, _PCT, "Sec. 5.1, Fig. 5"),
    _s("ResNeXt-101 (32×4d) training error (end of Fig. 5 right)", 16, _PCT, "Sec. 5.1, Fig. 5"),
    _s("smallest bottleneck width used after Table 3", 4, "d", "Sec. 5.1"),
    _s("2× complexity models of Table 4, FLOPs", 15, "billion (∼)", "Sec. 5.1"),
    _s("ResNet-200 below ResNet-101, top-1 error", 0.3, "points", "Sec. 5.1"),
    _s("wider ResNet-101 below ResNet-101, top-1 error", 0.7, "points", "Sec. 5.1"),
    _s("ResNeXt-101 (2×64d) below ResNet-101, top-1 error", 1.3, "points", "Sec. 5.1"),
    _s("ResNeXt-101 (32×4d) complexity against ResNet-200 and wider ResNet-101", 50, "% (∼)", "Sec. 5.1"),
    _s("removing shortcuts from ResNeXt-50 raises top-1 error by", 3.9, "points", "Sec. 5.1"),
    _s("training ResNeXt-101 (64×4d) on 8 GPUs, total", 10, "days", "Sec. 5.1"),
    _s("ResNeXt single model, multi-scale dense testing, top-1 error", 17.7, _PCT, "Sec. 5.1"),
    _s("ResNeXt single model, multi-scale dense testing, top-5 error", 3.7, _PCT, "Sec. 5.1"),
    _s("Inception-ResNet-v2 single model, multi-scale multi-crop, top-1 error", 17.8, _PCT, "Sec. 5.1"),
    _s("Inception-ResNet-v2 single model, multi-scale multi-crop, top-5 error", 3.7, _PCT, "Sec. 5.1"),
    _s("ResNeXt ensemble, ILSVRC 2016 test set, top-5 error (2nd place)", 3.03, _PCT, "Sec. 5.1"),
    _s("ILSVRC 2016 winner, top-5 error", 2.99, _PCT, "Sec. 5.1"),
    _s("Inception-v4 / Inception-ResNet-v2 ensemble, top-5 error", 3.08, _PCT, "Sec. 5.1"),
    _s("ImageNet-5K categories", 5000, "", "Sec. 5.2"),
    _s("ImageNet-5K categories added to the 1K", 4000, "", "Sec. 5.2"),
    _s("ImageNet-5K images", 6.8, "million", "Sec. 5.2"),
    _s("ImageNet-5K size against ImageNet-1K", 5, "× (about)", "Sec. 5.2"),
    _s("ResNeXt-50 below ResNet-50, 5K-way top-1 error", 3.2, "points", "Sec. 5.2"),
    _s("ResNeXt-101 below ResNet-101, 5K-way top-1 error", 2.3, "points", "Sec. 5.2"),
    _s("CIFAR runs averaged per result", 10, "runs", "Sec. 5.3; Table 7"),
    _s("COCO training images", 80, "k", "Sec. 5.4"),
    _s("COCO val images added to training", 35, "k", "Sec. 5.4"),
    _s("COCO minival images", 5, "k", "Sec. 5.4"),
    _s("ResNeXt-50 over ResNet-50, AP@0.5", 2.1, "points", "Sec. 5.4"),
    _s("ResNeXt-50 over ResNet-50, AP", 1.0, "points", "Sec. 5.4"),
    _s("ImageNet learning rate divided by 10, number of times", 3, "", "Sec. 4"),
    _s("detection: RPN images per GPU (8 GPUs)", 2, "", "Appendix B"),
    _s("detection: RPN anchors per image", 256, "", "Appendix B"),
    _s("detection: mini-batches of each step at the first learning rate", 120, "k", "Appendix B"),
    _s("detection: mini-batches of each step at the second learning rate", 60, "k", "Appendix B"),
    _s("detection: RPN learning rate (first 120k mini-batches)", 0.02, "", "Appendix B"),
    _s("detection: RPN learning rate (next 60k)", 0.002, "", "Appendix B"),
    _s("detection: Fast R-CNN regions per image (1 image per GPU)", 64, "", "Appendix B"),
    _s("detection: Fast R-CNN learning rate (120k mini-batches)", 0.005, "", "Appendix B"),
    _s("detection: Fast R-CNN learning rate (next 60k)", 0.0005, "", "Appendix B"),
    _s("detection: weight decay", 0.0001, "", "Appendix B"),
    _s("detection: momentum", 0.9, "", "Appendix B"),
)

#: Every table of records, in the paper's order (for ``reported()``).
TABLES = (TABLE1_TOTALS, TABLE3, TABLE4, RESIDUAL, TABLE5, TABLE6, TABLE7, TABLE8, GPU_SECONDS)


def _record_values(record):
    for f in fields(record):
        value = getattr(record, f.name)
        if "label" in f.metadata and value is not None:
            who = getattr(record, "name", None) or getattr(record, "dataset", "")
            yield Reported(f"{who}: {f.metadata['label']}", value, f.metadata["unit"], record.source)


def reported():
    """Every number this module holds, as ``Reported(what, value, unit, source)``, tables first, then the text.

    Table 2's widths are listed too (they define its networks); Table 1's stage widths are words of the
    architecture and are left out.
    """
    rows = [value for table in TABLES for record in table for value in _record_values(record)]
    for r in TABLE2:
        label = f"C = {r.cardinality}"
        rows.append(Reported(f"{label}: width of bottleneck d", r.bottleneck_width, "", r.source))
        rows.append(Reported(f"{label}: width of group conv.", r.group_width, "", r.source))
    for recipe in (IMAGENET_RECIPE, CIFAR_RECIPE):
        rows.extend(_record_values(recipe))
    rows.extend(STATED)
    return tuple(rows)


def values():
    """The set of every reported number (what the book's prose-number check accepts besides printed outputs)."""
    return frozenset(r.value for r in reported())


__all__ = [
    "ARXIV",
    "Table1Stage",
    "Table1Total",
    "TABLE1",
    "TABLE1_STEM",
    "TABLE1_HEAD",
    "TABLE1_TOTALS",
    "Table2Row",
    "TABLE2",
    "ErrorRow",
    "TABLE3",
    "TABLE4",
    "ResidualRow",
    "RESIDUAL",
    "Table5Row",
    "TABLE5",
    "Table6Row",
    "TABLE6",
    "Table7Row",
    "TABLE7",
    "Fig7Series",
    "FIG7",
    "Table8Row",
    "TABLE8",
    "Timing",
    "GPU_SECONDS",
    "Recipe",
    "IMAGENET_RECIPE",
    "CIFAR_RECIPE",
    "Reported",
    "STATED",
    "TABLES",
    "reported",
    "values",
]
