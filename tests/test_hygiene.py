"""Notebook hygiene: each chapter is saved as it ran, top to bottom, and shows nothing of the machine it ran on.

The rules, per chapter (tools/notebooks.py `run` re-executes and saves chapters so that they hold):

- **Stored outputs.** A code cell other than the install cell (tests/test_colab.py: it prints nothing outside Colab)
  must have a stored output when it shows something by construction: it calls `print(...)`, `display(...)` or a
  `.show()`, or it ends with a bare expression that is not a call (a name, attribute, subscript, literal or operation:
  IPython displays its value) and no `;`. A cell that only imports, assigns, defines, or ends with a call (which may
  return None) may have none: nbval re-runs every cell and fails one whose fresh output differs from the stored one,
  so a cell saved without an output it does produce fails there.
- **No stored errors**: no `error` output, no traceback on stderr.
- **Widget state saved** in the notebook's metadata for every widget view it displays (the web book renders it).
- **Nothing of this machine** in any output or in the saved widget state: no /root, /home/, /tmp/, /work/, /Users/,
  site-packages or virtual-environment paths, and no object repr with a memory address (`<... at 0x...>`: end a
  figure cell with `plt.show()`).
- **Run top to bottom once**: execution counts 1, 2, ..., n on the n code cells.
- **nbval-ignored cells** (tag `nbval-ignore-output` / `nbval-skip`, or a first-line `# NBVAL_IGNORE_OUTPUT` /
  `# NBVAL_SKIP`) are fewer than a third of the code cells, and each asserts (`assert`) what matters in it.

Normalised metadata (no kernel-specific or timing metadata) is checked by `make lint` (tools/notebooks.py
check-normalised).
"""

import ast
import getpass
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
IGNORE_TAGS = {"nbval-ignore-output", "nbval-skip"}
IGNORE_COMMENTS = ("# NBVAL_IGNORE_OUTPUT", "# NBVAL_SKIP")

_user = re.escape(getpass.getuser())
MACHINE = re.compile(
    r"/root\b|/home/|/tmp/|/work/|/Users/|site-packages|\.venv\b|<[^<>\n]* at 0x[0-9a-fA-F]+>"
    + ("" if _user == "root" else rf"|\b{_user}\b")
)


def load(path):
    return json.loads(path.read_text())


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def source(cell):
    return "".join(cell["source"])


def shows_something(cell):
    """Whether the cell displays something by construction (the rule of the module docstring)."""
    text = source(cell)
    python = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith(("%", "!")))
    try:
        tree = ast.parse(python)
    except SyntaxError:
        return True
    todo = list(tree.body)  # statements run by the cell itself, not the bodies of what it defines
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        if isinstance(node, ast.Call) and (
            getattr(node.func, "id", None) in ("print", "display") or getattr(node.func, "attr", None) == "show"
        ):
            return True
        todo += ast.iter_child_nodes(node)
    last = tree.body[-1] if tree.body else None
    return isinstance(last, ast.Expr) and not isinstance(last.value, ast.Call) and not text.rstrip().endswith(";")


def ignored(cell):
    tags = set(cell.get("metadata", {}).get("tags", []))
    return bool(tags & IGNORE_TAGS) or source(cell).lstrip().startswith(IGNORE_COMMENTS)


def output_texts(nb):
    """Every text a chapter stores: its outputs (all text representations) and its saved widget state."""
    for cell in code_cells(nb):
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream":
                yield "".join(out["text"])
            for mime, value in out.get("data", {}).items():
                if mime.startswith("text/") or mime.endswith("json"):
                    yield (
                        value
                        if isinstance(value, str)
                        else json.dumps(value)
                        if isinstance(value, dict)
                        else "".join(value)
                    )
            if out["output_type"] == "error":
                yield "\n".join(out.get("traceback", []))
    yield json.dumps(nb["metadata"].get("widgets", {}))


def test_cells_that_show_something_have_stored_outputs(chapter):
    cells = code_cells(load(chapter))[1:]  # the install cell: tests/test_colab.py
    missing = [source(c).splitlines()[0] for c in cells if shows_something(c) and not c["outputs"]]
    assert missing == [], "run the chapter and save it with its outputs (tools/notebooks.py run)"


def test_no_stored_errors(chapter):
    outputs = [o for c in code_cells(load(chapter)) for o in c["outputs"]]
    assert [o.get("ename") for o in outputs if o["output_type"] == "error"] == []
    assert [
        o for o in outputs if o["output_type"] == "stream" and "Traceback (most recent call last)" in "".join(o["text"])
    ] == []


def test_widget_state_is_saved_for_every_widget_shown(chapter):
    nb = load(chapter)
    views = [
        o["data"][WIDGET_VIEW]["model_id"]
        for c in code_cells(nb)
        for o in c["outputs"]
        if WIDGET_VIEW in o.get("data", {})
    ]
    state = nb["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    assert [v for v in views if v not in state] == [], "save widget state (tools/notebooks.py run does)"


def test_outputs_show_nothing_of_this_machine(chapter):
    found = sorted({m.group(0) for text in output_texts(load(chapter)) for m in MACHINE.finditer(text)})
    assert found == []


def test_chapter_ran_top_to_bottom_once(chapter):
    counts = [c["execution_count"] for c in code_cells(load(chapter))]
    assert counts == list(range(1, len(counts) + 1)), "restart the kernel and run all (tools/notebooks.py run)"


def test_few_nbval_ignored_cells_and_each_asserts_what_matters(chapter):
    cells = code_cells(load(chapter))
    skipped = [c for c in cells if ignored(c)]
    assert len(skipped) * 3 < len(cells), f"{len(skipped)} of {len(cells)} code cells are ignored by nbval"
    assert [source(c).splitlines()[0] for c in skipped if not re.search(r"\bassert\b", source(c))] == []


def test_the_rules_themselves():
    def cell(text, **metadata):
        return {"cell_type": "code", "source": text, "metadata": metadata, "outputs": []}

    assert shows_something(cell("print(1)")) and shows_something(cell("x = 1\nx"))
    assert shows_something(cell("plots.table2_bars()\nplt.show()")) and shows_something(cell("block(x).shape"))
    assert not shows_something(cell("import keras\nx = 1"))
    assert not shows_something(cell("keras.utils.set_random_seed(0)"))
    assert not shows_something(cell("x = 1\nx;")) and not shows_something(cell("def f():\n    print(1)"))
    assert ignored(cell("# NBVAL_IGNORE_OUTPUT\nprint(t)")) and ignored(cell("t", tags=["nbval-ignore-output"]))
    assert not ignored(cell("print(t)  # NBVAL_IGNORE_OUTPUT is only a marker on the first line"))
    assert MACHINE.search("/root/.keras/x") and MACHINE.search("<Line2D at 0x7f3a2b>")
    assert not MACHINE.search("the positive root of 9Cd^2") and not MACHINE.search("25,028,904 trainable parameters")
