"""The book itself: chapters in sync with _config.yml, and a clean build with warnings as errors."""

import json
import re
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


# --- exercises: the book's pattern (issue 14) --------------------------------------------------------------------

CHECK = re.compile(r'^exercises\.check\("([a-z0-9-]+)", answer\)$', re.M)
SOLUTION = "#@title Solution\n"
HINT = "<details><summary>Hint</summary>"
SOLUTION_PROMPTS = {"code_prompt_show": "Show the solution", "code_prompt_hide": "Hide the solution"}


def _text(cell):
    return "".join(cell["source"])


def _stdout(cell):
    return "".join("".join(o["text"]) for o in cell.get("outputs", []) if o.get("name") == "stdout")


def starters(path):
    """The exercise keys a chapter asks, in order: each from its starter cell."""
    return [
        CHECK.search(_text(c))[1]
        for c in json.loads(path.read_text())["cells"]
        if c["cell_type"] == "code" and CHECK.search(_text(c)) and not _text(c).startswith(SOLUTION)
    ]


def test_exercises_follow_the_pattern(chapter):
    """Each exercise: a starter that runs without the answer (stored: "not answered yet"), a collapsed hint, then a
    worked solution hidden in the built book (tag hide-input) and in Colab (a "#@title Solution" form cell) whose
    stored output is the check's verdict alone, so that no stored output gives the answer away."""
    cells = json.loads(chapter.read_text())["cells"]
    keys = starters(chapter)
    for key in keys:
        starter = f'answer = None  # your code\nexercises.check("{key}", answer)'
        (i,) = [i for i, c in enumerate(cells) if c["cell_type"] == "code" and _text(c) == starter]
        assert _stdout(cells[i]).startswith(f"{key}: not answered yet"), key
        hint, solution = cells[i + 1], cells[i + 2]
        assert hint["cell_type"] == "markdown" and _text(hint).startswith(HINT), key
        assert _text(hint).rstrip().endswith("</details>"), key
        assert solution["cell_type"] == "code" and _text(solution).startswith(SOLUTION), key
        assert CHECK.findall(_text(solution)) == [key], key
        assert "hide-input" in solution["metadata"].get("tags", []) and solution["metadata"].get("cellView") == "form"
        assert solution["metadata"].get("mystnb") == SOLUTION_PROMPTS, key  # the book's toggle says what it hides
        assert [o.get("output_type") for o in solution["outputs"]] == ["stream"], key
        assert _stdout(solution) == f"{key}: correct.\n", key
    solutions = [c for c in cells if c["cell_type"] == "code" and _text(c).startswith(SOLUTION)]
    assert len(solutions) == len(keys) == len(set(keys))


def test_every_registered_exercise_is_asked_in_one_chapter(book):
    from resnext_edu import exercises

    asked = [key for path in book.chapters for key in starters(path)]
    assert sorted(asked) == sorted(exercises.EXERCISES)


def test_hints_and_solutions_are_collapsed_in_the_built_book(built_book, book):
    """In the built pages each hint is a closed <details>, and each solution's code sits in the closed "Show code cell
    source" <details> of Jupyter Book's hide-input; a reader opens either by choice."""
    assert built_book.returncode == 0, built_book.log
    for path in book.chapters:
        page = (built_book.html / "book" / f"{path.stem}.html").read_text()
        sources = [m.start() for m in re.finditer(r'<span class="c1">#@title Solution</span>', page)]
        assert len(sources) == len(starters(path)) == page.count(HINT), path.stem
        for at in sources:
            opened = page.rfind("<details", 0, at)
            assert opened > page.rfind("</details>", 0, at), path.stem  # inside a <details> ...
            tag = page[opened : page.index(">", opened) + 1]
            assert "hide above-input" in tag and " open" not in tag, (path.stem, tag)  # ... that starts closed
            assert "Show the solution" in page[opened : page.index("</summary>", opened)], path.stem
        assert not re.search(r"<details[^>]*\bopen\b", page), path.stem
