"""resnext_edu.fashion_mnist and data.load_fashion_mnist: one loader, two sources (Debian's files, Keras' cache),
the same checked arrays; damaged files and a missing data set are clear errors. Offline: Keras reads a cache made
from the Debian files, and any download it attempts goes to a closed port."""

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from resnext_edu import data
from resnext_edu import fashion_mnist as fm


@pytest.fixture(scope="module")
def arrays(fashion_mnist_dir):
    return fm.load_arrays("debian", fashion_mnist_dir)


@pytest.fixture(scope="module")
def splits(fashion_mnist_dir):
    return data.load_fashion_mnist()


def copy_files(source, target):
    target.mkdir(parents=True, exist_ok=True)
    for name in fm.FILES.values():
        shutil.copyfile(source / name, target / name)
    return target


def test_debian_files_are_fashion_mnist(arrays, fashion_mnist_dir):
    assert arrays.source == f"debian ({fashion_mnist_dir})"
    for name, shape in fm.SHAPES.items():
        a = getattr(arrays, name)
        assert a.dtype == np.uint8 and a.shape == shape
        assert hashlib.sha256(a.tobytes()).hexdigest() == fm.SHA256[name]
    assert np.bincount(arrays.y_train).tolist() == [6000] * 10 and np.bincount(arrays.y_test).tolist() == [1000] * 10
    assert arrays.y_train[:3].tolist() == [9, 0, 0]  # ankle boot, T-shirt/top, T-shirt/top: the data set's first images


def test_splits_partition_the_training_set_and_keep_the_test_set(splits, arrays):
    assert repr(splits) == (
        "Splits('fashion_mnist', train=55000, validation=5000, test=10000, image_shape=(28, 28, 1), classes=10)"
    )
    assert splits.class_names == fm.CLASSES and splits.class_names[9] == "Ankle boot"
    for x, y in ((splits.x_train, splits.y_train), (splits.x_val, splits.y_val), (splits.x_test, splits.y_test)):
        assert x.dtype == np.float32 and y.dtype == np.int32 and x.min() == 0.0 and x.max() == 1.0
    assert np.bincount(splits.y_val).tolist() == [500] * 10  # stratified
    assert np.array_equal(splits.x_test[..., 0], arrays.x_test / np.float32(255)) and np.array_equal(
        splits.y_test, arrays.y_test
    )
    # train + validation are the 60,000 training images, each once (compared by a fingerprint of each image)
    weights = np.random.default_rng(0).integers(1, 2**20, 28 * 28)
    pixels = np.rint(np.concatenate([splits.x_train, splits.x_val]) * 255).astype(np.int64).reshape(60000, -1)
    originals = arrays.x_train.reshape(60000, -1).astype(np.int64)
    assert np.array_equal(np.sort(pixels @ weights), np.sort(originals @ weights))


