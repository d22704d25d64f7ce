"""Fixtures shared by the book's tests (tests/test_book.py, tests/test_site.py): one build of the book a session."""

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Build:
    returncode: int
    log: str
    html: Path


@pytest.fixture(scope="session")
def built_book():
    """The book built once per session into _build/html, as `make book` does but from scratch (`--all`: an
    incremental build does not repeat the warnings of unchanged pages), warnings as errors, references nit-picky."""
    jb = shutil.which("jupyter-book", path=str(Path(sys.executable).parent))
    assert jb, "jupyter-book is installed by requirements-dev.txt"
    shutil.rmtree(ROOT / "_build" / "html", ignore_errors=True)  # no page of a removed chapter survives
    result = subprocess.run(
        [jb, "build", str(ROOT), "--all", "--warningiserror", "--nitpick", "--keep-going"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    return Build(result.returncode, result.stdout[-6000:] + result.stderr[-6000:], ROOT / "_build" / "html")


def _tool(name):
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"tools_{name}", ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def fashion_mnist_dir():
    """Debian's Fashion-MNIST files (tools/datasets.py): found, or installed with apt-get where the tests run as root
    (CI); else the tests that need them fail, saying how to get them."""
    datasets = _tool("datasets")
    problem = datasets.ensure()
    if problem:
        pytest.fail(problem)
    return datasets.DIRECTORY
