"""Fixtures shared by the tests.

- ``book``: the book's settings (``tools/notebooks.py``'s ``Book``: repository, version, chapters in order).
- ``chapter``: a test that takes it runs once per chapter (its notebook's path), in table-of-contents order.
- ``built_book``: one build of the book a test run (shared by pytest-xdist's workers), as `make book` does but from
  scratch.
- ``@pytest.mark.tensorflow_only("what")``: a test of something only TensorFlow has (its implementation, tf.distribute);
  skipped, with that reason, where Keras runs on another backend (tests/backends.py).
"""

import fcntl
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import notebooks  # noqa: E402  (tools/notebooks.py)

BOOK = notebooks.settings()


def pytest_collection_modifyitems(config, items):
    marked = [(item, item.get_closest_marker("tensorflow_only")) for item in items]
    marked = [(item, marker) for item, marker in marked if marker is not None]
    if not marked:
        return  # Keras not imported for nothing (the book's tests)
    from backends import BACKEND

    for item, marker in marked:
        if len(marker.args) != 1 or not isinstance(marker.args[0], str):
            raise pytest.UsageError(f"{item.nodeid}: tensorflow_only takes one reason, what it tests; got {marker}.")
        if BACKEND != "tensorflow":
            item.add_marker(pytest.mark.skip(reason=f"TensorFlow only ({marker.args[0]}); Keras runs on {BACKEND}"))


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


def build_book():
    """The book built into _build/html, as `make book` does but from scratch (`--all`: an incremental build does not
    repeat the warnings of unchanged pages), warnings as errors, references nit-picky."""
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


@pytest.fixture(scope="session")
def built_book(request):
    """The book, built once a test run. Under pytest-xdist (`make test`) the test files that need it may run in
    different workers: the first to ask builds it while holding a lock on _build/book-build.lock and records the result
    for this run (xdist's testrunuid); the others wait for the lock and read the record, so that no two builds write
    _build/html at once."""
    run = getattr(request.config, "workerinput", {}).get("testrunuid")
    if run is None:
        return build_book()
    (ROOT / "_build").mkdir(exist_ok=True)
    record = ROOT / "_build" / "book-build.json"
    with open(ROOT / "_build" / "book-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if record.is_file() and json.loads(record.read_text())["run"] == run:
            saved = json.loads(record.read_text())
            return Build(saved["returncode"], saved["log"], Path(saved["html"]))
        build = build_book()
        saved = dict(run=run, returncode=build.returncode, log=build.log, html=str(build.html))
        record.write_text(json.dumps(saved))
        return build
