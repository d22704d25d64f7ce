"""Test-wide set-up, for the unit tests and for the chapters run under nbval.

- TensorFlow's C++ logs are silenced in this process and in every notebook kernel it starts (the
  kernels inherit this environment), before anything imports TensorFlow.
- Whatever still reaches stderr (absl, oneDNN, CUDA-probe lines) differs between machines: nbval
  compares stdout and displayed data, never stderr.
- triton (which torch imports lazily) is loaded before TensorFlow when it is installed: TensorFlow >= 2.20 loads its
  LLVM into the global symbol table, and a later `import triton` then crashes the process (tensorflow#124205).
- The chapters run in the reader's kernel `resnext-reader` (pyproject.toml; `make reader` creates it): a clear error
  if it is missing, rather than one failure per chapter.
"""

import importlib.util
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "tools"))
import notebooks  # noqa: E402  (tools/notebooks.py: the reader's kernel and its environment, one definition)

for _name, _value in notebooks.KERNEL_ENV.items():
    os.environ.setdefault(_name, _value)
if importlib.util.find_spec("triton") is not None:
    import triton  # noqa: F401  (before TensorFlow; see above)


def pytest_configure(config):
    option = config.option
    if not (getattr(option, "nbval", False) or getattr(option, "nbval_lax", False)) or option.nbval_current_env:
        return
    if option.nbval_kernel_name == notebooks.READER_KERNEL:
        problem = notebooks.reader_kernel_problem()
        if problem:
            raise pytest.UsageError(f"{problem} Or add --nbval-current-env to run the chapters in .venv instead.")


def pytest_collectstart(collector):
    """Keep stderr out of nbval's comparison (streams are keyed by name: 'stdout' / 'stderr')."""
    skip = getattr(collector, "skip_compare", None)
    if skip is not None and "stderr" not in skip:
        collector.skip_compare = (*skip, "stderr")
