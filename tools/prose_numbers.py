"""No number typed into a chapter's prose: each must be printed by a cell of the chapter or be reported by the paper.

    python tools/prose_numbers.py [FILES]   # lists every typed number; exit 1 if there is one

What is checked: in markdown cells, every number written with a decimal point or as a grouped count (22.2, 0.8,
25,028,904, 50,000): results, counts and measurements. Plain integers (256 channels, 224×224, 32 paths) are words
of the argument and are not checked. Left out as well: fenced code, code spans, math ($...$, $$...$$), links and
images (text and address), HTML tags, arXiv identifiers, software versions (TensorFlow 2.21, 7.7.1), numbers of
sections, tables, figures, equations and appendices (Sec. 5.1, Secs. 3.2 and 3.3), and a heading's own number.

A number is accepted when it equals, as a decimal number, a number in a stored output of the same chapter (text
outputs: streams, text/plain, text/markdown, text/html), or a value of ``resnext_edu.paper`` (``paper.values()``)
in a sentence that names its source (the paper, Xie et al., a table, section, figure or appendix, "reported"):
a "0.8 times as fast" typed in a sentence of its own is not accepted because Sec. 5.1 happens to print 0.8. Equal
means equal as written: "4.23" matches a printed "4.230" and "25,028,904" a printed "25028904", and
"25.0 M" matches the paper's 25.0 (Table 1 prints 25.0×10⁶); but "4.2" is not accepted because a cell printed
4.23, nor "25.0" because a cell printed 25,028,904: rounding is the reader's to check, so the chapter prints
the rounded number it writes.
"""

import json
import re
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

# A number as prose writes one: a grouped count (25,028,904, optionally with decimals) or a decimal (22.2).
NUMBER = re.compile(r"(?<![\w.,@])(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+)(?![\d]|\.\d|,\d{3})")
# Any number in an output (integers too: a prose "50,000" may be printed as 50000).
OUTPUT_NUMBER = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\w.])\d+(?:\.\d+)?")

_REF_WORDS = (
    r"Sec(?:tion)?s?\.?|§+|Tables?|Tab\.|Fig(?:ure)?s?\.?|Eq(?:uation)?s?\.?|Eqns?\.?|Appendix|Appendices|"
    r"[Cc]hapters?|[Ff]ootnotes?"
)
# A sentence that cites the paper (a paper value is accepted only there).
CITES = re.compile(r"\bpaper\b|\bXie\b|\bTables?\b|\bSec(?:tion)?s?\b|§|\bFig(?:ure)?s?\b|\bAppendix\b|\breport", re.I)
SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+(?=[A-Z(*_\[])|\n\s*\n|\n\s*(?:[-*+]|\d+\.)\s|\n\|")
_REF_NUM = r"\(?\d+(?:\.\d+)*[a-z]?\)?"
_SOFTWARE = (
    r"Python|TensorFlow|Keras|JAX|jax|jaxlib|PyTorch|torch|torchvision|NumPy|numpy|matplotlib|ipywidgets|"
    r"scikit-learn|CUDA|cuDNN|nbval|Jupyter Book|jupyter-book|Sphinx|myst-nb|pip|Chromium|version|v"
)
# Spans whose numbers are not results; replaced by blanks before numbers are looked for (order matters).
MASKS = (
    re.compile(r"^(`{3,}|~{3,})(?!\{).*?^\1\s*$", re.M | re.S),  # fenced code (a MyST directive's body is prose)
    re.compile(r"^(`{3,}|~{3,})\{.*$", re.M),  # a directive's opening line
    re.compile(r"^:[\w-]+:.*$", re.M),  # a directive's options
    re.compile(r"(`+).+?\1", re.S),  # code spans
    re.compile(r"\$\$.+?\$\$|\$[^$\n]+\$|\\\(.+?\\\)|\\\[.+?\\\]", re.S),  # math
    re.compile(r"\\begin\{(\w+\*?)\}.*?\\end\{\1\}", re.S),
    re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\([^)]*\)|!?\[[^\]]*\]\[[^\]]*\]|<https?://[^>]+>|https?://\S+"),
    re.compile(r"<[^>\n]+>"),  # HTML tags and their attributes
    re.compile(r"arXiv[:\s]*\d{4}\.\d{4,5}(?:v\d+)?", re.I),
    re.compile(rf"\b(?:{_SOFTWARE})\s*\d+(?:\.\d+)+\w*"),  # software versions
    re.compile(r"(?<![\w.])\d+\.\d+\.\d+(?:\.\d+)*"),  # a dotted triple is a version, not a number
    re.compile(rf"(?:{_REF_WORDS})\s*{_REF_NUM}(?:\s*(?:,|and|or|&|–|-|to)\s*{_REF_NUM})*"),
    re.compile(r"^#{1,6}\s+\d+(?:\.\d+)*", re.M),  # a heading's own number
)


