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
- ``make_datasets``: ``tf.data`` pipelines from the splits: the training set shuffled with a seed
  and augmented by small random shifts and zooms (never flips: a mirrored digit is another glyph),
  all three batched and prefetched.

Every function returns plain NumPy arrays or ``tf.data.Dataset`` objects; labels are int32 class
indices (the library's models output logits: train with sparse categorical cross-entropy).
"""

import numbers
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
    validation = positive_int("validation", validation)
    seed = _seed(seed)
    (x_train, y_train), (x_test, y_test) = loader()
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


def augment(images, seed, translation=0.1, zoom=0.1):
    """A random shift and zoom of each image in a batch, from a stateless ``seed`` (a pair of integers).

    Each image is shifted by up to ``translation`` of its side in each direction and scaled by a factor
    within 1 +- ``zoom``: one ``tf.image.crop_and_resize`` (bilinear) of a random box, zeros (black)
    where the box leaves the image. No flips. The same seed gives the same result.
    """
    images = tf.convert_to_tensor(images)
    n = tf.shape(images)[0]
    u = tf.random.stateless_uniform((n, 3), seed=seed, minval=-1.0, maxval=1.0)
    half = 0.5 * (1.0 + zoom * u[:, 0])  # half the side of the box, in image fractions
    cy, cx = 0.5 + translation * u[:, 1], 0.5 + translation * u[:, 2]
    boxes = tf.stack([cy - half, cx - half, cy + half, cx + half], axis=1)
    size = tuple(images.shape[1:3])
    size = size if None not in size else tf.shape(images)[1:3]  # a static size keeps the static shape
    out = tf.image.crop_and_resize(images, boxes, tf.range(n), size, extrapolation_value=0.0)
    return tf.cast(out, images.dtype)


def make_datasets(
    splits, batch_size=64, augment=True, seed=0, *, shuffle=True, drop_remainder=True, translation=0.1, zoom=0.1
):
    """``(train_ds, val_ds, test_ds)``: batched, prefetched ``tf.data`` pipelines of ``splits``.

    The training set is reshuffled every epoch (from ``seed``) and, with ``augment``, each batch gets
    ``resnext_edu.data.augment``'s random shifts and zooms (seeded from ``seed`` too). With
    ``drop_remainder`` its last, partial batch is left out: every training step then has the same shape,
    so TensorFlow builds the training graph once instead of twice (seconds per model on a CPU), and the
    reshuffling leaves out different images each epoch. Validation and test sets are neither shuffled
    nor augmented, and keep every image.
    """
    if not isinstance(splits, Splits):
        raise ValueError(f"make_datasets needs the Splits of load_digits / load_cifar10 / load; got {splits!r}.")
    batch_size = positive_int("batch_size", batch_size)
    seed = _seed(seed)
    for name, value in (("translation", translation), ("zoom", zoom)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
            raise ValueError(f"{name} must be a number in [0, 1); got {value!r}.")
    autotune = tf.data.AUTOTUNE
    train = tf.data.Dataset.from_tensor_slices((splits.x_train, splits.y_train))
    if shuffle:
        train = train.shuffle(len(splits.y_train), seed=seed, reshuffle_each_iteration=True)
    train = train.batch(batch_size, drop_remainder=bool(drop_remainder))
    if augment:
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        train = tf.data.Dataset.zip((train, seeds)).map(
            lambda batch, s: (_augment(batch[0], s, translation, zoom), batch[1]), num_parallel_calls=autotune
        )
    evaluation = [
        tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size).prefetch(autotune)
        for x, y in ((splits.x_val, splits.y_val), (splits.x_test, splits.y_test))
    ]
    return (train.prefetch(autotune), *evaluation)


_augment = augment  # make_datasets' argument named `augment` shadows the function

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
    "make_datasets",
]
