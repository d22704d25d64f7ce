"""The book itself: chapters in sync with _config.yml, and a clean build with warnings as errors."""

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


def test_book_builds_with_warnings_as_errors(built_book):
    """Warnings are errors and references nit-picky (tests/conftest.py): every cross-reference resolves."""
    assert built_book.returncode == 0, built_book.log
    for path in CHAPTERS:
        assert (built_book.html / "book" / f"{path.stem}.html").exists()
