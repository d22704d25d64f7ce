"""Training pipelines (``tf.data``) of ``data.Splits``: every batch a function of (seed, epoch), and augmentations.

- ``make_datasets``: ``(train_ds, val_ds, test_ds)``, batched and prefetched. The training set's batches are a
  function of (seed, epoch): each epoch a permutation of the images drawn from (seed, epoch), each batch augmented
  from (seed, epoch, batch). ``set_epoch`` sets the epoch every such pipeline gives (``training.train`` does, at the
  start of every epoch), so that a run resumed at epoch k sees exactly the batches an uninterrupted run sees there.
- ``augment``: random shifts and zooms (the default; never flips: a mirrored digit is another glyph);
  ``pad_crop_flip``: the paper's CIFAR augmentation. Both stateless: a pair of integers seeds them.
"""

import numbers

import numpy as np
import tensorflow as tf

from resnext_edu._checks import one_of, positive_int


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
    from resnext_edu.data import Splits

    if not isinstance(splits, Splits):
        raise ValueError(f"make_datasets needs the Splits of load_digits / load_cifar10 / load; got {splits!r}.")
    batch_size = positive_int("batch_size", batch_size)
    seed = positive_int("seed", seed, minimum=0)
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


__all__ = ["AUGMENTATIONS", "augment", "pad_crop_flip", "set_epoch", "current_epoch", "make_datasets"]
