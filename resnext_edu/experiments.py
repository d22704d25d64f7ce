"""ResNet against ResNeXts at equal cost, over several seeds: the book's experiment and its reference run.

    python -m resnext_edu.experiments              # the reference run: full Fashion-MNIST, 5 seeds (make reference)
    python -m resnext_edu.experiments --help       # smaller runs, other files

``EqualCost`` says what is trained: a ResNet (cardinality 1, bottleneck width ``reference_width``) and ResNeXts whose
width d ``complexity.width_for_cardinality`` picks so that each block keeps the ResNet block's weights (Table 2's
rule), all of the scaled-down CIFAR design of Sec. 5.3 (``models.resnext_cifar``); and how: seeds, epochs, batch,
data. For each seed the networks train side by side (``training.train_side_by_side``: the same batches, taking
turns), and each is scored on every test image. ``run`` returns a ``records.Record``; with a ``path`` it writes the
record after every seed and, called again, continues where it stopped (each network's epochs are backed up in
``work_dir``). ``REFERENCE`` is the run kept in the repository (``records.reference``), ``CHAPTER`` its
three-minute version for a CPU.
"""

import argparse
import dataclasses
import os
import shutil
import sys
import time

import numpy as np

from resnext_edu import complexity, paper, records
from resnext_edu._checks import one_of, positive_int

DATASETS = ("fashion_mnist", "cifar10")


@dataclasses.dataclass(frozen=True)
class EqualCost:
    """The networks compared (all of one cost) and how each is trained. Checked when made."""

    cardinalities: tuple = (1, 4, 8)
    reference_width: int = 12  # d of the one-path ResNet; the ResNeXts' d keeps each block's weights
    out_channels: int = 32  # of the first stage; doubled at each of the next two
    stem_filters: int = 16
    stem_strides: int = 2  # 28x28 images: maps of 14, 7 and 4 in the three stages
    blocks_per_stage: int = 1  # depth 9n + 2
    seeds: tuple = (0, 1, 2, 3, 4)
    epochs: int = 6
    batch_size: int = 128
    optimizer: str = "adamw"  # with a cosine-decayed learning rate (training.train)
    augment: bool = True  # random shifts and zooms (data.augment)
    recipe: str | None = None  # "paper-cifar": recipes.PAPER_CIFAR instead of the four fields above (but epochs)
    dataset: str = "fashion_mnist"
    train_images: int | None = None  # None: every training image (55,000 of Fashion-MNIST's 60,000)
    validation_images: int | None = None  # None: all 5,000 held out; 0: none held out, train on all 60,000
    test_images: int | None = None  # None: all 10,000

    def __post_init__(self):
        cards = tuple(positive_int("cardinality", c) for c in self.cardinalities)
        if not cards or cards[0] != 1 or len(set(cards)) != len(cards):
            raise ValueError(f"cardinalities must start with 1 (the ResNet) and differ; got {self.cardinalities!r}.")
        seeds = tuple(positive_int("seed", s, minimum=0) for s in self.seeds)
        if not seeds or len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds must be one or more different whole numbers; got {self.seeds!r}.")
        object.__setattr__(self, "cardinalities", cards)
        object.__setattr__(self, "seeds", seeds)
        for name in ("reference_width", "out_channels", "stem_filters", "stem_strides", "blocks_per_stage"):
            positive_int(name, getattr(self, name))
        positive_int("epochs", self.epochs)
        positive_int("batch_size", self.batch_size)
        one_of("optimizer", self.optimizer, ("adamw", "sgd"))
        one_of("recipe", self.recipe, (None, "paper-cifar"))
        one_of("dataset", self.dataset, DATASETS)
        if not isinstance(self.augment, bool):
            raise ValueError(f"augment must be True or False; got {self.augment!r}.")
        for name in ("train_images", "validation_images", "test_images"):
            value = getattr(self, name)
            if value is not None:
                positive_int(name, value, minimum=0 if name == "validation_images" else 1)

    def training_recipe(self):
        """The ``recipes.Recipe`` each network trains with: ``recipes.PAPER_CIFAR`` (for ``epochs``) with
        ``recipe="paper-cifar"``, else ``optimizer`` (its default rate, along a cosine), ``batch_size``, ``augment``."""
        from resnext_edu import recipes

        if self.recipe == "paper-cifar":  # its milestones are fractions of the run: epochs 150 and 225 of 300
            return dataclasses.replace(recipes.PAPER_CIFAR, epochs=self.epochs)
        augmentation = "shift-zoom" if self.augment else "none"
        return recipes.Recipe(self.optimizer, epochs=self.epochs, batch_size=self.batch_size, augmentation=augmentation)

    def widths(self):
        """``{cardinality: d}``: the ResNet's width, and each ResNeXt's from ``complexity.width_for_cardinality``."""
        return {
            c: complexity.width_for_cardinality(c, self.out_channels, self.out_channels, self.reference_width)
            for c in self.cardinalities
        }

    def architectures(self, num_classes=10, image_shape=(28, 28, 1)):
        """``{label: complexity.Architecture}``, labelled as the paper labels templates: "1×12d", "4×5d", ..."""
        archs = {}
        for c, d in self.widths().items():
            arch = complexity.cifar_architecture(
                c, d, num_classes, image_shape[:2], **self.shape(), stem_strides=self.stem_strides
            )
            archs[label(c, d)] = dataclasses.replace(arch, in_channels=image_shape[-1])
        return archs

    def shape(self):
        """The keyword arguments of ``models.resnext_cifar`` and ``complexity.cifar_architecture`` that scale it."""
        return dict(
            blocks_per_stage=self.blocks_per_stage, out_channels=self.out_channels, stem_filters=self.stem_filters
        )

    def build(self, network, seed, num_classes=10, image_shape=(28, 28, 1)):
        """The Keras model of ``network`` (a label of ``architectures``), its weights drawn from ``seed``."""
        import keras

        from resnext_edu import models

        widths = {label(c, d): (c, d) for c, d in self.widths().items()}
        one_of("network", network, tuple(widths))
        keras.utils.set_random_seed(positive_int("seed", seed, minimum=0))
        c, d = widths[network]
        shape = dict(**self.shape(), stem_strides=self.stem_strides)
        return models.resnext_cifar(c, d, num_classes, tuple(image_shape), **shape)

    def settings(self):
        """The settings as JSON data (what a record stores and a resumed run must match)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}


def label(cardinality, bottleneck_width):
    """ "C×dd": a template as the paper's tables print it."""
    return f"{cardinality}×{bottleneck_width}d"


