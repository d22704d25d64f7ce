"""Captions and alt texts of the chapters' figures, stored in each figure cell's metadata as myst-nb reads it:

    "metadata": {"mystnb": {"figure": {"name": "fig-...", "caption": "..."}, "image": {"alt": "..."}}}

The web book shows the caption under the figure (numbered, and `{numref}`-able by its name) and gives the image that
alt text, which is what a screen reader reads out instead of the picture (without it, myst-nb's alt text is the image's
file name). A figure cell is a code cell whose stored outputs show an image (myst-nb's choice among its
representations). Commands (`python tools/notebooks.py figures ...`):

    figures check [FILES]     # exit 1 if a figure cell lacks a name, a caption or an alt text that says what it shows
    figures export [FILES]    # the chapters' captions and alt texts as YAML (chapter file -> cell id -> texts)
    figures apply FILE.yml    # write them back into the chapters' figure cells, by cell id, else by identical source

`export` and `apply` carry the texts across a merge or a rewrite that lost them; a figure that `apply` cannot place is
reported, and `check` keeps failing until someone writes its texts (by hand: they describe what the cell draws).
"""

import re

import nbformat
import yaml

# myst-nb's order of preference among an output's representations (its default for HTML).
MIME_PRIORITY = [
    "application/vnd.jupyter.widget-view+json",
    "application/javascript",
    "text/html",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "text/markdown",
    "text/latex",
    "text/plain",
]
NAME = re.compile(r"^fig-[a-z0-9]+(-[a-z0-9]+)*$")
FILE_NAME = re.compile(r"(^|[\s/\\])[\w.-]+\.(png|jpe?g|svg|gif|webp)\b|/|\\|_images", re.I)
MIN_WORDS = 6


def images(cell):
    """How many of the cell's outputs the web book shows as an image."""
    count = 0
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        best = next((m for m in MIME_PRIORITY if m in data), None)
        count += bool(best and best.startswith("image/"))
    return count


def figure_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and images(c)]


def texts(cell):
    """(name, caption, alt) of a cell, each '' where missing."""
    mystnb = cell.metadata.get("mystnb", {})
    figure, image = mystnb.get("figure", {}), mystnb.get("image", {})
    return str(figure.get("name", "")), str(figure.get("caption", "")), str(image.get("alt", ""))


def alt_problem(alt, caption):
    """Why an alt text does not say what a figure shows, or None."""
    if not alt.strip():
        return "no alt text"
    if FILE_NAME.search(alt):
        return f"an alt text that is (or holds) a path or file name: {alt!r}"
    if len(alt.split()) < MIN_WORDS:
        return f"an alt text of fewer than {MIN_WORDS} words: {alt!r}"
    if alt.strip() == caption.strip():
        return "an alt text equal to the caption (the page shows the caption: say what the picture shows)"
    return None


def problems(path):
    nb = nbformat.read(path, as_version=4)
    found = []
    for cell in figure_cells(nb):
        name, caption, alt = texts(cell)
        where = f"{path.name}, cell {cell.get('id', '?')} ({cell.source.strip().splitlines()[0][:50]!r})"
        if images(cell) > 1:
            found.append(f"{where}: shows {images(cell)} images; one figure a cell (its caption and name are one)")
        if not NAME.match(name):
            found.append(f"{where}: figure name {name!r} is not 'fig-words-joined-by-hyphens'")
        if len(caption.split()) < 3:
            found.append(f"{where}: no caption (mystnb.figure.caption), or one of fewer than 3 words")
        problem = alt_problem(alt, caption)
        if problem:
            found.append(f"{where}: {problem} (mystnb.image.alt)")
    return found


def duplicate_names(paths):
    names = [texts(c)[0] for p in paths for c in figure_cells(nbformat.read(p, as_version=4)) if texts(c)[0]]
    return sorted({n for n in names if names.count(n) > 1})


def export(paths):
    data = {}
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        for cell in figure_cells(nb):
            name, caption, alt = texts(cell)
            if name or caption or alt:
                entry = {"name": name, "caption": caption, "alt": alt, "source": cell.source}
                data.setdefault(path.name, {})[cell.get("id", "")] = entry
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def apply(paths, text):
    """Write the texts of an `export` into the chapters; returns (changed paths, what could not be placed)."""
    data = yaml.safe_load(text) or {}
    changed, unplaced = [], []
    for path in paths:
        entries = data.get(path.name, {})
        if not entries:
            continue
        nb = nbformat.read(path, as_version=4)
        cells = figure_cells(nb)
        touched = False
        for cell_id, entry in entries.items():
            cell = next((c for c in cells if c.get("id") == cell_id), None)
            cell = cell or next((c for c in cells if c.source == entry.get("source")), None)
            if cell is None:
                unplaced.append(f"{path.name}: no figure cell with id {cell_id} or its source ({entry['name']})")
                continue
            mystnb = cell.metadata.setdefault("mystnb", {})
            mystnb.setdefault("figure", {}).update(name=entry["name"], caption=entry["caption"])
            mystnb.setdefault("image", {})["alt"] = entry["alt"]
            touched = True
        if touched:
            nbformat.write(nb, path)
            changed.append(path)
    return changed, unplaced


def main(argv, chapters, normalise):
    """`figures check|export [FILES]`, `figures apply FILE.yml [FILES]`; ``normalise(path)`` after each write."""
    from pathlib import Path

    command, *args = argv or ["check"]
    if command == "apply":
        if not args:
            raise SystemExit("usage: tools/notebooks.py figures apply FILE.yml [CHAPTERS]")
        text, files = Path(args[0]).read_text(), args[1:]
    else:
        text, files = None, args
    paths = [Path(f).resolve() for f in files] or chapters
    if command == "check":
        found = [p for path in paths for p in problems(path)]
        found += [f"figure name {n} is used more than once" for n in duplicate_names(paths)]
        print("\n".join(found) or f"every figure of {len(paths)} chapters has a name, a caption and an alt text")
        return 1 if found else 0
    if command == "export":
        print(export(paths), end="")
        return 0
    if command == "apply":
        changed, unplaced = apply(paths, text)
        for path in changed:
            normalise(path)
            print(f"wrote the figures' texts into {path.name}")
        print("\n".join(unplaced))
        return 1 if unplaced else 0
    raise SystemExit(__doc__)
