"""Test-wide set-up, for the unit tests and for the chapters run under nbval.

- TensorFlow's C++ logs are silenced in this process and in every notebook kernel it starts (the
  kernels inherit this environment), before anything imports TensorFlow (GUIDE §5).
- Whatever still reaches stderr (absl, oneDNN, CUDA-probe lines) differs between machines: nbval
  compares stdout and displayed data, never stderr.
- triton (which torch imports lazily) is loaded before TensorFlow when it is installed: TensorFlow >= 2.20 loads its
  LLVM into the global symbol table, and a later `import triton` then crashes the process (tensorflow#124205).
- The chapters run in the reader's kernel `resnext-reader` (pyproject.toml; `make reader` creates it): a clear error
  if it is missing, rather than one failure per chapter.
"""

import importlib.util
import os

import pytest

READER_KERNEL = "resnext-reader"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
if importlib.util.find_spec("triton") is not None:
    import triton  # noqa: F401  (before TensorFlow; see above)


def pytest_configure(config):
    option = config.option
    if not (getattr(option, "nbval", False) or getattr(option, "nbval_lax", False)) or option.nbval_current_env:
        return
    if option.nbval_kernel_name == READER_KERNEL:
        from pathlib import Path

        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

        advice = "run `make reader` (`make test` does), or add --nbval-current-env to run the chapters in .venv instead"
        try:
            python = Path(KernelSpecManager().get_kernel_spec(READER_KERNEL).argv[0])
        except NoSuchKernel:
            raise pytest.UsageError(f"The reader's kernel '{READER_KERNEL}' is not installed: {advice}.") from None
        source = Path(__file__).parent / "resnext_edu"
        installed = next(python.parent.parent.glob("lib/python*/site-packages/resnext_edu"), None)
        stale = installed is None or any(
            not (installed / f.relative_to(source)).is_file()
            or (installed / f.relative_to(source)).read_bytes() != f.read_bytes()
            for f in source.rglob("*.py")
        )
        if stale:
            raise pytest.UsageError(f"The library changed since the reader's kernel installed its wheel: {advice}.")


def pytest_collectstart(collector):
    """Keep stderr out of nbval's comparison (streams are keyed by name: 'stdout' / 'stderr')."""
    skip = getattr(collector, "skip_compare", None)
    if skip is not None and "stderr" not in skip:
        collector.skip_compare = (*skip, "stderr")