#: The reference run kept in the repository: every Fashion-MNIST training image, 5 seeds, 6 epochs.
REFERENCE = EqualCost()
#: The same networks and code, sized for about three minutes of a chapter on 2 CPU cores.
CHAPTER = dataclasses.replace(REFERENCE, seeds=(0, 1, 2), epochs=4, train_images=3000, validation_images=1000)
#: The paper's CIFAR network, ResNeXt-29 (8x64d), against the one-path ResNet-29 closest to its cost (221 wide: the
#: width Table 2's rule gives 64 for C = 8 from), trained as Appendix A says (``recipes.PAPER_CIFAR``) on all
#: 50,000 CIFAR-10 training images; the paper's Table 7 compares ResNeXt-29 with Wide ResNet, not with this ResNet.
#: Days of a GPU: Colab only.
CIFAR_FULL = EqualCost(
    cardinalities=(1, 8),
    reference_width=221,
    out_channels=256,
    stem_filters=64,
    stem_strides=1,
    blocks_per_stage=3,
    seeds=(0, 1, 2),
    epochs=paper.CIFAR_RECIPE.epochs,
    batch_size=paper.CIFAR_RECIPE.batch_size,
    optimizer="sgd",
    recipe="paper-cifar",
    dataset="cifar10",
    validation_images=0,
)


#: Settings added after records were written, with the value that means what the code did before them.
_ADDED_SINCE = {"recipe": None}


def setting(dataset="fashion_mnist", full=False):
    """What the chapter trains: ``CHAPTER`` (a CPU's minutes) or, with ``full``, ``REFERENCE``; for "cifar10" the
    same networks on CIFAR-10's 32x32 colour images, or with ``full`` the paper's ResNeXt-29 (8x64d) against a
    one-path ResNet-29 of its cost (``CIFAR_FULL``)."""
    one_of("dataset", dataset, DATASETS)
    if not isinstance(full, bool):
        raise ValueError(f"full must be True or False; got {full!r}.")
    if dataset == "cifar10":
        return CIFAR_FULL if full else dataclasses.replace(CHAPTER, dataset="cifar10", stem_strides=1)
    return REFERENCE if full else CHAPTER


