"""resnext_edu.data: the digits and CIFAR-10 splits, and their tf.data pipelines."""

import numpy as np
import pytest

from resnext_edu import data


@pytest.fixture(scope="module")
def digits():
    return data.load_digits()


def cifar_fixture(n_train=60, n_test=20, labels_2d=True, seed=0):
    """A stand-in for keras.datasets.cifar10.load_data: CIFAR's shapes and dtypes, a few images."""
    rng = np.random.default_rng(seed)

    def part(n):
        x = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
        y = (np.arange(n) % 10).astype(np.uint8)
        return x, (y[:, None] if labels_2d else y)

    parts = part(n_train), part(n_test)
    return lambda: parts


def test_digits_sizes_shapes_dtypes_and_ranges(digits):
    assert digits.sizes() == {"train": 1257, "validation": 270, "test": 270}
    assert digits.image_shape == (32, 32, 3) and digits.num_classes == 10 and digits.name == "digits"
    for x, y in ((digits.x_train, digits.y_train), (digits.x_val, digits.y_val), (digits.x_test, digits.y_test)):
        assert x.dtype == np.float32 and y.dtype == np.int32
        assert x.min() == 0.0 and x.max() <= 1.0 and x.max() > 0.9
        assert set(np.unique(y)) == set(range(10))
        assert np.array_equal(x[..., 0], x[..., 1]) and np.array_equal(x[..., 0], x[..., 2])  # gray, 3 copies
    assert repr(digits) == "Splits('digits', train=1257, validation=270, test=270, image_shape=(32, 32, 3), classes=10)"


def test_digits_are_the_scikit_learn_images_partitioned():
    """At 8x8 the resize is the identity: the three splits together are exactly sklearn's images / 16."""
    from sklearn.datasets import load_digits

    original = load_digits()
    s = data.load_digits(image_size=8, channels=1)
    images = np.concatenate([s.x_train, s.x_val, s.x_test])[..., 0]
    labels = np.concatenate([s.y_train, s.y_val, s.y_test])
    expected = (original.images / 16).astype("float32")

    def key(x, y):
        order = np.lexsort(np.c_[x.reshape(len(x), -1), y].T)
        return x[order], y[order]

    got, want = key(images, labels), key(expected, original.target)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])


def test_digits_options():
    s = data.load_digits(image_size=16, channels=1, validation=0.1, test=0.2)
    assert s.image_shape == (16, 16, 1)
    assert s.sizes()["test"] == 360 and sum(s.sizes().values()) == 1797


def test_digits_split_is_deterministic_and_stratified(digits):
    again, other = data.load_digits(seed=0), data.load_digits(seed=1)
    assert np.array_equal(again.y_train, digits.y_train) and np.array_equal(again.x_test, digits.x_test)
    assert not np.array_equal(other.y_train, digits.y_train)
    totals = np.bincount(np.concatenate([digits.y_train, digits.y_val, digits.y_test]))
    for y, fraction in ((digits.y_train, 0.7), (digits.y_val, 0.15), (digits.y_test, 0.15)):
        assert np.all(np.abs(np.bincount(y, minlength=10) - fraction * totals) <= 1.5)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(image_size=0),
        dict(image_size=2.5),
        dict(channels=2),
        dict(seed=-1),
        dict(seed=True),
        dict(validation=0),
        dict(test=1.0),
        dict(validation=0.5, test=0.5),
        dict(validation="0.1"),
    ],
)
def test_digits_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        data.load_digits(**kwargs)


@pytest.mark.parametrize("labels_2d", [True, False])
def test_cifar10_on_a_fixture(labels_2d):
    loader = cifar_fixture(labels_2d=labels_2d)
    (x_train, y_train), (x_test, _) = loader()
    s = data.load_cifar10(loader=loader, validation=20, seed=0)
    assert s.name == "cifar10" and s.class_names == data.CIFAR10_CLASSES and s.image_shape == (32, 32, 3)
    assert s.sizes() == {"train": 40, "validation": 20, "test": 20}
    assert s.x_train.dtype == np.float32 and s.y_train.dtype == np.int32 and s.y_test.shape == (20,)
    assert 0.0 <= s.x_train.min() and s.x_train.max() <= 1.0
    assert np.array_equal(s.x_test, x_test / np.float32(255))
    assert np.array_equal(np.bincount(s.y_val), [2] * 10)  # stratified: 2 of each class's 6
    train_and_val = np.concatenate([s.x_train, s.x_val]) * 255
    assert np.allclose(np.sort(train_and_val.ravel()), np.sort(x_train.ravel().astype("float32")), atol=1e-3)
    again = data.load_cifar10(loader=loader, validation=20, seed=0)
    assert np.array_equal(again.y_train, s.y_train) and np.array_equal(again.x_val, s.x_val)