def test_options_and_subset(splits):
    s = data.load_fashion_mnist(channels=3, validation=1000, seed=1)
    assert s.image_shape == (28, 28, 3) and s.sizes() == {"train": 59000, "validation": 1000, "test": 10000}
    assert np.array_equal(s.x_train[..., 0], s.x_train[..., 2])
    assert data.DATASETS["fashion_mnist"] is data.load_fashion_mnist
    small = data.subset(splits, train=1000, validation=200, test=500, seed=3)
    assert small.sizes() == {"train": 1000, "validation": 200, "test": 500} and small.name == "fashion_mnist"
    assert np.bincount(small.y_train).tolist() == [100] * 10 and np.bincount(small.y_test).tolist() == [50] * 10
    again = data.subset(splits, train=1000, validation=200, test=500, seed=3)
    assert np.array_equal(small.x_train, again.x_train)  # the same seed, the same images
    assert data.subset(splits, train=1000).sizes()["test"] == 10000  # None keeps a split whole


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: fm.load_arrays("web"), "source must be one of 'auto', 'debian', 'keras'"),
        (lambda: fm.load_arrays(timeout=0), "timeout must be"),
        (lambda: data.load_fashion_mnist(channels=2), "channels must be one of 1, 3"),
        (lambda: data.load_fashion_mnist(validation=5), "validation must hold between 10 and 59990"),
        (lambda: data.subset("splits"), "subset needs the Splits"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_subset_sizes_are_checked(splits):
    with pytest.raises(ValueError, match="test must be None"):
        data.subset(splits, test=5)
    with pytest.raises(ValueError, match="train must be a whole number"):
        data.subset(splits, train=0.5)


def test_missing_debian_files_name_both_ways(tmp_path):
    with pytest.raises(fm.FashionMNISTUnavailable) as err:
        fm.load_arrays("debian", tmp_path)
    assert "apt-get install dataset-fashion-mnist" in str(err.value)
    assert "keras.datasets.fashion_mnist.load_data()" in str(err.value)


def rewrite(path, change):
    """Decompress an IDX file, change its bytes, compress it again."""
    raw = bytearray(gzip.decompress(path.read_bytes()))
    path.write_bytes(gzip.compress(bytes(change(raw)), compresslevel=1))


@pytest.mark.parametrize(
    "file, damage, message",
    [
        ("train-images-idx3-ubyte.gz", lambda p: p.write_bytes(p.read_bytes()[:100000]), "cannot be decompressed"),
        ("t10k-labels-idx1-ubyte.gz", lambda p: p.write_bytes(b"not gzip"), "cannot be decompressed"),
        ("t10k-images-idx3-ubyte.gz", lambda p: rewrite(p, lambda r: r[:-28]), "bytes of data where its header"),
        ("t10k-images-idx3-ubyte.gz", lambda p: rewrite(p, lambda r: b"\x00\x00\x09" + r[3:]), "not an IDX file"),
        ("train-labels-idx1-ubyte.gz", lambda p: rewrite(p, lambda r: r[:8] + bytes([r[8] ^ 1]) + r[9:]), "per class"),
        ("t10k-images-idx3-ubyte.gz", lambda p: rewrite(p, lambda r: r[:-1] + bytes([r[-1] ^ 1])), "SHA-256 of x_test"),
    ],
)
def test_a_damaged_debian_file_is_a_clear_error(fashion_mnist_dir, tmp_path, file, damage, message):
    folder = copy_files(fashion_mnist_dir, tmp_path / "fm")
    damage(folder / file)
    with pytest.raises(ValueError, match=message) as err:
        fm.load_arrays("auto", folder)
    assert "damaged" in str(err.value) and "apt-get install --reinstall dataset-fashion-mnist" in str(err.value)


KERAS_SCRIPT = """
import json, os, sys
from resnext_edu import fashion_mnist as fm
empty, cache = sys.argv[1], sys.argv[2]
out = {}
def attempt(key, source):
    try:
        out[key] = fm.load_arrays(source, empty).source
    except Exception as err:
        out[key] = f"{type(err).__name__}: {err}"
attempt("keras", "keras")
attempt("auto", "auto")  # no Debian files in `empty`: Keras' cache
images = os.path.join(cache, "t10k-images-idx3-ubyte.gz")
with open(images, "rb") as f:
    data = f.read()
with open(images, "wb") as f:
    f.write(data[: len(data) // 2])
attempt("damaged", "auto")
for name in os.listdir(cache):
    os.remove(os.path.join(cache, name))
attempt("offline", "auto")  # Keras tries to download: the proxy is a closed port
print(json.dumps(out))
"""


@pytest.mark.slow  # starts a process that imports Keras
def test_the_keras_source_reads_its_cache_and_fails_clearly(fashion_mnist_dir, tmp_path):
    """The real keras.datasets.fashion_mnist.load_data, in a process whose KERAS_HOME holds a cache made from the
    Debian files: the same checked arrays; then a damaged cache file; then no cache and no network."""
    cache = copy_files(fashion_mnist_dir, tmp_path / "keras" / "datasets" / "fashion-mnist")
    (tmp_path / "empty").mkdir()
    closed = "http://127.0.0.1:9"  # the discard port: nothing listens, the connection is refused at once
    env = {
        **os.environ,
        "KERAS_HOME": str(tmp_path / "keras"),
        "http_proxy": closed,
        "https_proxy": closed,
        "HTTP_PROXY": closed,
        "HTTPS_PROXY": closed,
        "no_proxy": "",
        "NO_PROXY": "",
    }
    result = subprocess.run(
        [sys.executable, "-c", KERAS_SCRIPT, str(tmp_path / "empty"), str(cache)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["keras"] == out["auto"] == "keras (keras.datasets.fashion_mnist)"
    assert out["damaged"].startswith("ValueError: Fashion-MNIST from keras is damaged")
    assert "delete ~/.keras/datasets/fashion-mnist/" in out["damaged"]
    assert out["offline"].startswith("FashionMNISTUnavailable: Fashion-MNIST is not on this machine")
    assert "apt-get install dataset-fashion-mnist" in out["offline"] and "load_data()" in out["offline"]
