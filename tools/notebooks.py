"""Maintain the book's chapters: their first cells, their stored outputs, their metadata.

    python tools/notebooks.py sync            # Colab badge + install cell from _config.yml and pyproject.toml
    python tools/notebooks.py run [FILES]     # re-execute chapters in place in the reader's kernel, saving widget state
    python tools/notebooks.py check           # exit 1 if a chapter's first cells are out of sync
    python tools/notebooks.py normalise [FILES]         # strip volatile metadata in place (what `run` does)
    python tools/notebooks.py check-normalised [FILES]  # exit 1 if a chapter is not as `normalise` writes it
    python tools/notebooks.py figures check|export|apply  # figures' captions and alt texts (figures.py)
    python tools/notebooks.py release X.Y.Z   # bump the version, CHANGELOG.md, install cells; commit, tag (release.py)
    python tools/notebooks.py check-release [vX.Y.Z]    # exit 1 if version, CHANGELOG, git, install cells disagree
    python tools/notebooks.py notes [X.Y.Z]   # a release's CHANGELOG.md entry (the GitHub release's notes)

A chapter's first markdown cell holds its title and an "Open in Colab" badge; its first code cell
installs `resnext_edu` in Colab only, pinned to the release of pyproject.toml's version: the commit that CHANGELOG.md
records for it, with its tag v{version} in the comment (or the tag alone until the release records its commit: see
tools/release.py), without touching Colab's TensorFlow, Keras, NumPy or ipywidgets (--no-deps).
"""

import re
import sys
import time
import tomllib
import typing
from pathlib import Path

import figures  # tools/figures.py: captions and alt texts of the figures
import nbformat
import release  # tools/release.py: versions, CHANGELOG.md, tags and commits
import yaml

ROOT = Path(__file__).resolve().parents[1]
BADGE = "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
INSTALL_MARK = '"google.colab" in sys.modules'


class Book(typing.NamedTuple):
    """The book's settings: repository (url, branch), the package version, the chapters in table-of-contents order."""

    url: str
    branch: str
    version: str
    chapters: list


def settings():
    """The book's ``Book`` settings, read from _config.yml, _toc.yml and pyproject.toml."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    files = [toc["root"]] + [c["file"] for c in toc.get("chapters", [])]
    repo = config["repository"]
    return Book(repo["url"].rstrip("/"), repo.get("branch", "main"), version, [ROOT / f"{f}.ipynb" for f in files])


def badge_line(path):
    url, branch, _, _ = settings()
    github = url.removeprefix("https://github.com/")
    rel = path.resolve().relative_to(ROOT).as_posix()
    return f"{BADGE}(https://colab.research.google.com/github/{github}/blob/{branch}/{rel})"


def install_source():
    """The install cell: in Colab only, `pip install --no-deps` of the library at the release of pyproject.toml's
    version, pinned to the release's commit once CHANGELOG.md records it (tools/release.py), else to its tag."""
    url, _, version, _ = settings()
    entry = release.current(ROOT)
    if entry and entry.commit:
        about = f"pinned to the commit of release v{version} (a tag can be moved, a commit cannot)"
        ref = entry.commit
    else:
        about, ref = "pinned to the release of this notebook", f"v{version}"
    return (
        f"# In Colab only: install the book's library, {about}.\n"
        "# Colab already ships TensorFlow, Keras, NumPy and ipywidgets: --no-deps leaves them alone.\n"
        "import sys\n"
        "\n"
        f"if {INSTALL_MARK}:\n"
        f'    %pip install -q --no-deps "resnext_edu @ git+{url}@{ref}"'
    )


def sync(nb, path):
    """Put the badge and the install cell in place; returns True if anything changed."""
    changed = False
    first = nb.cells[0]
    if first.cell_type != "markdown" or not first.source.startswith("# "):
        raise SystemExit(f"{path}: the first cell must be markdown starting with '# Title'")
    lines = first.source.split("\n")
    badge = badge_line(path)
    kept = [ln for ln in lines if not ln.startswith(BADGE)]
    new_source = re.sub(r"\n{3,}", "\n\n", "\n".join([kept[0], "", badge, ""] + kept[1:])).rstrip()
    if new_source != first.source:
        first.source, changed = new_source, True
    code = [c for c in nb.cells if c.cell_type == "code"]
    if code and INSTALL_MARK in code[0].source:
        if code[0].source != install_source():
            code[0].source, changed = install_source(), True
    else:
        cell = nbformat.v4.new_code_cell(install_source())
        nb.cells.insert(1, cell)
        changed = True
    return changed


def sync_all(paths):
    """Sync every chapter of ``paths``; returns their paths relative to the repository (what `release` commits)."""
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if sync(nb, path):
            nbformat.write(nb, path)
            print(f"synced {path.relative_to(ROOT)}")
    return [path.relative_to(ROOT) for path in paths]


def problems(path):
    """What is out of sync in one chapter (empty if nothing)."""
    nb = nbformat.read(path, as_version=4)
    found = []
    if badge_line(path) not in nb.cells[0].source:
        found.append(f"{path.name}: first markdown cell lacks the Colab badge {badge_line(path)}")
    code = [c for c in nb.cells if c.cell_type == "code"]
    if not code or code[0].source != install_source():
        found.append(f"{path.name}: first code cell is not the install cell of tools/notebooks.py")
    return found


