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
