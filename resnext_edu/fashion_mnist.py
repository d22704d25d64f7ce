"""Fashion-MNIST's raw arrays (Xiao et al. 2017; MIT licence), from one of two sources, checked to be the real ones.

60,000 training and 10,000 test images of clothing, 28x28 grayscale (uint8), 10 balanced classes. Two sources give
the same arrays:

- ``"debian"``: Debian's package ``dataset-fashion-mnist`` (``apt-get install dataset-fashion-mnist``) installs the
  four IDX files (gzip) under ``/usr/share/datasets/fashion-mnist/``: offline once installed;
- ``"keras"``: ``keras.datasets.fashion_mnist.load_data()``, which downloads the same files (about 30 MB) into
  ``$KERAS_HOME/datasets/fashion-mnist/`` (``~/.keras``) once and reads them from there afterwards (Colab).

``"auto"`` takes the Debian files if they are there, else Keras. Whichever source, the decompressed arrays must match
``SHA256`` (and the shapes, dtypes and class counts), so a damaged or different file is a clear ``ValueError``; no
file and no network is a ``FashionMNISTUnavailable`` that names both ways to get it, raised within ``timeout``
seconds rather than after a long hang. ``resnext_edu.data.load_fashion_mnist`` turns the arrays into ``Splits``.
"""

import dataclasses
import gzip
import hashlib
import os
import socket
import zlib

import numpy as np

from resnext_edu._checks import one_of

#: The classes, in the order of their labels (Fashion-MNIST's README).
CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"
DEBIAN_PACKAGE = "dataset-fashion-mnist"
SOURCES = ("auto", "debian", "keras")

#: The four IDX files, by the array each holds.
FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}
SHAPES = {"x_train": (60000, 28, 28), "y_train": (60000,), "x_test": (10000, 28, 28), "y_test": (10000,)}

#: SHA-256 of each decompressed array's bytes (uint8, C order, without the IDX header). The gzip files differ between
#: sources (Debian recompressed them); the arrays do not: the decompressed IDX files have the MD5 sums that others
#: publish for Zalando's originals (train images f4a8712d..., test images 8181f547...).
SHA256 = {
    "x_train": "2e487a6c89124f78f2d7521542223cafe96f7123c3ca13d447772ac6ecbb3012",
    "y_train": "657fbd221bfc9f4198cc14b5619cc33ec57c58dd0e47af4d99d6650759e869a7",
    "x_test": "c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a",
    "y_test": "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9",
}

HOW_TO_GET_IT = (
    f"Two ways to get it: (1) on Debian or Ubuntu, `sudo apt-get install {DEBIAN_PACKAGE}` puts the files under "
    f"{DEBIAN_DIR}/ and nothing is downloaded afterwards; (2) with internet access (Colab, a laptop), "
    "`keras.datasets.fashion_mnist.load_data()` downloads them (about 30 MB) into ~/.keras/datasets/fashion-mnist/ "
    "($KERAS_HOME if set), where this loader finds them next time."
)


class FashionMNISTUnavailable(OSError):
    """Neither source has Fashion-MNIST here: no Debian files, and Keras could not download it."""