@dataclass(frozen=True)
class Typed:
    """A number written in a markdown cell that no output of the chapter prints and the paper does not report."""

    cell: int  # index of the cell in the notebook
    number: str
    context: str

    def __str__(self):
        return f"cell {self.cell}: {self.number!r} in “{self.context}”"


def masked(markdown):
    """``markdown`` with code, math, links, tags, versions and section numbers blanked out (same length)."""
    for pattern in MASKS:
        markdown = pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), markdown)
    return markdown


def prose_numbers(markdown):
    """``(text, start, end)`` of each checked number in a markdown cell's source."""
    return [(m.group(), m.start(), m.end()) for m in NUMBER.finditer(masked(markdown))]


def sentence(markdown, start, end):
    """The sentence (or list item, or table row) of ``markdown`` around ``start:end``."""
    begin = max((m.end() for m in SENTENCE_END.finditer(markdown, 0, start)), default=0)
    after = SENTENCE_END.search(markdown, end)
    return markdown[begin : after.start() if after else len(markdown)]


def value(text):
    """The decimal value of a number as written ("25,028,904" -> 25028904, "4.230" == "4.23")."""
    return Decimal(text.replace(",", ""))


def _output_text(cell):
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            yield "".join(out.get("text", ""))
        for mime in ("text/plain", "text/markdown", "text/html"):
            data = out.get("data", {}).get(mime)
            if data:
                yield "".join(data)


def output_values(nb):
    """Every number in the stored text outputs of a notebook (a dict as json.load gives it)."""
    found = set()
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            for text in _output_text(cell):
                found.update(value(m.group()) for m in OUTPUT_NUMBER.finditer(text))
    return found


def paper_values():
    """``resnext_edu.paper``'s values as decimals, as the paper prints them (repr: 25.0, 3.58, 0.0001)."""
    from resnext_edu import paper

    return {Decimal(repr(v)) for v in paper.values()}


def typed_numbers(notebook, reported=None):
    """The typed numbers of a chapter (path or dict): ``Typed`` records, empty when every number is accounted for.

    ``reported``: the accepted paper values (default ``paper_values()``).
    """
    nb = json.loads(Path(notebook).read_text()) if not isinstance(notebook, dict) else notebook
    printed = output_values(nb)
    reported = paper_values() if reported is None else set(reported)
    typed = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        source = "".join(cell["source"])
        for text, start, end in prose_numbers(source):
            number = value(text)
            cited = number in reported and CITES.search(sentence(source, start, end))
            if number not in printed and not cited:
                context = " ".join(source[max(0, start - 40) : end + 25].split())
                typed.append(Typed(index, text, context))
    return typed


def main(paths):
    if not paths:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import notebooks

        paths = notebooks.settings()[3]
    found = 0
    for path in map(Path, paths):
        for typed in typed_numbers(path):
            print(f"{path}: {typed}")
            found += 1
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