def test_cifar10_bad_inputs():
    good = cifar_fixture()
    (x, y), test = good()
    with pytest.raises(ValueError, match="uint8"):
        data.load_cifar10(loader=lambda: ((x.astype("float32"), y), test), validation=20)
    with pytest.raises(ValueError, match="labels"):
        data.load_cifar10(loader=lambda: ((x, y[:-1]), test), validation=20)
    with pytest.raises(ValueError, match="labels"):
        data.load_cifar10(loader=lambda: ((x, y + 10), test), validation=20)
    for validation in (0, 5, 55, 1.5):
        with pytest.raises(ValueError, match="validation"):
            data.load_cifar10(loader=good, validation=validation)


def test_load_dispatches_by_name():
    assert data.load("digits", image_size=16).image_shape == (16, 16, 3)
    assert data.load("cifar10", loader=cifar_fixture(), validation=10).sizes()["validation"] == 10
    with pytest.raises(ValueError, match="'digits', 'cifar10'"):
        data.load("mnist")


def test_make_datasets_batches_every_image_once(digits):
    train, val, test = data.make_datasets(digits, batch_size=100, seed=0, drop_remainder=False)
    batches = list(train)
    assert len(batches) == 13 == int(train.cardinality())
    assert [int(x.shape[0]) for x, _ in batches] == [100] * 12 + [57]
    assert batches[0][0].shape[1:] == (32, 32, 3) and batches[0][0].dtype.name == "float32"
    labels = np.concatenate([y.numpy() for _, y in batches])
    assert np.array_equal(np.sort(labels), np.sort(digits.y_train))
    assert not np.array_equal(labels, digits.y_train)  # shuffled
    train = data.make_datasets(digits, batch_size=100, seed=0)[0]  # by default, full batches only
    assert train.element_spec[0].shape.as_list() == [100, 32, 32, 3] and int(train.cardinality()) == 12
    first, again = (np.concatenate([y.numpy() for _, y in train]) for _ in range(2))
    assert np.array_equal(first, again)  # one epoch, two passes: the same batches (a function of seed and epoch)
    data.set_epoch(1)
    second = np.concatenate([y.numpy() for _, y in train])
    data.set_epoch(0)
    assert len(first) == 1200 and not np.array_equal(np.sort(first), np.sort(second))  # other images left out
    for ds, x, y in ((val, digits.x_val, digits.y_val), (test, digits.x_test, digits.y_test)):
        xs, ys = zip(*((a.numpy(), b.numpy()) for a, b in ds))
        assert np.array_equal(np.concatenate(xs), x) and np.array_equal(np.concatenate(ys), y)  # in order, as is


def test_training_pipeline_is_seeded(digits):
    import keras

    def first_batch(seed):
        keras.utils.set_random_seed(0)
        x, y = next(iter(data.make_datasets(digits, batch_size=32, seed=seed)[0]))
        return x.numpy(), y.numpy()

    a, b, c = first_batch(0), first_batch(0), first_batch(1)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])


def test_augmentation_keeps_shapes_and_changes_pixels(digits):
    plain = next(iter(data.make_datasets(digits, batch_size=32, augment=False, shuffle=False)[0]))
    augmented = next(iter(data.make_datasets(digits, batch_size=32, augment=True, shuffle=False)[0]))
    assert augmented[0].shape == plain[0].shape == (32, 32, 32, 3)
    assert np.array_equal(augmented[1], plain[1]) and np.array_equal(plain[0], digits.x_train[:32])
    changed = np.abs(augmented[0].numpy() - plain[0].numpy()).reshape(32, -1).max(axis=1)
    assert np.all(changed > 0.05)
    assert 0.0 <= float(np.min(augmented[0])) and float(np.max(augmented[0])) <= 1.0 + 1e-6


def test_augment_is_stateless(digits):
    x = digits.x_train[:8]
    a, b, c = (data.augment(x, seed).numpy() for seed in ([1, 2], [1, 2], [3, 4]))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.allclose(data.augment(x, [1, 2], translation=0.0, zoom=0.0), x, atol=1e-6)  # identity
    # shifts and zooms by a few pixels, never a flip: a dot near the left edge stays near it
    dot = np.zeros((16, 32, 32, 1), "float32")
    dot[:, 16, 4] = 1.0
    moved = data.augment(dot, [5, 6]).numpy()[..., 0]
    columns = np.array([np.unravel_index(np.argmax(m), m.shape)[1] for m in moved])
    assert np.all(columns <= 4 + 6) and len(set(columns)) > 1  # 10 % of 32 px shift, 10 % zoom; mirror: 27


