"""Image data for training the book's networks: scikit-learn's digits offline, CIFAR-10 in Colab.

- ``load_digits``: scikit-learn's 1,797 handwritten digits (8x8 grayscale, 10 classes; they ship inside
  the package, so nothing is downloaded), resized to 32x32 (bilinear), scaled to [0, 1], 3 channels
  so that CIFAR-shaped models take them unchanged; split 70/15/15, stratified, with a fixed seed.
- ``load_cifar10``: CIFAR-10 through ``keras.datasets.cifar10.load_data`` (a download), scaled to
  [0, 1], with a stratified validation split carved out of the training set.
- ``load(name)``: either of them by name.
- ``make_datasets``: ``tf.data`` pipelines from the splits, all three batched and prefetched; the
  training set shuffled and augmented as a function of (seed, epoch) (``set_epoch``), so that a
  resumed run sees the batches an uninterrupted one sees: small random shifts and zooms by default
  (``augment``; never flips: a mirrored digit is another glyph), or the paper's CIFAR pad-crop-flip.

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


#: The data sets ``load`` knows, by name.
DATASETS = {"digits": load_digits, "cifar10": load_cifar10}


def load(name, **kwargs):
    """``load_digits(**kwargs)`` for ``"digits"``, ``load_cifar10(**kwargs)`` for ``"cifar10"``."""
    one_of("data set name", name, tuple(DATASETS))
    return DATASETS[name](**kwargs)


def _check_seed_pair(seed):
    """A stateless seed: a pair of integers (or an int tensor of shape (2,), as inside a pipeline)."""
    if isinstance(seed, tf.Tensor):
        if seed.shape.rank == 1 and seed.shape[0] in (2, None) and seed.dtype.is_integer:
            return seed
    elif (
        isinstance(seed, (list, tuple, np.ndarray))
        and len(seed) == 2
        and all(isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in seed)
    ):
        return [int(s) for s in seed]
    raise ValueError(f"seed must be a pair of integers, such as [0, 1] (a stateless seed); got {seed!r}.")


def _check_images(images):
    images = tf.convert_to_tensor(images)
    if images.shape.rank != 4 or not images.dtype.is_floating:
        raise ValueError(
            "images must be a batch of float images, shape (N, height, width, channels); "
            f"got {images.dtype.name} {tuple(images.shape)}."
        )
    return images


def augment(images, seed, translation=0.1, zoom=0.1):
    """A random shift and zoom of each image in a batch, from a stateless ``seed`` (a pair of integers).

    Each image is shifted by up to ``translation`` of its side in each direction and scaled by a factor
    within 1 +- ``zoom``: one ``tf.image.crop_and_resize`` (bilinear) of a random box, zeros (black)
    where the box leaves the image. No flips. The same seed gives the same result.
    """
    images, seed = _check_images(images), _check_seed_pair(seed)
    n = tf.shape(images)[0]
    u = tf.random.stateless_uniform((n, 3), seed=seed, minval=-1.0, maxval=1.0)
    half = 0.5 * (1.0 + zoom * u[:, 0])  # half the side of the box, in image fractions
    cy, cx = 0.5 + translation * u[:, 1], 0.5 + translation * u[:, 2]
    boxes = tf.stack([cy - half, cx - half, cy + half, cx + half], axis=1)
    size = tuple(images.shape[1:3])
    size = size if None not in size else tf.shape(images)[1:3]  # a static size keeps the static shape
    out = tf.image.crop_and_resize(images, boxes, tf.range(n), size, extrapolation_value=0.0)
    return tf.cast(out, images.dtype)


def pad_crop_flip(images, seed, padding=4):
    """The paper's CIFAR augmentation (Sec. 5.3, after He et al. 2016): pad ``padding`` zero pixels on each side,
    crop a random window of the original size, flip it left-right with probability 1/2; from a stateless ``seed``."""
    images, seed = _check_images(images), _check_seed_pair(seed)
    padding = positive_int("padding", padding, minimum=0)
    n, height, width = tf.shape(images)[0], tf.shape(images)[1], tf.shape(images)[2]
    padded = tf.pad(images, [[0, 0], [padding, padding], [padding, padding], [0, 0]])
    offsets = tf.random.stateless_uniform((n, 2), seed=seed, maxval=2 * padding + 1, dtype=tf.int32)
    rows = offsets[:, :1] + tf.range(height)[None]  # (n, height): the window's rows in the padded image
    columns = offsets[:, 1:] + tf.range(width)[None]
    flip_seed = tf.random.experimental.stateless_fold_in(seed, 1)
    flip = tf.random.stateless_uniform((n, 1), seed=flip_seed, maxval=2, dtype=tf.int32)
    columns = tf.where(flip == 1, tf.reverse(columns, [1]), columns)
    out = tf.gather(tf.gather(padded, rows, axis=1, batch_dims=1), columns, axis=2, batch_dims=1)
    return tf.ensure_shape(out, images.shape)


#: What ``make_datasets`` can do to each training batch: ``augment``'s shifts and zooms (the default; for digits,
#: which must not be mirrored), the paper's CIFAR pad-crop-flip (``pad_crop_flip``), or nothing.
AUGMENTATIONS = ("shift-zoom", "pad-crop-flip", "none")

_EPOCH = [0]  # the pipelines' epoch; then the tf.Variable they read it from, made by the first pipeline (not at
# import, which would initialise TensorFlow's devices: see distribute.logical_cpus)


def _epoch_variable():
    if len(_EPOCH) == 1:
        with tf.init_scope(), tf.device("/cpu:0"):
            _EPOCH.append(tf.Variable(_EPOCH[0], dtype=tf.int64, trainable=False, name="pipeline_epoch"))
    return _EPOCH[1]


def set_epoch(epoch):
    """Make every training pipeline of ``make_datasets`` give the batches of ``epoch`` (counted from 0).

    ``training.train`` calls it at the start of every epoch, so that a run resumed at epoch k sees exactly the
    shuffles and augmentations an uninterrupted run sees at epoch k. Returns the epoch.
    """
    _EPOCH[0] = positive_int("epoch", epoch, minimum=0)
    if len(_EPOCH) == 2:
        _EPOCH[1].assign(_EPOCH[0])
    return _EPOCH[0]


def current_epoch():
    """The epoch whose batches the training pipelines give now (0 until ``set_epoch`` is called)."""
    return _EPOCH[0]


def _augmentation(augment):
    if augment is True or augment is False:
        return "shift-zoom" if augment else "none"
    return one_of("augment", augment, (True, False, *AUGMENTATIONS))


def _training_pipeline(x, y, batch_size, seed, shuffle, drop_remainder, augmentation, options):
    """Batches of epoch e: a permutation of the images from (seed, e), each batch augmented from (seed, e, batch)."""
    images, labels, n = tf.constant(x), tf.constant(y), len(y)
    epoch, root = _epoch_variable(), tf.constant([seed, 0], tf.int64)

    def order(_):
        e = epoch.read_value()
        indices = tf.range(n, dtype=tf.int64)
        if shuffle:
            key = tf.random.experimental.stateless_fold_in(tf.random.experimental.stateless_fold_in(root, 1), e)
            indices = tf.random.experimental.stateless_shuffle(indices, seed=key)
        return tf.data.Dataset.from_tensor_slices(indices).map(lambda i: (i, e))

    def batch(index, pair):
        indices, e = pair
        xs, ys = tf.gather(images, indices), tf.gather(labels, indices)
        if augmentation == "none":
            return xs, ys
        key = tf.random.experimental.stateless_fold_in(tf.random.experimental.stateless_fold_in(root, 2), e[0])
        key = tf.random.experimental.stateless_fold_in(key, index)
        if augmentation == "pad-crop-flip":
            return pad_crop_flip(xs, key), ys
        return augment(xs, key, **options), ys

    batches = n // batch_size if drop_remainder else -(-n // batch_size)
    train = tf.data.Dataset.range(1).flat_map(order).batch(batch_size, drop_remainder=bool(drop_remainder))
    train = train.enumerate().map(batch, num_parallel_calls=tf.data.AUTOTUNE)
    return train.apply(tf.data.experimental.assert_cardinality(batches))


_augment = augment  # make_datasets' argument named `augment` shadows the function


def make_datasets(
    splits, batch_size=64, augment=True, seed=0, *, shuffle=True, drop_remainder=True, translation=0.1, zoom=0.1
):
    """``(train_ds, val_ds, test_ds)``: batched, prefetched ``tf.data`` pipelines of ``splits``.

    The training set's batches are a function of (``seed``, epoch), the epoch being set by ``set_epoch`` (``train``
    sets it at the start of every epoch): every epoch a new permutation of the images (with ``shuffle``), and each
    batch transformed by ``augment`` (one of ``AUGMENTATIONS``; True is "shift-zoom", ``resnext_edu.data.augment``
    with ``translation`` and ``zoom``; False is "none"). A resumed run therefore sees the batches an uninterrupted
    one sees. With ``drop_remainder`` the last, partial batch is left out: every training step then has the same
    shape, so TensorFlow builds the training graph once instead of twice (seconds per model on a CPU), and the
    reshuffling leaves out different images each epoch. Validation and test sets are neither shuffled nor
    augmented, and keep every image.
    """
    if not isinstance(splits, Splits):
        raise ValueError(f"make_datasets needs the Splits of load_digits / load_cifar10 / load; got {splits!r}.")
    batch_size = positive_int("batch_size", batch_size)
    seed = _seed(seed)
    augmentation = _augmentation(augment)
    for name, value in (("translation", translation), ("zoom", zoom)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
            raise ValueError(f"{name} must be a number in [0, 1); got {value!r}.")
    if drop_remainder and len(splits.y_train) < batch_size:
        raise ValueError(
            f"batch_size {batch_size} is larger than the {len(splits.y_train)} training images: with "
            "drop_remainder=True every epoch would be empty; use a smaller batch or drop_remainder=False."
        )
    autotune = tf.data.AUTOTUNE
    options = tf.data.Options()  # several workers: each takes its share of every batch (no files to shard)
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    train = _training_pipeline(
        splits.x_train,
        splits.y_train,
        batch_size,
        seed,
        shuffle,
        drop_remainder,
        augmentation,
        dict(translation=translation, zoom=zoom),
    )
    evaluation = [
        tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size).prefetch(autotune).with_options(options)
        for x, y in ((splits.x_val, splits.y_val), (splits.x_test, splits.y_test))
    ]
    return (train.prefetch(autotune).with_options(options), *evaluation)


__all__ = [
    "CIFAR10_CLASSES",
    "DIGITS_CLASSES",
    "DATASETS",
    "Splits",
    "load_digits",
    "load_cifar10",
    "load",
    "augment",
    "pad_crop_flip",
    "AUGMENTATIONS",
    "set_epoch",
    "current_epoch",
    "make_datasets",
]
