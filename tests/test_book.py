"""The book itself: chapters in sync with _config.yml, and a clean build with warnings as errors."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import notebooks  # noqa: E402  (tools/notebooks.py)

CHAPTERS = notebooks.settings()[3]


def test_every_chapter_in_the_toc_exists_and_every_chapter_is_in_the_toc():
    assert all(path.exists() for path in CHAPTERS)
    assert sorted(CHAPTERS) == sorted((ROOT / "book").glob("*.ipynb"))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_first_cells_follow_the_conventions(path):
    """Title + Colab badge of this repository, then the guarded, pinned install cell (GUIDE §3)."""
    assert notebooks.problems(path) == []


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_has_stored_outputs_and_no_errors(path):
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    ran = [c for c in cells[1:] if c["source"]]  # the install cell prints nothing outside Colab
    assert all(c["outputs"] for c in ran if "print(" in "".join(c["source"]))
    assert not [o for c in cells for o in c["outputs"] if o["output_type"] == "error"]
    counts = [c["execution_count"] for c in cells if c["execution_count"] is not None]
    assert counts == sorted(counts) and len(counts) == len(cells), "run the chapter top to bottom"


def test_book_builds_with_warnings_as_errors(tmp_path):
    jb = shutil.which("jupyter-book", path=str(Path(sys.executable).parent))
    assert jb, "jupyter-book is installed by requirements-dev.txt"
    result = subprocess.run([jb, "build", str(ROOT), "--warningiserror", "--keep-going", "--path-output",
                             str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    html = tmp_path / "_build" / "html"
    for path in CHAPTERS:
        assert (html / "book" / f"{path.stem}.html").exists()