@pytest.mark.parametrize(
    "kwargs", [dict(batch_size=0), dict(seed=-1), dict(zoom=1.5), dict(translation=-0.1), dict(zoom=True)]
)
def test_make_datasets_bad_arguments(digits, kwargs):
    with pytest.raises(ValueError):
        data.make_datasets(digits, **kwargs)
    with pytest.raises(ValueError, match="Splits"):
        data.make_datasets((digits.x_train, digits.y_train))


def test_pad_crop_flip_crops_the_padded_image_and_sometimes_mirrors_it(digits):
    x = digits.x_train[:16]
    out = data.pad_crop_flip(x, [1, 2]).numpy()
    assert out.shape == x.shape and out.dtype == x.dtype
    assert np.array_equal(out, data.pad_crop_flip(x, [1, 2]).numpy())  # stateless
    padded = np.pad(x, ((0, 0), (4, 4), (4, 4), (0, 0)))
    flips = []
    for image, source in zip(out, padded):
        found = [
            (dy, dx, flip)
            for dy in range(9)
            for dx in range(9)
            for flip in (False, True)
            if np.array_equal(
                image, source[dy : dy + 32, dx : dx + 32][:, ::-1] if flip else source[dy : dy + 32, dx : dx + 32]
            )
        ]
        assert found, "every output is a 32x32 window of the padded image, mirrored or not"
        flips.append(found[0][2])
    assert 0 < sum(flips) < len(flips)
    unpadded = data.pad_crop_flip(x, [3, 4], padding=0).numpy()  # no room to move: each image as is, or mirrored
    assert all(np.array_equal(o, i) or np.array_equal(o, i[:, ::-1]) for o, i in zip(unpadded, x))


def test_the_pipeline_epoch_drives_augmentation_too(digits):
    for augment in (True, "pad-crop-flip"):
        train = data.make_datasets(digits, batch_size=64, augment=augment, shuffle=False)[0]
        data.set_epoch(0)
        a = next(iter(train))
        data.set_epoch(1)
        b = next(iter(train))
        data.set_epoch(0)
        assert np.array_equal(a[1], b[1]) and not np.array_equal(a[0], b[0])  # same images, other augmentation
        assert np.array_equal(a[0], next(iter(train))[0])
    with pytest.raises(ValueError, match="epoch"):
        data.set_epoch(-1)


@pytest.mark.parametrize("seed", [5, [1], [1, 2, 3], ["a", "b"], [1.5, 2], None])
def test_augment_needs_a_pair_of_integers(digits, seed):
    for function in (data.augment, data.pad_crop_flip):
        with pytest.raises(ValueError, match="seed must be a pair of integers"):
            function(digits.x_train[:2], seed)
    with pytest.raises(ValueError, match="images"):
        data.augment(digits.y_train[:2], [1, 2])
    assert data.augment(digits.x_train[:2], np.array([1, 2], dtype=np.int64)).shape == (2, 32, 32, 3)


def test_make_datasets_refuses_an_augmentation_it_does_not_know(digits):
    with pytest.raises(ValueError, match="pad-crop-flip"):
        data.make_datasets(digits, augment="flip")
    with pytest.raises(ValueError, match="batch_size"):
        data.make_datasets(digits, batch_size=5000)
    assert int(data.make_datasets(digits, batch_size=5000, drop_remainder=False)[0].cardinality()) == 1


@pytest.mark.parametrize(
    "kwargs, match", [(dict(validation=0.001), "validation=0.001"), (dict(test=0.001), "test=0.001")]
)
def test_digits_splits_too_small_for_every_class(kwargs, match):
    with pytest.raises(ValueError, match=match + " holds out 2 of the 1,797 images, fewer than one per class"):
        data.load_digits(**kwargs)


def test_cifar10_bad_loaders():
    wanted = r"loader must be a function returning \(\(x_train, y_train\), \(x_test, y_test\)\)"
    for loader, match in (
        ("/data/cifar-10-batches-py", wanted + ".*a path"),
        (5, wanted),
        (lambda: 5, wanted + ".*it returned int"),
        (lambda: ((1, 2, 3), (4, 5)), wanted),
        (
            lambda: open("/nonexistent/cifar-10/data_batch_1", "rb"),
            "the CIFAR-10 loader '<lambda>' failed: .*No such file",
        ),
    ):
        with pytest.raises(ValueError, match=match):
            data.load_cifar10(loader=loader)
