"""The Colab contract of every chapter, checked here since nothing here can reach Colab.

A reader clicks a chapter's "Open in Colab" badge and runs it top to bottom in a fresh runtime, which holds the
notebook alone (not this repository) and Colab's preinstalled packages. So:

- the first code cell installs `resnext_edu`, in Colab only (outside it the cell does nothing), `--no-deps` (Colab's
  TensorFlow, Keras, NumPy and ipywidgets stay as they are), pinned to the release of the version in pyproject.toml
  (its commit, once CHANGELOG.md records it; tools/release.py), from the repository of _config.yml; no other cell
  installs anything; and run as Colab runs it, it installs the library from a `git+file://` copy of this repository
  and the chapter runs on Colab's versions;
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

import yaml
from IPython.core.inputtransformer2 import TransformerManager

ROOT = Path(__file__).resolve().parents[1]

# Distributions that every Colab runtime ships (Colab's own `pip list`), and so the only third-party packages a chapter
# may need: the install cell adds `resnext_edu` alone. Extend it only with a package Colab preinstalls.
COLAB_PREINSTALLED = {
    "ipython": "the kernel's own IPython (IPython.display)",
    "h5py": "HDF5 files: Keras saves weights with it, resnext_edu.backup checks them",
    "ipywidgets": "widgets; Colab ships 7.x, the book's widgets work with 7 and 8",
    "matplotlib": "figures",
    "numpy": "arrays",
    "pandas": "tables",
    "pillow": "images (PIL)",
    "scikit-learn": "the digits data set (sklearn)",
    "safetensors": "weight files resnext_edu.port reads (requirements-dev.txt here)",
    "scipy": "scientific routines",
    "tensorflow": "Keras' backend",
    "keras": "Keras 3",
    "tqdm": "progress bars",
    "torch": "PyTorch, whose ImageNet weights resnext_edu.port reads (requirements-torch.txt here)",
    "torchvision": "ImageNet-trained ResNeXt weights and their class names (requirements-torch.txt here)",
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


def test_install_cell_does_nothing_outside_colab(chapter):
    assert run_install_cell(chapter, in_colab=False) == []
    assert not code_cells(chapter)[0]["outputs"], "outside Colab the install cell prints nothing"


def test_install_cell_installs_the_pinned_release_from_the_configured_repository_in_colab(chapter):
    commands = run_install_cell(chapter, in_colab=True)
    assert len(commands) == 1 and commands[0][0] == "pip", commands
    words = commands[0][1].replace('"', " ").replace("'", " ").split()
    assert words[0] == "install" and "--no-deps" in words
    match = re.search(r"resnext_edu @ git\+(?P<url>\S+?)(?:\.git)?@(?P<ref>[^\s\"']+)", commands[0][1])
    assert match, commands[0][1]
    assert match["url"] == CONFIG["repository"]["url"].rstrip("/")
    release = release_of_this_version()
    if release and release.commit:  # released: pinned to its commit, the tag in the comment (tools/release.py)
        assert match["ref"] == release.commit, "pinned to the commit CHANGELOG.md records for pyproject.toml's version"
        assert f"release v{PYPROJECT['version']}" in "".join(code_cells(chapter)[0]["source"])
    else:  # before the release records its commit: its tag
        assert match["ref"] == f"v{PYPROJECT['version']}", "pinned to the release tag of pyproject.toml's version"
    packages = [w for w in words[1:] if not w.startswith("-") and w not in ("@",) and not w.startswith("git+")]
    assert packages == ["resnext_edu"], "the install cell installs the library alone"


def release_of_this_version():
    sys.path.insert(0, str(ROOT / "tools"))
    import release  # tools/release.py

    return release.current(ROOT)


def test_the_library_reports_the_version_of_pyproject():
    import resnext_edu

    assert resnext_edu.__version__ == PYPROJECT["version"]


def test_no_other_cell_installs_anything(chapter):
    assert [(i, found) for i, tree in trees(chapter)[1:] if (found := installs(tree))] == []


# --- imports -------------------------------------------------------------------------------------------------------


def test_every_import_is_stdlib_the_library_requirements_or_preinstalled_in_colab(chapter):
    allowed = set(REQUIREMENTS) | set(COLAB_PREINSTALLED)
    modules = set().union(*(imported_modules(tree) for _, tree in trees(chapter)))
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


def test_no_cell_reads_a_file_of_this_repository(chapter):
    found = []
    for i, tree in trees(chapter):
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and not _is_bare_string(tree, node):
                if repository_path(node.value, chapter.parent):
                    found.append((i, node.value))
        for magic, arg in ipython_calls(tree):
            if any(repository_path(word, chapter.parent) for word in arg.split()):
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


# --- the install cell, run as Colab runs it ---------------------------------------------------------------------------

# The chapter run after the install: the fastest one, and it imports every module of the library (a module missing
# from the installed package fails it).
INSTALLED_CHAPTER = ROOT / "book" / "00_start_here.ipynb"
PROBE = """import importlib.metadata, json, resnext_edu
dist = importlib.metadata.distribution("resnext_edu")
print(json.dumps({"file": resnext_edu.__file__, "version": resnext_edu.__version__,
                  "direct_url": json.loads(dist.read_text("direct_url.json"))}))"""


def copy_of_the_repository(target):
    """The work tree as it is (tracked and untracked files git does not ignore), committed in a new repository."""
    import shutil
    import subprocess

    env = {
        "GIT_AUTHOR_NAME": "Install Test",
        "GIT_AUTHOR_EMAIL": "install@example.invalid",
        "GIT_COMMITTER_NAME": "Install Test",
        "GIT_COMMITTER_EMAIL": "install@example.invalid",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
        "PATH": __import__("os").environ["PATH"],
    }

    def git(*args, cwd=target):
        return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout

    files = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT).split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    git("init", "--quiet", "--initial-branch=main")
    git("add", "--all")
    git("commit", "--quiet", "-m", "The book as it is")
    git("tag", "-a", f"v{PYPROJECT['version']}", "-m", "The release the install cells pin")
    return git("rev-parse", "HEAD").strip()


def test_the_install_cell_installs_the_library_from_its_git_tag_and_the_chapter_runs_on_colabs_versions(tmp_path):
    """As a reader's Colab runtime runs it: `google.colab` imported at start, Colab's package versions (the reader's
    kernel, requirements-colab.txt) without the library, then the chapter's own install cell, its repository replaced by
    a `git+file://` URL of a temporary copy of this one and its release by the copy's (tag or commit, as the cell
    pins). `%pip` installs into a folder first on the kernel's path (PIP_TARGET; .venv-reader stays as it is), offline:
    no index, and the copy is built with the setuptools and wheel of Colab's versions instead of fetched ones (pip's
    build isolation needs an index). Then every cell runs, and the library imported is the one installed."""
    import os

    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from nbclient import NotebookClient

    sys.path.insert(0, str(ROOT / "tools"))
    import notebooks  # noqa: PLC0415

    if notebooks.READER_KERNEL not in KernelSpecManager().find_kernel_specs():
        raise AssertionError("the reader's kernel is not installed: run `make reader` (`make test` does)")
    repo, installed, startup = tmp_path / "repository", tmp_path / "installed", tmp_path / "ipython"
    repo.mkdir()
    installed.mkdir()
    commit = copy_of_the_repository(repo)
    colab = tmp_path / "colab" / "google" / "colab"  # `google` stays a namespace package (protobuf's lives there)
    colab.mkdir(parents=True)
    (colab / "__init__.py").write_text('"""Stands for Colab\'s google.colab: the install cells test its presence."""\n')
    (startup / "profile_default" / "startup").mkdir(parents=True)
    (startup / "profile_default" / "startup" / "00-colab.py").write_text("import google.colab\n")

    nb = nbformat.read(INSTALLED_CHAPTER, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code")
    url = CONFIG["repository"]["url"].rstrip("/")
    pinned = re.search(rf"git\+{re.escape(url)}@(\S+?)\"", cell.source)
    assert pinned, cell.source
    ref = commit if re.fullmatch(r"[0-9a-f]{40}", pinned[1]) else f"v{PYPROJECT['version']}"
    cell.source = cell.source.replace(pinned[0], f'git+{repo.as_uri()}@{ref}"')
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))

    env = {
        **os.environ,
        **notebooks.KERNEL_ENV,
        "PYTHONPATH": os.pathsep.join([str(installed), str(tmp_path / "colab")]),
        "IPYTHONDIR": str(startup),
        "PIP_TARGET": str(installed),
        "PIP_NO_INDEX": "1",
        "PIP_NO_BUILD_ISOLATION": "0",  # pip's spelling of --no-build-isolation in the environment
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    client = NotebookClient(
        nb, timeout=300, kernel_name=notebooks.READER_KERNEL, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute(env=env)

    install_output = "".join(o.get("text", "") for o in cell.outputs)
    assert (installed / "resnext_edu" / "__init__.py").is_file(), install_output
    probe = json.loads(nb.cells[-1].outputs[-1]["text"])
    assert Path(probe["file"]).resolve() == (installed / "resnext_edu" / "__init__.py").resolve()
    assert probe["version"] == PYPROJECT["version"]
    assert probe["direct_url"]["url"] == repo.as_uri()
    assert probe["direct_url"]["vcs_info"]["commit_id"] == commit
    assert probe["direct_url"]["vcs_info"]["requested_revision"] == ref
    assert "ERROR" not in install_output, install_output
    package = installed / "resnext_edu"
    assert sorted(p.relative_to(package) for p in package.rglob("*.py")) == sorted(
        p.relative_to(ROOT / "resnext_edu") for p in (ROOT / "resnext_edu").rglob("*.py")
    ), "every module of the library is in what the install cell installs"