def normalise(nb):
    """Drop volatile metadata so that re-running a chapter changes only what it shows."""
    if not nb.metadata.get("widgets"):
        nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
        if cell.cell_type == "code":
            quiet_streams(cell)


NOISE = re.compile(r"^(WARNING: All log messages before absl|[IWE]\d{4} [\d:.]+ +\d+ \S+\.cc:\d+\])")


def quiet_streams(cell):
    """Drop TensorFlow's start-up log lines from stderr and merge consecutive stream outputs."""
    merged = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream" and out.name == "stderr":
            out.text = "".join(ln for ln in out.text.splitlines(True) if not NOISE.match(ln))
            if not out.text:
                continue
        if (
            merged
            and out.output_type == "stream"
            and merged[-1].output_type == "stream"
            and merged[-1].name == out.name
        ):
            merged[-1].text += out.text
        else:
            merged.append(out)
    cell.outputs = merged


def normalised_text(path):
    """The chapter as `normalise` and nbformat would write it (nbformat's JSON layout, a final newline)."""
    nb = nbformat.read(path, as_version=4)
    normalise(nb)
    return nbformat.writes(nb) + "\n"


# The kernel the chapters run in, here (`run`) and under nbval (`make test`): the reader's environment .venv-reader,
# with Colab's versions (requirements-colab.txt) and the library's wheel, registered by `make reader`. Its processes get
# these variables (TensorFlow logs at import otherwise; Keras' backend as in Colab).
READER_KERNEL = "resnext-reader"
# (Colab's ipykernel 6.17 warns on stderr at every start that Python 3.11's frozen modules may hide breakpoints.)
KERNEL_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}


def reader_kernel_problem():
    """Why the reader's kernel cannot run the chapters now (not installed, or its wheel older than the library), or
    None. Outputs stored by `run` and checked by nbval are both made in it."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    advice = "run `make reader` (`make test` and `make notebooks` do)"
    try:
        python = Path(KernelSpecManager().get_kernel_spec(READER_KERNEL).argv[0])
    except NoSuchKernel:
        return f"The reader's kernel '{READER_KERNEL}' is not installed: {advice}."
    source = ROOT / "resnext_edu"
    installed = next(python.parent.parent.glob("lib/python*/site-packages/resnext_edu"), None)
    stale = installed is None or any(
        not (installed / f.relative_to(source)).is_file()
        or (installed / f.relative_to(source)).read_bytes() != f.read_bytes()
        for f in source.rglob("*.py")
    )
    if stale:
        return f"The library changed since the reader's kernel installed its wheel: {advice}."
    return None


def run(paths):
    """Re-execute chapters in place in the reader's kernel (the one nbval checks them in), saving widget state."""
    import os

    from nbclient import NotebookClient

    problem = reader_kernel_problem()
    if problem:
        raise SystemExit(problem)
    for name, value in KERNEL_ENV.items():
        os.environ.setdefault(name, value)  # inherited by the kernels
    for path in paths:
        start = time.time()
        print(f"running {path.relative_to(ROOT)} in the kernel {READER_KERNEL} ...", flush=True)
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(
            nb,
            timeout=900,
            kernel_name=READER_KERNEL,
            store_widget_state=True,
            record_timing=False,
            resources={"metadata": {"path": str(path.parent)}},
        )
        client.execute()
        normalise(nb)
        nbformat.write(nb, path)
        print(f"  done in {time.time() - start:.0f} s", flush=True)


def main(argv):
    command, *files = argv or ["check"]
    paths = [Path(f).resolve() for f in files] or settings().chapters
    if command == "sync":
        sync_all(paths)
    elif command == "figures":
        return figures.main(files, settings().chapters, lambda path: path.write_text(normalised_text(path)))
    elif command in ("release", "notes"):
        return release.main(ROOT, argv, lambda root: sync_all(settings().chapters))
    elif command == "check-release":
        found = [p for path in settings().chapters for p in problems(path)]
        print("\n".join(found) or "every install cell pins the release of pyproject.toml and CHANGELOG.md")
        return release.main(ROOT, argv, None) or int(bool(found))
    elif command == "run":
        run(paths)
    elif command == "check":
        found = [p for path in paths for p in problems(path)]
        print("\n".join(found) or "all chapters in sync")
        return 1 if found else 0
    elif command == "normalise":
        for path in paths:
            text = normalised_text(path)
            if text != path.read_text():
                path.write_text(text)
                print(f"normalised {path.relative_to(ROOT)}")
    elif command == "check-normalised":
        found = [path for path in paths if normalised_text(path) != path.read_text()]
        for path in found:
            print(
                f"{path.relative_to(ROOT)}: not normalised (volatile metadata or layout): "
                "run `python tools/notebooks.py normalise` (or `make format`)"
            )
        print(f"{len(paths) - len(found)} of {len(paths)} chapters normalised")
        return 1 if found else 0
    else:
        raise SystemExit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
