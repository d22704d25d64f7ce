"""The live explorers of the built book (_ext/live_explorers.py, _ext/static/explorers.js), in headless Chromium.

The book is built once (the `built_book` fixture of conftest.py) and served from 127.0.0.1 as tests/test_site.py
serves it (its Chromium, browser and server fixtures are reused: one browser session for this file); every request to
another host is aborted and recorded. For each live explorer the test moves its controls as a reader does (keyboard,
clicks, a slider dragged to a value), reads what the page shows (the readout's numbers, the controls, the chart's bars
and labels) and compares it with what `resnext_edu.complexity` computes here, in CPython, for the same settings. Also:
Pyodide loads only when the explorer nears the screen; the page makes no request outside the site and logs no console
error; where Pyodide is unavailable (its WebAssembly blocked, the page opened from file://) the reader gets the
chapter's static figure and the line saying the page must be served; the library files in the site are the
package's, and the build fails if a copy differs. The time from the page's load event to a live explorer is printed
(never asserted: the machine is shared). Screenshots go to _build/screenshots/explorer-*.png.
"""

import re
import sys
import urllib.parse
from pathlib import Path

import pytest
import test_site

from resnext_edu import complexity, readouts, style

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
import live_explorers  # noqa: E402  (_ext/live_explorers.py)

# The site's fixtures (module-scoped: this file gets its own browser session and server, on the same built book).
chromium, browser, site = test_site.chromium, test_site.browser, test_site.site
SCREENSHOTS = test_site.SCREENSHOTS

SERVE = "python3 -m http.server -d _build/html"
SETTLED = "() => ['live', 'fallback'].includes(window.resnextExplorers.state)"

READ = """(root) => {
  const text = (e) => (e ? e.innerText ?? e.textContent : '').replace(/\\s+/g, ' ').trim();
  const controls = {};
  for (const c of root.querySelectorAll('.rx-control')) {
    const input = c.querySelector('input, select');
    const value = input.type === 'checkbox' ? input.checked : text(c.querySelector('output')) || input.value;
    controls[c.dataset.control] = {value, disabled: input.disabled};
  }
  const figure = root.querySelector('.rx-still img');
  return {
    state: root.dataset.state,
    status: text(root.querySelector('.rx-status')),
    controls,
    readout: text(root.querySelector('.rx-readout')),
    heading: text(root.querySelector('.rx-readout b')),
    rows: Array.from(root.querySelectorAll('.rx-readout tr')).map(tr => Array.from(tr.cells).map(text)),
    panels: Array.from(root.querySelectorAll('.rx-panel')).map(p => ({
      title: text(p.querySelector('.rx-chart-title')),
      bars: Array.from(p.querySelectorAll('.rx-bar')).map(b => ({
        value: +b.dataset.value, height: +b.getAttribute('height'), series: b.dataset.series,
        category: b.dataset.category, fill: b.getAttribute('fill'), edge: b.getAttribute('stroke')})),
      labels: Array.from(p.querySelectorAll('.rx-bar-label')).map(t => t.textContent),
      reference: p.querySelector('.rx-reference') ? +p.querySelector('.rx-reference').dataset.value : null,
    })),
    figure: figure && !figure.closest('[hidden]') ? {src: figure.getAttribute('src'), width: figure.naturalWidth,
      shown: figure.getBoundingClientRect().height > 0} : null,
    widget_hidden: root.closest('.live-explorer').querySelector(':scope > .cell_output').offsetParent === null,
  };
}"""

SLIDE = """([input, value]) => {  // a slider dragged to `value`: the browser sets it and fires `input`
  input.value = value;
  input.dispatchEvent(new Event('input', {bubbles: true}));
}"""


def same_text(shown, markup):
    """The text a page shows against the text of an HTML string, compared without whitespace (tags become none)."""
    return re.sub(r"\s+", "", shown) == re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", markup))


def url_of(base, chapter):
    return urllib.parse.urljoin(base, f"book/{chapter}.html")


