"""Image data for training the book's networks: Fashion-MNIST and scikit-learn's digits offline, CIFAR-10 in Colab.

- ``load_digits``: scikit-learn's 1,797 handwritten digits (8x8 grayscale, 10 classes; they ship inside
  the package, so nothing is downloaded), resized to 32x32 (bilinear), scaled to [0, 1], 3 channels
  so that CIFAR-shaped models take them unchanged; split 70/15/15, stratified, with a fixed seed.
- ``load_cifar10``: CIFAR-10 through ``keras.datasets.cifar10.load_data`` (a download), scaled to
  [0, 1], with a stratified validation split carved out of the training set.
- ``load_fashion_mnist``: Fashion-MNIST's 60,000 + 10,000 real 28x28 images (Debian's package offline, or Keras'
  download), checked against recorded checksums (``resnext_edu.fashion_mnist``).
- ``subset``: fewer images of each split, stratified, for short runs.
- ``load(name)``: any of them by name.
- ``make_datasets``, ``augment``, ``pad_crop_flip``, ``set_epoch``: the ``tf.data`` pipelines of the splits, from
  ``resnext_edu.pipeline`` (re-exported here).

Every function returns plain NumPy arrays or ``tf.data.Dataset`` objects; labels are int32 class
indices (the library's models output logits: train with sparse categorical cross-entropy).
"""

import math
import numbers
import os
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from resnext_edu._checks import one_of, positive_int

#: CIFAR-10's classes, in the order of its labels.
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
DIGITS_CLASSES = tuple(str(i) for i in range(10))


