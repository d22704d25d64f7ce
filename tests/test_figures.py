"""tools/figures.py: the figures' captions and alt texts, checked, exported and written back into the chapters.

The check itself runs on every chapter in tests/test_site_a11y.py; here, on copies of one chapter: it finds what is
missing, and `export` then `apply` put the texts back, by cell id, or by identical source when the ids changed.
"""

import shutil
from pathlib import Path

import figures  # tools/figures.py (tests/conftest.py puts tools/ on the path)
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def chapter_with_figures(book, tmp_path):
    """A copy of the first chapter that has figures, and its figures' texts as exported."""
    source = next(p for p in book.chapters if figures.figure_cells(nbformat.read(p, as_version=4)))
    copy = tmp_path / source.name
    shutil.copy(source, copy)
    return copy, figures.export([copy])


def strip(path, new_ids=False):
    nb = nbformat.read(path, as_version=4)
    for k, cell in enumerate(figures.figure_cells(nb)):
        cell.metadata.pop("mystnb", None)
        if new_ids:
            cell["id"] = f"changed{k}"
    nbformat.write(nb, path)


def test_check_finds_figures_without_texts(chapter_with_figures):
    copy, _ = chapter_with_figures
    assert figures.problems(copy) == []
    strip(copy)
    found = figures.problems(copy)
    count = len(figures.figure_cells(nbformat.read(copy, as_version=4)))
    assert sum("no alt text" in p for p in found) == count and sum("no caption" in p for p in found) == count


@pytest.mark.parametrize("new_ids", [False, True], ids=["same-ids", "ids-changed"])
def test_export_then_apply_puts_the_texts_back(chapter_with_figures, new_ids):
    copy, exported = chapter_with_figures
    before = [figures.texts(c) for c in figures.figure_cells(nbformat.read(copy, as_version=4))]
    strip(copy, new_ids=new_ids)
    changed, unplaced = figures.apply([copy], exported)
    assert changed == [copy] and unplaced == []
    assert [figures.texts(c) for c in figures.figure_cells(nbformat.read(copy, as_version=4))] == before


def test_apply_reports_a_figure_it_cannot_place(chapter_with_figures):
    copy, exported = chapter_with_figures
    nb = nbformat.read(copy, as_version=4)
    cell = figures.figure_cells(nb)[0]
    cell["id"], cell.source = "rewritten", cell.source + "\n# rewritten"
    cell.metadata.pop("mystnb")
    nbformat.write(nb, copy)
    _, unplaced = figures.apply([copy], exported)
    assert len(unplaced) == 1 and copy.name in unplaced[0]
    assert any("no alt text" in p for p in figures.problems(copy))
