"""A Sphinx extension of this book's own (`sphinx.local_extensions` in _config.yml): the chapters' explorers, live.

The explorers of ``resnext_edu.readouts.EXPLORERS`` are ipywidgets in a notebook; on a web page they would show only
their saved state. This extension makes them live in the reader's browser, computed by the library's own files:

- In each chapter, the code cell that calls an explorer's widget function (``widgets.cardinality_explorer(...)``)
  gets the classes ``live-explorer live-explorer-NAME``, and the cell that draws its whole range (its ``figure``
  function) ``live-explorer-figure-NAME``. A chapter that shows an explorer but not its figure is a build warning
  (an error under ``-W``): the figure is what readers see where the explorer cannot run.
- Those pages, and only those, load static/explorers.js (deferred) and static/explorers.css. The script shows the
  static figure with one line in the explorer's place; when the explorer nears the screen it loads Pyodide
  (_vendor/pyodide, served from _static/pyodide/), runs the library's files in it and replaces the saved widget by
  the same controls, calling the explorer's view (``readouts.cardinality_view``, ...). Opened from file:// or without
  WebAssembly, it keeps the figure and says the page must be served.
- At the end of the build, the files that ``readouts`` needs (itself, ``__init__.py`` and what it imports of
  ``resnext_edu``, read from their import statements) are copied from the package into _static/resnext_edu/; then,
  after every other extension has finished, each copy is compared with the package's file (and with the book's own
  resnext_edu/, if the build imported an installed copy) and the build fails if one differs.
"""

import ast
import hashlib
import re
import shutil
from pathlib import Path

from docutils import nodes
from sphinx.errors import ExtensionError
from sphinx.util import logging

import resnext_edu
from resnext_edu import readouts

logger = logging.getLogger(__name__)

PACKAGE = Path(resnext_edu.__file__).parent
TARGET = "resnext_edu"  # under _static/
PYODIDE = "pyodide"  # under _static/ (html_static_path: _vendor)


def library_files(package=PACKAGE, start="readouts.py"):
    """The package's files the browser needs: ``start``, ``__init__.py`` and every module of the package they import,
    transitively (``from resnext_edu import x``, ``from resnext_edu.x import y``, ``import resnext_edu.x``)."""
    todo, found = [start, "__init__.py"], set()
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        for node in ast.walk(ast.parse((package / name).read_text(), name)):
            if isinstance(node, ast.ImportFrom) and node.module == "resnext_edu":
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("resnext_edu."):
                modules = [node.module.split(".")[1]]
            elif isinstance(node, ast.Import):
                modules = [a.name.split(".")[1] for a in node.names if a.name.startswith("resnext_edu.")]
            else:
                continue
            for module in modules:
                if not (package / f"{module}.py").is_file():
                    raise ExtensionError(f"{name} imports resnext_edu.{module}: not a module file of the package")
                todo.append(f"{module}.py")
    return tuple(sorted(found))


def check_copies(package, target, names):
    """Raise ``ExtensionError`` unless each of ``names`` in ``target`` is byte for byte the package's file."""
    digest = lambda path: hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"
    differ = [name for name in names if digest(target / name) != digest(package / name)]
    if differ:
        raise ExtensionError(
            f"the copies of {', '.join(differ)} in {target} differ from the package's files in {package}: the live "
            "explorers would not run the library's own code"
        )


# --- the chapters' cells ---------------------------------------------------------------------------------------------


def _source(cell):
    return "\n".join(
        block.astext()
        for part in cell.findall(nodes.container)
        if part.get("nb_element") == "cell_code_source"
        for block in part.findall(nodes.literal_block)
    )


def mark_cells(app, doctree):
    """Classes on the cells that show an explorer and on those that draw its static figure (see the docstring)."""
    cells = [c for c in doctree.findall(nodes.container) if c.get("nb_element") == "cell_code"]
    for name, explorer in readouts.EXPLORERS.items():
        shown = figure = False
        for cell in cells:
            source = _source(cell)
            if re.search(rf"\b{explorer['widget']}\(", source):
                cell["classes"] += ["live-explorer", f"live-explorer-{name}"]
                shown = True
            if re.search(rf"\b{explorer['figure']}\(", source):
                cell["classes"].append(f"live-explorer-figure-{name}")
                figure = True
        if shown and not figure:
            logger.warning(
                f"this chapter shows the {name} explorer but not its whole range ({explorer['figure']}): readers "
                "who cannot run the live explorer would see nothing",
                location=app.env.docname,
            )


def add_assets(app, pagename, templatename, context, doctree):
    """explorers.js and explorers.css on the pages with a live explorer, and only there."""
    if doctree is None or not any("live-explorer" in c["classes"] for c in doctree.findall(nodes.container)):
        return
    files = library_files()
    attributes = {"data-pyodide": f"{PYODIDE}/", "data-library": f"{TARGET}/", "data-files": " ".join(files)}
    app.add_js_file("explorers.js", loading_method="defer", **attributes)
    app.add_css_file("explorers.css")


# --- the library's files in the site ---------------------------------------------------------------------------------


def copy_library(app, exception):
    if exception is None and app.builder.format == "html":
        target = Path(app.builder.outdir) / "_static" / TARGET
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for name in library_files():
            shutil.copyfile(PACKAGE / name, target / name)


def check_library(app, exception):
    """The copies against the package the build imported and against the book's own resnext_edu/ (the repository's
    source, when the build imports an installed copy of it)."""
    if exception is None and app.builder.format == "html":
        target = Path(app.builder.outdir) / "_static" / TARGET
        for package in dict.fromkeys([PACKAGE, Path(app.srcdir) / "resnext_edu"]):
            if package.is_dir():
                check_copies(package, target, library_files())


def setup(app):
    app.connect("doctree-read", mark_cells)
    app.connect("html-page-context", add_assets)
    app.connect("build-finished", copy_library, priority=100)
    app.connect("build-finished", check_library, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