@dataclasses.dataclass(frozen=True, eq=False)
class Arrays:
    """Fashion-MNIST as stored: uint8 images ``(N, 28, 28)``, uint8 labels ``(N,)``, and where they came from."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str  # "debian (/usr/share/datasets/fashion-mnist)" or "keras (keras.datasets.fashion_mnist)"


def _fix(source, directory):
    if source == "debian":
        return (
            f"reinstall the package (`sudo apt-get install --reinstall {DEBIAN_PACKAGE}`), or pass the folder "
            f"of intact files as directory= (now {directory})"
        )
    return "delete ~/.keras/datasets/fashion-mnist/ ($KERAS_HOME/datasets/... if set) so that Keras downloads it again"


def _damaged(source, directory, what):
    fix = _fix(source, directory)
    return ValueError(f"Fashion-MNIST from {source} is damaged or not the real data set: {what}. To fix it: {fix}.")


def read_idx(path):
    """The array in one gzip-compressed IDX file (unsigned bytes): its header gives the shape. ``ValueError`` if the
    file is damaged (truncated, not gzip, a wrong header or length)."""
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as err:  # gzip.BadGzipFile is an OSError
        raise ValueError(f"{path} cannot be decompressed ({type(err).__name__}: {err})") from None
    if len(raw) < 4 or raw[:3] != b"\x00\x00\x08":
        raise ValueError(f"{path} is not an IDX file of unsigned bytes (header {raw[:4].hex() or 'empty'})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if len(raw) != header + int(np.prod(shape)):
        raise ValueError(f"{path} holds {len(raw) - header} bytes of data where its header announces {shape}")
    return np.frombuffer(raw, np.uint8, offset=header).reshape(shape)


def check(arrays, source, directory=DEBIAN_DIR):
    """``arrays`` (a dict of the four arrays) if they are Fashion-MNIST: shapes, dtypes, 6,000 / 1,000 images per
    class, and ``SHA256``. Otherwise a ``ValueError`` that names the source and how to repair it."""
    for name, shape in SHAPES.items():
        a = np.asarray(arrays[name])
        if a.dtype != np.uint8 or a.shape != shape:
            raise _damaged(source, directory, f"{name} is {a.dtype} {a.shape}, expected uint8 {shape}")
    for name in ("y_train", "y_test"):
        counts = np.bincount(arrays[name], minlength=len(CLASSES))
        expected = len(arrays[name]) // len(CLASSES)
        if len(counts) != len(CLASSES) or not np.all(counts == expected):
            raise _damaged(source, directory, f"{name} has {counts.tolist()} images per class, expected {expected}")
    for name, digest in SHA256.items():
        if hashlib.sha256(np.ascontiguousarray(arrays[name]).tobytes()).hexdigest() != digest:
            raise _damaged(source, directory, f"the SHA-256 of {name} is not the recorded one")
    return arrays


def _from_debian(directory):
    arrays = {}
    for name, file in FILES.items():
        try:
            arrays[name] = read_idx(os.path.join(directory, file))
        except ValueError as err:
            raise _damaged("debian", directory, str(err)) from None
    return arrays


def _from_keras(timeout):
    import keras

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)  # urllib's download: give up on a silent network instead of hanging
    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
    except Exception as err:
        text = f"{type(err).__name__}: {err}"
        if isinstance(err, (EOFError, zlib.error, gzip.BadGzipFile, ValueError)):  # a cached file is damaged
            raise _damaged("keras", None, text) from None
        raise FashionMNISTUnavailable(
            f"Fashion-MNIST is not on this machine: no Debian files in {DEBIAN_DIR}, and Keras could not download "
            f"it ({text}). {HOW_TO_GET_IT}"
        ) from None
    finally:
        socket.setdefaulttimeout(previous)
    return dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)


def has_debian_files(directory=DEBIAN_DIR):
    """Whether the four files of Debian's package are in ``directory``."""
    return all(os.path.isfile(os.path.join(directory, f)) for f in FILES.values())


def load_arrays(source="auto", directory=DEBIAN_DIR, *, timeout=20):
    """Fashion-MNIST as ``Arrays``, from ``source`` ("auto", "debian" or "keras"), checked against ``SHA256``.

    ``directory``: where the Debian files are (the package's folder by default). ``timeout``: seconds Keras' download
    may wait on the network before giving up.
    """
    one_of("source", source, SOURCES)
    if not isinstance(directory, (str, os.PathLike)):
        raise ValueError(f"directory must be a folder's path; got {directory!r}.")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout must be a number of seconds > 0; got {timeout!r}.")
    directory = os.fspath(directory)
    if source == "debian" and not has_debian_files(directory):
        raise FashionMNISTUnavailable(f"Fashion-MNIST's files are not in {directory}. {HOW_TO_GET_IT}")
    if source == "debian" or (source == "auto" and has_debian_files(directory)):
        arrays, origin = check(_from_debian(directory), "debian", directory), f"debian ({directory})"
    else:
        arrays, origin = check(_from_keras(timeout), "keras"), "keras (keras.datasets.fashion_mnist)"
    return Arrays(**arrays, source=origin)


__all__ = [
    "CLASSES",
    "DEBIAN_DIR",
    "DEBIAN_PACKAGE",
    "SOURCES",
    "FILES",
    "SHAPES",
    "SHA256",
    "HOW_TO_GET_IT",
    "FashionMNISTUnavailable",
    "Arrays",
    "read_idx",
    "check",
    "has_debian_files",
    "load_arrays",
]
