"""Test-wide set-up, for the unit tests and for the chapters run under nbval.

- TensorFlow's C++ logs are silenced in this process and in every notebook kernel it starts (the
  kernels inherit this environment), before anything imports TensorFlow (GUIDE §5).
- Whatever still reaches stderr (absl, oneDNN, CUDA-probe lines) differs between machines: nbval
  compares stdout and displayed data, never stderr.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def pytest_collectstart(collector):
    """Keep stderr out of nbval's comparison (streams are keyed by name: 'stdout' / 'stderr')."""
    skip = getattr(collector, "skip_compare", None)
    if skip is not None and "stderr" not in skip:
        collector.skip_compare = (*skip, "stderr")