class Reader:
    """One page in the browser: every request recorded, other hosts' aborted, some of the site's blocked on purpose."""

    def __init__(self, browser, url, origin, block=()):
        self.errors, self.external, self.requests = [], [], []
        self.page = browser.new_page()
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(f"console error: {m.text}"))
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        self.page.route("**/*", lambda r: self.route(r, origin, block))
        self.page.goto(url, wait_until="load")

    def route(self, r, origin, block):
        target = r.request.url
        if any(target.endswith(suffix) for suffix in block):
            r.abort()
        elif target.startswith(origin) or target.startswith(("data:", "blob:", "about:")):
            r.continue_()
        else:
            self.external.append(target)
            r.abort()

    def explorer(self, name):
        return self.page.locator(f".rx-explorer[data-explorer='{name}']")

    def control(self, name, key):
        return self.explorer(name).locator(f"[data-control='{key}'] input, [data-control='{key}'] select")

    def settle(self, name):
        """Scroll the explorer into view (what starts Pyodide), wait until it is live or has fallen back."""
        self.explorer(name).scroll_into_view_if_needed()
        self.page.wait_for_function(SETTLED, timeout=120_000)
        return self.read(name)

    def read(self, name):
        return self.page.evaluate(READ, self.explorer(name).element_handle())

    def pyodide_requests(self):
        return [u for u in self.requests if "/_static/pyodide/" in u or "/_static/resnext_edu/" in u]

    def timing(self):
        return self.page.evaluate(
            "() => ({load: performance.getEntriesByType('navigation')[0].loadEventEnd, ...window.resnextExplorers})"
        )


@pytest.fixture
def reader(browser, site):
    base, _ = site
    opened = []

    def open_page(chapter, block=()):
        opened.append(Reader(browser, url_of(base, chapter), base, block))
        return opened[-1]

    yield open_page
    for page in opened:
        page.page.close()


def report_time(capsys, name, reader):
    t = reader.timing()
    with capsys.disabled():
        print(
            f"\n{name} explorer: live {(t['live'] - t['load']) / 1000:.1f} s after the load event "
            f"(Pyodide started {(t['started'] - t['load']) / 1000:.1f} s after it, when the explorer neared the "
            f"screen; {(t['live'] - t['started']) / 1000:.1f} s from start to live)"
        )


# --- the cardinality explorer ---------------------------------------------------------------------------------------


def check_cardinality(shown, c, d, keep):
    """What the page shows for C paths of width d, against complexity's counts (256-d in and out, 56x56)."""
    if keep:
        assert d == complexity.width_for_cardinality(c)
    params = complexity.block_params(256, 256, c, d)
    reference = complexity.block_params(256, 256, 1, 64)
    controls = shown["controls"]
    assert controls["cardinality"]["value"] == str(c) and controls["bottleneck_width"]["value"] == str(d)
    assert controls["keep_cost"]["value"] is keep and controls["bottleneck_width"]["disabled"] is keep
    assert same_text(shown["readout"], readouts.cardinality_readout_html(c, d))
    values = [row[1] for row in shown["rows"]]
    assert values == [
        f"{c} × {d}d",
        f"{c * d:,}",
        f"{params:,}",
        f"{complexity.block_macs(256, 256, c, d, 56) / 1e6:,.1f} M",
        f"{params / reference:.3f}×",
    ]
    (panel,) = shown["panels"]
    assert [b["value"] for b in panel["bars"]] == [reference, params]
    assert panel["labels"] == [f"{reference:,}", f"{params:,}"]
    assert panel["reference"] == reference and panel["title"] == f"{params / reference:.3f}× the ResNet block's weights"
    assert panel["bars"][1]["height"] / panel["bars"][0]["height"] == pytest.approx(params / reference, rel=1e-6)
    assert [(b["fill"], b["edge"]) for b in panel["bars"]] == [style.RESNET_BAR, style.RESNEXT_BAR]


