"""The real images the tests and chapters use, offline: Debian's package `dataset-fashion-mnist`.

    python tools/datasets.py       # exit 0 if Fashion-MNIST's files are there (installing them first if root)

Found, or installed with apt-get where this runs as root (as CI does: it reaches Debian's package registry and no
other host); otherwise exit 1 with the ways to get it. `make test` and `make notebooks` run it first, and the tests
that need the files call `ensure()` (tests/conftest.py). A lock file keeps two test processes from running apt-get
at once. It needs nothing but the standard library.
"""

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGE = "dataset-fashion-mnist"
DIRECTORY = Path("/usr/share/datasets/fashion-mnist")
FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
ADVICE = (
    f"Fashion-MNIST's files are not in {DIRECTORY}: `sudo apt-get install {PACKAGE}` installs them (the tests and "
    "`make test` do it themselves when run as root, as CI is)."
)


def present():
    return all((DIRECTORY / f).is_file() for f in FILES)


def _apt(*args):
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(["apt-get", *args], capture_output=True, text=True, env=env, timeout=900)


def ensure():
    """None if the files are there (after installing them where we may); else the message saying how to get them."""
    if present():
        return None
    if not (hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get")):
        return ADVICE
    with open(Path(tempfile.gettempdir()) / f"{PACKAGE}.install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be installing it right now
        if present():
            return None
        result = _apt("install", "-y", "--no-install-recommends", PACKAGE)
        if result.returncode != 0:  # an empty or stale package list: update it, then try again
            _apt("update")
            result = _apt("install", "-y", "--no-install-recommends", PACKAGE)
        if result.returncode != 0 or not present():
            return f"apt-get install {PACKAGE} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}\n{ADVICE}"
    return None


def main():
    problem = ensure()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    print(f"Fashion-MNIST: {DIRECTORY}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
