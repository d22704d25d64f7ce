"""Fixtures shared by the tests.

- ``book``: the book's settings (``tools/notebooks.py``'s ``Book``: repository, version, chapters in order).
- ``chapter``: a test that takes it runs once per chapter (its notebook's path), in table-of-contents order.
- ``built_book``: one build of the book a test run (shared by pytest-xdist's processes), as `make book` does but from
  scratch.
"""

import fcntl
import json
import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import notebooks  # noqa: E402  (tools/notebooks.py)

BOOK = notebooks.settings()


def pytest_generate_tests(metafunc):
    if "chapter" in metafunc.fixturenames:
        metafunc.parametrize("chapter", BOOK.chapters, ids=lambda path: path.stem)


@pytest.fixture(scope="session")
def book():
    return BOOK


@dataclass
class Build:
    returncode: int
    log: str
    html: Path


@pytest.fixture(scope="session")
def built_book():
    """The book built once per test run into _build/html, as `make book` does but from scratch (`--all`: an
    incremental build does not repeat the warnings of unchanged pages), warnings as errors, references nit-picky.

    Under pytest-xdist several processes of one run ask for it (test_book, test_site, test_site_a11y...): the first
    builds while holding a lock on _build/.build.lock and records the result for the run (PYTEST_XDIST_TESTRUNUID,
    shared by the run's processes); the others wait, then read it, instead of building into the same folder at once."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex
    build, html = ROOT / "_build", ROOT / "_build" / "html"
    build.mkdir(exist_ok=True)
    record = build / ".build-result.json"
    with open(build / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if record.exists() and (done := json.loads(record.read_text()))["run"] == run:
            return Build(done["returncode"], done["log"], html)
        record.unlink(missing_ok=True)
        jb = shutil.which("jupyter-book", path=str(Path(sys.executable).parent))
        assert jb, "jupyter-book is installed by requirements-dev.txt"
        shutil.rmtree(html, ignore_errors=True)  # no page of a removed chapter survives
        result = subprocess.run(
            [jb, "build", str(ROOT), "--all", "--warningiserror", "--nitpick", "--keep-going"],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=ROOT,
        )
        log = result.stdout[-6000:] + result.stderr[-6000:]
        record.write_text(json.dumps({"run": run, "returncode": result.returncode, "log": log}))
        return Build(result.returncode, log, html)