def test_cardinality_explorer_shows_what_complexity_computes(reader, capsys):
    page = reader("04_cardinality_vs_width")
    assert page.page.evaluate("window.resnextExplorers.state") == "waiting" and page.pyodide_requests() == [], (
        "Pyodide waits until the explorer nears the screen"
    )
    shown = page.settle("cardinality")
    assert shown["state"] == "live", page.timing()
    report_time(capsys, "cardinality", page)
    page.explorer("cardinality").screenshot(path=SCREENSHOTS / "explorer-cardinality.png")
    assert shown["widget_hidden"] and shown["figure"] is None
    check_cardinality(shown, 32, 4, keep=True)

    c, keep, d = (page.control("cardinality", key) for key in ("cardinality", "keep_cost", "bottleneck_width"))
    c.press("Home")  # the keyboard, as a reader moves a focused slider
    check_cardinality(page.read("cardinality"), 1, 64, keep=True)
    c.press("End")
    check_cardinality(page.read("cardinality"), 64, complexity.width_for_cardinality(64), keep=True)
    page.page.evaluate(SLIDE, [c.element_handle(), readouts.CARDINALITIES.index(8)])
    check_cardinality(page.read("cardinality"), 8, 14, keep=True)
    keep.click()  # free the width: the d slider sets it
    page.page.evaluate(SLIDE, [d.element_handle(), 20])
    check_cardinality(page.read("cardinality"), 8, 20, keep=False)
    d.press("ArrowRight")
    check_cardinality(page.read("cardinality"), 8, 21, keep=False)
    keep.click()  # back to the equal-cost width
    check_cardinality(page.read("cardinality"), 8, 14, keep=True)

    assert page.errors == [] and page.external == []


# --- the network explorer -------------------------------------------------------------------------------------------


def check_network(shown, depth, c, d):
    arch = complexity.imagenet_architecture(depth, c, d)
    resnet = complexity.imagenet_architecture(depth, 1, 64)
    params, macs = complexity.model_params(depth, c, d), complexity.model_macs(depth, c, d)
    resnet_params, resnet_macs = complexity.model_params(depth, 1, 64), complexity.model_macs(depth, 1, 64)
    controls = shown["controls"]
    assert [controls[k]["value"] for k in ("depth", "cardinality", "bottleneck_width")] == [str(depth), str(c), str(d)]
    assert same_text(shown["readout"], readouts.network_readout_html(depth, c, d))
    assert shown["heading"] == (f"ResNet-{depth}" if (c, d) == (1, 64) else f"ResNeXt-{depth} ({c}×{d}d)")
    values = [row[1] for row in shown["rows"]]
    assert values == [
        f"{params / 1e6:,.2f} M ({params:,})",
        f"{macs / 1e9:,.3f} G",
        f"{params / resnet_params:.3f}×",
        f"{macs / resnet_macs:.3f}×",
    ]
    for panel, key, scale in zip(shown["panels"], ("params", "macs"), (1e6, 1e9), strict=True):
        n = len(complexity.stage_table(arch))
        for bars, network, name, colours in (
            (panel["bars"][:n], resnet, f"ResNet-{depth}", style.RESNET_BAR),
            (panel["bars"][n:], arch, shown["heading"], style.RESNEXT_BAR),
        ):
            rows = complexity.stage_table(network)
            assert [(b["series"], b["category"]) for b in bars] == [(name, row["stage"]) for row in rows]
            assert [b["value"] for b in bars] == pytest.approx([row[key] / scale for row in rows], rel=1e-12)
            assert {(b["fill"], b["edge"]) for b in bars} == {colours}


def test_network_explorer_shows_what_complexity_computes(reader, capsys):
    page = reader("05_whole_network")
    shown = page.settle("network")
    assert shown["state"] == "live", page.timing()
    report_time(capsys, "network", page)
    page.explorer("network").screenshot(path=SCREENSHOTS / "explorer-network.png")
    check_network(shown, 50, 32, 4)

    depth, c, d = (page.control("network", key) for key in ("depth", "cardinality", "bottleneck_width"))
    depth.select_option("101")
    c.press("End")  # C = 64: the paper's Table 4 network, 64 x 4d at depth 101
    check_network(page.read("network"), 101, 64, 4)
    depth.select_option("152")
    c.press("Home")
    page.page.evaluate(SLIDE, [d.element_handle(), 64])
    check_network(page.read("network"), 152, 1, 64)  # ResNet-152 itself
    depth.select_option("50")
    page.page.evaluate(SLIDE, [c.element_handle(), 8])
    page.page.evaluate(SLIDE, [d.element_handle(), 14])
    check_network(page.read("network"), 50, 8, 14)

    assert page.errors == [] and page.external == []


# --- where Pyodide cannot run ---------------------------------------------------------------------------------------


def static_figure(page, name):
    """The src of the chapter's own figure of the explorer's whole range (the output of its `figure` function)."""
    return page.page.locator(f".live-explorer-figure-{name} .cell_output img").first.get_attribute("src")