def load_splits(setting, splits=None):
    """The data of ``setting``: its data set (or ``splits``, already loaded), held-out validation images, and the
    subsets it asks for (``data.subset``, seed 0)."""
    from resnext_edu import data

    if splits is not None:
        pass
    elif setting.dataset == "fashion_mnist":
        splits = data.load_fashion_mnist()
    else:
        splits = data.load_cifar10()
    if setting.validation_images == 0:  # train on every training image; no validation curves
        splits = data.Splits(
            splits.name,
            np.concatenate([splits.x_train, splits.x_val]),
            np.concatenate([splits.y_train, splits.y_val]),
            splits.x_val[:0],
            splits.y_val[:0],
            splits.x_test,
            splits.y_test,
            splits.class_names,
        )
        return data.subset(splits, setting.train_images, None, setting.test_images)
    return data.subset(splits, setting.train_images, setting.validation_images, setting.test_images)


def test_correct(model, splits, batch_size=500):
    """Which test images ``model`` classifies right: a boolean array, one entry per test image."""
    logits = model.predict(splits.x_test, batch_size=batch_size, verbose=0)
    return np.asarray(logits).argmax(axis=-1) == splits.y_test


def train_seed(setting, splits, seed, *, backup_dir=None, progress=True):
    """Train every network of ``setting`` from ``seed`` (the same batches for all, taking turns); returns
    ``{network: (model, TrainingResult)}``."""
    import keras

    from resnext_edu import training

    archs = setting.architectures(splits.num_classes, splits.image_shape)
    recipe = setting.training_recipe()
    keras.utils.set_random_seed(seed)
    train_ds, val_ds, _ = recipe.datasets(splits, seed)  # its batches: a function of (seed, epoch)
    val_ds = val_ds if len(splits.y_val) else None
    built = {name: setting.build(name, seed, splits.num_classes, splits.image_shape) for name in archs}
    results = training.train_side_by_side(
        built, train_ds, val_ds, recipe=recipe, backup_dir=backup_dir, progress=progress
    )
    return {name: (built[name], results[name]) for name in built}


def run(setting, splits=None, *, path=None, work_dir=None, progress=True, command=None):
    """Train ``setting``'s networks for each of its seeds; returns the ``records.Record``.

    With ``path`` the record is written there after every seed (and a run whose record is there continues after its
    last complete seed); ``work_dir`` keeps each network's backups and final weights (``{network}_seed{n}``) until
    the run is over. ``command``: how the run was started, for the record.
    """
    if not isinstance(setting, EqualCost):
        raise ValueError(f"setting must be an experiments.EqualCost (REFERENCE, CHAPTER, ...); got {setting!r}.")
    splits = load_splits(setting) if splits is None else splits
    record = records.Record.start(setting.settings(), _networks(setting, splits), splits, command)
    if path is not None and os.path.exists(path):
        record = records.Record.resume(path, setting.settings(), defaults=_ADDED_SINCE)
    done = {(r["network"], r["seed"]) for r in record.runs}
    for seed in setting.seeds:
        if all((name, seed) in done for name in record.networks):
            continue
        backup = None if work_dir is None else os.path.join(work_dir, f"backup_seed{seed}")
        start = time.perf_counter()
        for name, (model, result) in train_seed(setting, splits, seed, backup_dir=backup, progress=progress).items():
            correct = test_correct(model, splits)
            record.add_run(name, seed, result.history, correct, result.images_per_second)
            if work_dir is not None:
                model.save_weights(os.path.join(work_dir, f"{records.file_stem(name, seed)}.weights.h5"))
        record.seconds += time.perf_counter() - start
        if backup is not None and os.path.isdir(backup) and not os.listdir(backup):
            os.rmdir(backup)  # the seed's networks finished: their backups are gone
        if path is not None:
            record.save(path)
    record.complete = True
    if path is not None:
        record.save(path)
    return record


