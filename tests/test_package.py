"""The package's map: every public module listed once in ``resnext_edu.MODULES`` and in the README's table."""

import pkgutil
import re
from pathlib import Path

import resnext_edu

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_public_module_is_listed_once():
    found = {m.name for m in pkgutil.iter_modules(resnext_edu.__path__) if not m.name.startswith("_")}
    assert sorted(found) == sorted(resnext_edu.MODULES)


def test_the_readme_table_lists_the_same_modules_in_the_same_order():
    text = README.read_text()
    table = text[text.index("| module | what |") :].split("\n\n")[0]
    assert re.findall(r"^\| `(\w+)` \|", table, flags=re.M) == list(resnext_edu.MODULES)


LIBRARY = Path(resnext_edu.__file__).parent
#: The house rule: each module one concern, a few hundred lines at most. ``paper`` is data (the paper's tables).
MAX_LINES = 350
DATA_MODULES = {"paper.py"}


def test_no_library_module_is_longer_than_a_few_hundred_lines():
    long = {
        str(path.relative_to(LIBRARY)): n
        for path in LIBRARY.rglob("*.py")
        if path.name not in DATA_MODULES and (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}, f"split these by concern (at most {MAX_LINES} lines each)"


def test_layer_names_are_typed_only_by_their_owner():
    """A layer-name f-string ("{block}_conv1", "{name}_path{i}_bn2") outside ``names`` would not fail on a rename."""
    pattern = re.compile(
        r"""f["'][^"']*\{[^}]+\}_(?:path\{|block\{|conv\d|bn\d|relu\d|shortcut_|sum\b|concat\b|add\b|out\b)"""
    )
    found = [
        f"{path.relative_to(LIBRARY)}:{i}"
        for path in LIBRARY.rglob("*.py")
        if path.name != "names.py"
        for i, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == []
