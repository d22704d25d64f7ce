"""The Colab contract of every chapter, checked here since nothing here can reach Colab.

A reader clicks a chapter's "Open in Colab" badge and runs it top to bottom in a fresh runtime, which holds the
notebook alone (not this repository) and Colab's preinstalled packages. So:

- the first code cell installs `resnext_edu`, in Colab only (outside it the cell does nothing), `--no-deps` (Colab's
  TensorFlow, Keras, NumPy and ipywidgets stay as they are), pinned to the release tag of the version in
  pyproject.toml, from the repository of _config.yml; no other cell installs anything;
- every import is the standard library, `resnext_edu`, or a package of requirements.txt or of COLAB_PREINSTALLED,
  and what requirements.txt and the library need is preinstalled in Colab, since `--no-deps` leaves it to Colab;
- no cell reads a file by a path into this repository (the notebook's own folder, `../`, `book/`, `tests/`,
  `resnext_edu/`...), nor by an absolute path of this machine.

That the chapters run with nothing but requirements.txt and the library's wheel is checked by running them under
nbval in the reader's kernel (the Makefile's .venv-reader; tests/test_reader_env.py).
"""

import ast
import importlib.metadata
import json
import re
import sys
import tomllib
import types
from pathlib import Path

import pytest
import yaml
from IPython.core.inputtransformer2 import TransformerManager

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import notebooks  # noqa: E402  (tools/notebooks.py)

CHAPTERS = notebooks.settings()[3]

# Distributions that every Colab runtime ships (Colab's own `pip list`), and so the only third-party packages a chapter
# may need: the install cell adds `resnext_edu` alone. Extend it only with a package Colab preinstalls.
COLAB_PREINSTALLED = {
    "ipython": "the kernel's own IPython (IPython.display)",
    "ipywidgets": "widgets; Colab ships 7.x, the book's widgets work with 7 and 8",
    "matplotlib": "figures",
    "numpy": "arrays",
    "pandas": "tables",
    "pillow": "images (PIL)",
    "scikit-learn": "the digits data set (sklearn)",
    "scipy": "scientific routines",
    "tensorflow": "Keras' backend",
    "keras": "Keras 3",
    "tqdm": "progress bars",
}

# Python-bodied cell magics, whose body is read as code; other cell magics hold no Python.
PYTHON_CELL_MAGICS = {"time", "timeit", "capture"}


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(lines):
    names = []
    for line in lines:
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            names.append(canonical(re.split(r"[\s<>=!~;\[@]", line, maxsplit=1)[0]))
    return names


REQUIREMENTS = requirement_names((ROOT / "requirements.txt").read_text().splitlines())
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
MODULE_DISTRIBUTIONS = {
    module: {canonical(d) for d in dists} for module, dists in importlib.metadata.packages_distributions().items()
}


def code_cells(path):
    return [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]


def python_source(cell):
    """The cell as Python: IPython's own transformation turns %magics and !commands into get_ipython() calls."""
    source = "".join(cell["source"])
    first, _, body = source.partition("\n")
    if first.startswith("%%"):
        if first[2:].split()[0] not in PYTHON_CELL_MAGICS:
            return ""
        source = body
    return TransformerManager().transform_cell(source)


def trees(path):
    return [(i, ast.parse(python_source(cell))) for i, cell in enumerate(code_cells(path))]


def imported_modules(tree):
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def allowed_module(module, distributions):
    return (
        module in sys.stdlib_module_names
        or module == "resnext_edu"
        or bool(MODULE_DISTRIBUTIONS.get(module, set()) & distributions)
    )


def ipython_calls(tree):
    """(magic or 'system', its argument string) for each get_ipython().run_line_magic(...) / .system(...) call."""
    calls = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Call)
            and getattr(node.func.value.func, "id", "") == "get_ipython"
        ):
            args = [a.value for a in node.args if isinstance(a, ast.Constant)]
            if node.func.attr == "run_line_magic" and len(args) == 2:
                calls.append((args[0], args[1]))
            elif node.func.attr == "system" and args:
                calls.append(("system", args[0]))
    return calls


def installs(tree):
    return [
        (magic, arg)
        for magic, arg in ipython_calls(tree)
        if (magic in ("pip", "conda", "mamba")) or (magic == "system" and re.search(r"\b(pip|conda|apt)", arg))
    ]


# --- the install cell ----------------------------------------------------------------------------------------------


def run_install_cell(path, in_colab):
    """Execute the install cell with a stand-in for IPython that records the magics, in or out of 'Colab'."""
    recorded = []

    class Shell:
        def run_line_magic(self, magic, line):
            recorded.append((magic, line))

        def system(self, command):
            recorded.append(("system", command))

    saved = sys.modules.get("google.colab")
    if in_colab:
        sys.modules["google.colab"] = types.ModuleType("google.colab")
    else:
        sys.modules.pop("google.colab", None)
    try:
        exec(compile(python_source(code_cells(path)[0]), str(path), "exec"), {"get_ipython": Shell})
    finally:
        sys.modules.pop("google.colab", None)
        if saved is not None:
            sys.modules["google.colab"] = saved
    return recorded


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_install_cell_does_nothing_outside_colab(path):
    assert run_install_cell(path, in_colab=False) == []
    assert not code_cells(path)[0]["outputs"], "outside Colab the install cell prints nothing"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_install_cell_installs_the_pinned_release_from_the_configured_repository_in_colab(path):
    commands = run_install_cell(path, in_colab=True)
    assert len(commands) == 1 and commands[0][0] == "pip", commands
    words = commands[0][1].replace('"', " ").replace("'", " ").split()
    assert words[0] == "install" and "--no-deps" in words
    match = re.search(r"resnext_edu @ git\+(?P<url>\S+?)(?:\.git)?@(?P<ref>[^\s\"']+)", commands[0][1])
    assert match, commands[0][1]
    assert match["url"] == CONFIG["repository"]["url"].rstrip("/")
    assert match["ref"] == f"v{PYPROJECT['version']}", "pinned to the release tag of pyproject.toml's version"
    packages = [w for w in words[1:] if not w.startswith("-") and w not in ("@",) and not w.startswith("git+")]
    assert packages == ["resnext_edu"], "the install cell installs the library alone"


def test_the_library_reports_the_version_of_pyproject():
    import resnext_edu

    assert resnext_edu.__version__ == PYPROJECT["version"]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_no_other_cell_installs_anything(path):
    assert [(i, found) for i, tree in trees(path)[1:] if (found := installs(tree))] == []


# --- imports -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_import_is_stdlib_the_library_requirements_or_preinstalled_in_colab(path):
    allowed = set(REQUIREMENTS) | set(COLAB_PREINSTALLED)
    modules = set().union(*(imported_modules(tree) for _, tree in trees(path)))
    assert sorted(m for m in modules if not allowed_module(m, allowed)) == []


def test_what_requirements_and_the_library_need_is_preinstalled_in_colab():
    """The install cell's --no-deps leaves the reader's requirements and the library's dependencies to Colab."""
    assert sorted(set(REQUIREMENTS) - set(COLAB_PREINSTALLED)) == []
    assert sorted(set(requirement_names(PYPROJECT["dependencies"])) - set(COLAB_PREINSTALLED)) == []


def test_the_library_imports_only_what_it_declares():
    """Its dependencies, or an optional extra (another Keras backend, PyTorch for the benchmark), or Colab's."""
    optional = [name for extra in PYPROJECT.get("optional-dependencies", {}).values() for name in extra]
    declared = set(requirement_names(PYPROJECT["dependencies"] + optional)) | set(COLAB_PREINSTALLED)
    undeclared = {}
    for module in sorted((ROOT / "resnext_edu").rglob("*.py")):
        names = imported_modules(ast.parse(module.read_text()))
        bad = sorted(m for m in names if not allowed_module(m, declared))
        if bad:
            undeclared[module.relative_to(ROOT).as_posix()] = bad
    assert undeclared == {}


# --- files ---------------------------------------------------------------------------------------------------------

REPO_ENTRIES = {p.name for p in ROOT.iterdir() if not p.name.startswith(".")}
MACHINE_PATH = re.compile(r"^(/(root|home|tmp|work|Users|opt|usr|var)\b|[A-Za-z]:\\)")


def repository_path(text, notebook_dir):
    """Whether a string literal names a path that exists only in this repository or on this machine."""
    text = text.strip()
    if not text or "\n" in text or len(text) > 300:
        return False
    if MACHINE_PATH.match(text) or text.startswith(("../", "..\\", "./")) or text == "..":
        return True
    pathlike = "/" in text or re.search(r"\.[A-Za-z0-9]{1,5}$", text)
    if not pathlike:
        return False
    first = re.split(r"[/\\]", text)[0]
    return (first in REPO_ENTRIES and "/" in text) or (ROOT / text).exists() or (notebook_dir / text).exists()


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_no_cell_reads_a_file_of_this_repository(path):
    found = []
    for i, tree in trees(path):
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and not _is_bare_string(tree, node):
                if repository_path(node.value, path.parent):
                    found.append((i, node.value))
        for magic, arg in ipython_calls(tree):
            if any(repository_path(word, path.parent) for word in arg.split()):
                found.append((i, f"%{magic} {arg}"))
    assert found == [], "a Colab runtime has the notebook, not the repository"


def _is_bare_string(tree, node):
    return any(isinstance(n, ast.Expr) and n.value is node for n in ast.walk(tree))


def test_the_path_rule_catches_what_it_should():
    book = ROOT / "book"
    for bad in (
        "../tests/test_models.py",
        "book/00_start_here.ipynb",
        "resnext_edu/models.py",
        "README.md",
        "00_start_here.ipynb",
        "/work/main/data.npz",
        "/home/reader/x.png",
        "./figure.png",
        "tests/",
    ):
        assert repository_path(bad, book), bad
    for fine in (
        "resnext_edu",
        "a",
        "c",
        "same",
        "keras.Model",
        "cifar10",
        "%.3f",
        "TF_CPP_MIN_LOG_LEVEL",
        "model.weights.h5",
        "https://arxiv.org/abs/1611.05431",
    ):
        assert not repository_path(fine, book), fine