def _networks(setting, splits):
    archs = setting.architectures(splits.num_classes, splits.image_shape)
    return {
        name: dict(
            cardinality=arch.stages[0].cardinality,
            bottleneck_width=arch.stages[0].bottleneck_width,
            params=complexity.architecture_params(arch),
            macs=complexity.architecture_macs(arch),
        )
        for name, arch in archs.items()
    }


def ship(record, work_dir, folder, path):
    """Copy the weights of the best ResNeXt (highest final validation accuracy) and of the ResNet of its seed from
    ``work_dir`` into ``folder``, note them in ``record`` and save it at ``path``."""
    os.makedirs(folder, exist_ok=True)
    shipped = []
    for run in record.choose_shipped():
        stem = records.file_stem(run["network"], run["seed"])
        target = os.path.join(folder, f"{record.settings['dataset']}_{stem}.weights.h5")
        shutil.copyfile(os.path.join(work_dir, f"{stem}.weights.h5"), target)
        shipped.append(dict(network=run["network"], seed=run["seed"], file=os.path.basename(target)))
    record.shipped = records.with_digests(shipped, folder)
    record.save(path)
    return record.shipped


def reference_model(which="resnext", record=None, folder=records.PACKAGE_DIR):
    """``(model, run)``: a shipped network of the reference run ("resnext": its best ResNeXt, "resnet": that
    ResNeXt's ResNet twin), built from the record's settings with its trained weights, and the record's entry of it."""
    one_of("which", which, ("resnext", "resnet"))
    record = records.reference(folder) if record is None else record
    if not record.shipped:
        raise ValueError("this record ships no weights (its run has not finished with `ship`).")
    entry = record.shipped[0] if which == "resnext" else record.shipped[1]
    setting = EqualCost(**record.settings)
    shape = (28, 28, 1) if setting.dataset == "fashion_mnist" else (32, 32, 3)
    model = setting.build(entry["network"], entry["seed"], 10, shape)
    model.load_weights(os.path.join(folder, entry["file"]))
    return model, record.run_of(entry["network"], entry["seed"])


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m resnext_edu.experiments",
        description="Train a ResNet and ResNeXts of equal cost on Fashion-MNIST over several seeds; write the results "
        "(per seed and epoch) as JSON and ship the weights of the best ResNeXt and its ResNet twin. Interrupted, the "
        "same command continues where it stopped.",
    )
    parser.add_argument("--seeds", type=int, default=len(REFERENCE.seeds), help="seeds 0..N-1 (default %(default)s)")
    parser.add_argument("--epochs", type=int, default=REFERENCE.epochs, help="(default %(default)s)")
    parser.add_argument("--train-images", type=int, default=None, help="a stratified subset (default: all)")
    parser.add_argument("--out", default=records.REFERENCE_JSON, help="the record (default %(default)s)")
    parser.add_argument("--weights-dir", default=records.REFERENCE_DIR, help="shipped weights (default %(default)s)")
    parser.add_argument("--work-dir", default=os.path.join("build", "experiments"), help="backups (%(default)s)")
    return parser


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before TensorFlow is imported: its C++ logs, not ours
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)
    setting = dataclasses.replace(
        REFERENCE, seeds=tuple(range(args.seeds)), epochs=args.epochs, train_images=args.train_images
    )
    os.makedirs(args.work_dir, exist_ok=True)
    command = " ".join(["python -m resnext_edu.experiments", *argv]).strip()
    record = run(setting, path=args.out, work_dir=args.work_dir, progress=True, command=command)
    files = [os.path.join(args.weights_dir, s["file"]) for s in record.shipped]
    if files and all(map(os.path.exists, files)):  # a finished run, called again: nothing to train or ship
        shipped = record.shipped
    else:
        shipped = ship(record, args.work_dir, args.weights_dir, args.out)
    print(record.report())
    print("shipped:", ", ".join(f"{s['file']} ({s['network']}, seed {s['seed']})" for s in shipped))
    shutil.rmtree(args.work_dir, ignore_errors=True)
    return 0


__all__ = ["DATASETS", "EqualCost", "label", "REFERENCE", "CHAPTER", "CIFAR_FULL", "setting", "load_splits"]
__all__ += ["test_correct", "train_seed", "run", "ship", "reference_model", "main"]

if __name__ == "__main__":
    sys.exit(main())