@dataclass(frozen=True, eq=False)
class Splits:
    """Images (float32, ``(N, height, width, channels)``, values in [0, 1]) and int32 labels, three ways."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple

    @property
    def num_classes(self):
        return len(self.class_names)

    @property
    def image_shape(self):
        """``(height, width, channels)`` of one image: the ``input_shape`` of a model."""
        return tuple(self.x_train.shape[1:])

    def sizes(self):
        """Images per split: ``{"train": ..., "validation": ..., "test": ...}``."""
        return {"train": len(self.y_train), "validation": len(self.y_val), "test": len(self.y_test)}

    def __repr__(self):
        sizes = ", ".join(f"{k}={v}" for k, v in self.sizes().items())
        return f"Splits({self.name!r}, {sizes}, image_shape={self.image_shape}, classes={self.num_classes})"


def _fraction(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < 1:
        raise ValueError(f"{name} must be a fraction strictly between 0 and 1; got {value!r}.")
    return float(value)


def _seed(seed):
    return positive_int("seed", seed, minimum=0)


def _stratified_split(indices, labels, size, seed):
    """(kept, split off): ``size`` of ``indices`` split off, each class in proportion (scikit-learn)."""
    from sklearn.model_selection import train_test_split

    return train_test_split(indices, test_size=size, stratify=labels[indices], random_state=seed)


def _check_split_sizes(n, classes, validation, test):
    """Each split must get at least one image of every class, as a stratified split needs (scikit-learn's sizes)."""
    n_test = math.ceil(test * n)
    n_validation = math.ceil(validation / (1 - test) * (n - n_test))
    for name, fraction, size in (("test", test, n_test), ("validation", validation, n_validation)):
        if size < classes:
            raise ValueError(
                f"{name}={fraction} holds out {size} of the {n:,} images, fewer than one per class ({classes}): "
                f"use a fraction of at least {classes / n:.4f}."
            )
    if n - n_test - n_validation < classes:
        raise ValueError(f"validation={validation} and test={test} leave fewer than {classes} images to train on.")


def load_digits(image_size=32, channels=3, seed=0, *, validation=0.15, test=0.15):
    """scikit-learn's handwritten digits as ``Splits``: 1,797 images, 10 classes, nothing downloaded.

    The 8x8 images (ink 0..16) are scaled to [0, 1], resized to ``image_size`` x ``image_size``
    (bilinear) and given ``channels`` channels (1, or 3 copies of the gray one). ``validation`` and
    ``test`` are the fractions held out, stratified by class; the same ``seed`` gives the same split.
    """
    from sklearn import datasets

    image_size = positive_int("image_size", image_size)
    channels = one_of("channels", channels, (1, 3))
    seed = _seed(seed)
    validation, test = _fraction("validation", validation), _fraction("test", test)
    if validation + test >= 1:
        raise ValueError(f"validation + test must leave images to train on; got {validation} + {test} >= 1.")
    digits = datasets.load_digits()
    images = (digits.images / 16.0).astype("float32")[..., None]  # (N, 8, 8, 1), ink in [0, 1]
    images = tf.image.resize(images, (image_size, image_size), method="bilinear").numpy()
    images = np.clip(images, 0.0, 1.0)  # bilinear interpolation stays in range; clip float round-off
    if channels == 3:
        images = np.repeat(images, 3, axis=-1)
    labels = digits.target.astype("int32")
    _check_split_sizes(len(labels), len(DIGITS_CLASSES), validation, test)
    rest, test_idx = _stratified_split(np.arange(len(labels)), labels, test, seed)
    train_idx, val_idx = _stratified_split(rest, labels, validation / (1 - test), seed)
    return Splits(
        "digits",
        images[train_idx],
        labels[train_idx],
        images[val_idx],
        labels[val_idx],
        images[test_idx],
        labels[test_idx],
        DIGITS_CLASSES,
    )


def load_cifar10(loader=None, validation=5000, seed=0):
    """CIFAR-10 as ``Splits``: 32x32x3 images in [0, 1], ``validation`` training images held out (stratified).

    ``loader`` returns ``((x_train, y_train), (x_test, y_test))`` with uint8 images ``(N, 32, 32, 3)`` and
    labels ``(N,)`` or ``(N, 1)``, as ``keras.datasets.cifar10.load_data`` (the default; it downloads
    170 MB on first use) does. The test split is CIFAR's own test set.
    """
    if loader is None:
        import keras

        loader = keras.datasets.cifar10.load_data
    wanted = "a function returning ((x_train, y_train), (x_test, y_test)), such as keras.datasets.cifar10.load_data"
    if not callable(loader):
        hint = (
            " (a path: wrap the code that reads your files in such a function)"
            if isinstance(loader, (str, os.PathLike))
            else ""
        )
        raise ValueError(f"loader must be {wanted}; got {loader!r}{hint}.")
    validation = positive_int("validation", validation)
    seed = _seed(seed)
    try:
        loaded = loader()
    except (OSError, ValueError, EOFError) as error:  # no network, a missing or damaged file
        raise ValueError(f"the CIFAR-10 loader {getattr(loader, '__name__', loader)!r} failed: {error}") from error
    try:
        (x_train, y_train), (x_test, y_test) = loaded
    except (TypeError, ValueError):
        raise ValueError(f"loader must be {wanted}; it returned {type(loaded).__name__}.") from None
    x_train, y_train = _check_cifar_part("training", x_train, y_train)
    x_test, y_test = _check_cifar_part("test", x_test, y_test)
    classes = len(CIFAR10_CLASSES)
    if not classes <= validation <= len(y_train) - classes:
        raise ValueError(
            f"validation must hold between {classes} and {len(y_train) - classes} of the "
            f"{len(y_train)} training images (one per class each side); got {validation}."
        )
    train_idx, val_idx = _stratified_split(np.arange(len(y_train)), y_train, validation, seed)
    return Splits(
        "cifar10",
        x_train[train_idx],
        y_train[train_idx],
        x_train[val_idx],
        y_train[val_idx],
        x_test,
        y_test,
        CIFAR10_CLASSES,
    )


def _check_cifar_part(part, images, labels):
    images, labels = np.asarray(images), np.asarray(labels)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(
            f"CIFAR {part} images must be uint8 of shape (N, height, width, 3); got {images.dtype} {images.shape}."
        )
    labels = labels.reshape(-1) if labels.ndim == 2 and labels.shape[1] == 1 else labels
    if labels.ndim != 1 or len(labels) != len(images):
        raise ValueError(
            f"CIFAR {part} labels must be (N,) or (N, 1) for the {len(images)} images; got {labels.shape}."
        )
    if len(labels) and (labels.min() < 0 or labels.max() >= len(CIFAR10_CLASSES)):
        raise ValueError(f"CIFAR {part} labels must lie in 0..{len(CIFAR10_CLASSES) - 1}.")
    return (images.astype("float32") / 255.0), labels.astype("int32")


# --- Fashion-MNIST: real images offline (Debian's package) or through Keras (Colab) ---------------------------------


def load_fashion_mnist(channels=1, validation=5000, seed=0, *, source="auto", directory=None, arrays=None):
    """Fashion-MNIST as ``Splits``: 28x28 clothing images in [0, 1], 10 classes (``fashion_mnist.CLASSES``).

    The arrays come from Debian's package ``dataset-fashion-mnist`` or from ``keras.datasets.fashion_mnist``
    (``source``: "auto", "debian" or "keras"; ``directory``: another folder of the Debian files), and are checked
    against recorded SHA-256 sums whichever the source (``resnext_edu.fashion_mnist``). ``validation`` of the 60,000
    training images are held out, stratified by class (same ``seed``, same split); the test split is the data set's
    own 10,000 test images. ``channels``: 1 (gray), or 3 copies of it for networks made for colour images.
    ``arrays``: the ``fashion_mnist.Arrays`` that ``fashion_mnist.load_arrays`` returned, if loaded already.
    """
    from resnext_edu import fashion_mnist

    channels = one_of("channels", channels, (1, 3))
    validation = positive_int("validation", validation)
    seed = _seed(seed)
    classes = len(fashion_mnist.CLASSES)
    train_size = fashion_mnist.SHAPES["y_train"][0]
    if not classes <= validation <= train_size - classes:
        raise ValueError(
            f"validation must hold between {classes} and {train_size - classes} of the {train_size} training "
            f"images (one per class each side); got {validation}."
        )
    if arrays is not None and not isinstance(arrays, fashion_mnist.Arrays):
        raise ValueError(f"arrays must be the fashion_mnist.Arrays of fashion_mnist.load_arrays; got {arrays!r}.")
    raw = arrays or fashion_mnist.load_arrays(source, fashion_mnist.DEBIAN_DIR if directory is None else directory)

    def images(x):
        x = (x.astype("float32") / 255.0)[..., None]
        return np.repeat(x, 3, axis=-1) if channels == 3 else x

    x_train, y_train = images(raw.x_train), raw.y_train.astype("int32")
    train_idx, val_idx = _stratified_split(np.arange(len(y_train)), y_train, validation, seed)
    train_idx, val_idx = np.sort(train_idx), np.sort(val_idx)  # the data set's order within each split
    return Splits(
        "fashion_mnist",
        x_train[train_idx],
        y_train[train_idx],
        x_train[val_idx],
        y_train[val_idx],
        images(raw.x_test),
        raw.y_test.astype("int32"),
        fashion_mnist.CLASSES,
    )


def subset(splits, train=None, validation=None, test=None, seed=0):
    """``splits`` with fewer images: ``train``, ``validation`` and ``test`` images of each split (None keeps all),
    drawn stratified by class with ``seed``, in their original order. For short runs on a CPU."""
    if not isinstance(splits, Splits):
        raise ValueError(f"subset needs the Splits of a data.load_* function; got {splits!r}.")
    seed = _seed(seed)
    parts = []
    for name, size, x, y in (
        ("train", train, splits.x_train, splits.y_train),
        ("validation", validation, splits.x_val, splits.y_val),
        ("test", test, splits.x_test, splits.y_test),
    ):
        if size is None or size == len(y):
            parts += [x, y]
            continue
        size = positive_int(name, size)
        classes = len(np.unique(y))
        if not classes <= size < len(y):
            raise ValueError(
                f"{name} must be None (all {len(y)}) or a number of images from {classes} (one per class) to "
                f"{len(y)}; got {size}."
            )
        _, kept = _stratified_split(np.arange(len(y)), y, size, seed)
        kept = np.sort(kept)
        parts += [x[kept], y[kept]]
    return Splits(splits.name, *parts, splits.class_names)


#: The data sets ``load`` knows, by name.
DATASETS = {"digits": load_digits, "cifar10": load_cifar10, "fashion_mnist": load_fashion_mnist}


def load(name, **kwargs):
    """``load_digits``, ``load_cifar10`` or ``load_fashion_mnist`` (``DATASETS[name]``) called with ``kwargs``."""
    one_of("data set name", name, tuple(DATASETS))
    return DATASETS[name](**kwargs)


__all__ = [
    "CIFAR10_CLASSES",
    "DIGITS_CLASSES",
    "DATASETS",
    "Splits",
    "load_digits",
    "load_cifar10",
    "load_fashion_mnist",
    "subset",
    "load",
    "augment",
    "pad_crop_flip",
    "AUGMENTATIONS",
    "set_epoch",
    "current_epoch",
    "make_datasets",
]

from resnext_edu.pipeline import (  # noqa: E402  (after Splits, which the pipelines check)
    AUGMENTATIONS,
    augment,
    current_epoch,
    make_datasets,
    pad_crop_flip,
    set_epoch,
)