def check_fallback(shown, figure):
    assert shown["state"] == "fallback" and shown["widget_hidden"]
    assert f"The live explorer needs the page to be served by {SERVE};" in shown["status"]
    assert shown["figure"]["src"] == figure and shown["figure"]["shown"], "the chapter's figure in its place"
    assert shown["figure"]["width"] > 0, "and loaded"


def test_without_webassembly_the_reader_gets_the_static_figure(reader):
    """Pyodide's WebAssembly blocked (a server that does not serve it, a failed download): the figure stays."""
    page = reader("04_cardinality_vs_width", block=("/pyodide.asm.wasm",))
    shown = page.settle("cardinality")
    page.explorer("cardinality").screenshot(path=SCREENSHOTS / "explorer-fallback.png")
    check_fallback(shown, static_figure(page, "cardinality"))
    assert "Python could not start here" in shown["status"]
    # Chromium logs the aborted request, and Pyodide 0.28 leaves its failed fetch's rejection unhandled: nothing else.
    expected = {"console error: Failed to load resource: net::ERR_FAILED", "page error: Failed to fetch"}
    assert set(page.errors) <= expected
    assert page.external == []


def test_from_file_the_reader_gets_the_static_figure_and_no_request_is_tried(browser, site):
    _, html_dir = site
    page = Reader(browser, (html_dir / "book" / "05_whole_network.html").as_uri(), "file://")
    try:
        shown = page.read("network")  # at once: nothing to wait for
        check_fallback(shown, static_figure(page, "network"))
        assert "opened from a file, it cannot load Python" in shown["status"]
        assert page.pyodide_requests() == [] and page.errors == [] and page.external == []
    finally:
        page.page.close()


# --- the library's files in the site --------------------------------------------------------------------------------


def test_the_site_runs_the_package_files(site):
    _, html_dir = site
    files = live_explorers.library_files()
    assert files == ("__init__.py", "_checks.py", "architectures.py", "complexity.py", "readouts.py", "style.py")
    copies = html_dir / "_static" / "resnext_edu"
    assert sorted(p.name for p in copies.iterdir()) == list(files)
    for name in files:
        assert (copies / name).read_bytes() == (live_explorers.PACKAGE / name).read_bytes(), name
    for page in sorted(html_dir.rglob("*.html")):
        with_explorer = page.stem in ("04_cardinality_vs_width", "05_whole_network")
        assert ("_static/explorers.js" in page.read_text()) == with_explorer, "Pyodide's loader only where it is used"
        if with_explorer:
            assert 'data-files="' + " ".join(files) + '"' in page.read_text()


def sphinx_build(tmp_path, tamper):
    """A one-page Sphinx site with this extension; `tamper` edits a copy between the copying and the check."""
    from sphinx.application import Sphinx

    src = tmp_path / "src"
    src.mkdir(parents=True)
    sys.modules.pop("tamper", None)  # each build imports its own
    (src / "index.rst").write_text("Explorers\n=========\n")
    paths = [str(ROOT / "_ext"), str(src)]
    (src / "conf.py").write_text(f"import sys\nsys.path[:0] = {paths!r}\nextensions = ['live_explorers', 'tamper']\n")
    (src / "tamper.py").write_text(
        "from pathlib import Path\n"
        "def tamper(app, exception):\n"
        f"    if {tamper!r}:\n"
        "        copy = Path(app.outdir) / '_static' / 'resnext_edu' / 'complexity.py'\n"
        "        copy.write_text(copy.read_text().replace('return c * (', 'return 2 * c * ('))\n"
        "def setup(app):\n"
        "    app.connect('build-finished', tamper, priority=500)\n"
    )
    app = Sphinx(src, src, tmp_path / "out", tmp_path / "doctrees", "html", status=None, warning=None, freshenv=True)
    app.build()
    return tmp_path / "out" / "_static" / "resnext_edu"


def test_the_build_fails_when_a_copied_library_file_differs(tmp_path):
    from sphinx.errors import ExtensionError

    copies = sphinx_build(tmp_path / "as-copied", tamper=False)
    assert (copies / "complexity.py").read_bytes() == (live_explorers.PACKAGE / "complexity.py").read_bytes()
    with pytest.raises(ExtensionError, match=r"copies of complexity\.py .* differ from the package's files"):
        sphinx_build(tmp_path / "tampered", tamper=True)
