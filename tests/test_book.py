"""The book itself: chapters in sync with _config.yml, and a clean build with warnings as errors."""

from pathlib import Path

import notebooks  # tools/notebooks.py (tests/conftest.py puts tools/ on the path)

ROOT = Path(__file__).resolve().parents[1]


def test_every_chapter_in_the_toc_exists_and_every_chapter_is_in_the_toc(book):
    assert all(path.exists() for path in book.chapters)
    assert sorted(book.chapters) == sorted((ROOT / "book").glob("*.ipynb"))


def test_chapter_first_cells_follow_the_conventions(chapter):
    """Title + Colab badge of this repository, then the guarded, pinned install cell (README, "The book")."""
    assert notebooks.problems(chapter) == []


def test_book_builds_with_warnings_as_errors(built_book, book):
    """Warnings are errors and references nit-picky (tests/conftest.py): every cross-reference resolves."""
    assert built_book.returncode == 0, built_book.log
    for path in book.chapters:
        assert (built_book.html / "book" / f"{path.stem}.html").exists()
