"""The built book, read in a real browser: headless Chromium (Debian's package), driven by Playwright.

The book is built once (the `built_book` fixture: from scratch, warnings as errors, nit-picky), served from
127.0.0.1, and every chapter page is opened as a reader offline would see it: every request to another host is aborted
and recorded. For each chapter: no JavaScript error, no failed request, its figures loaded, its math typeset, its
widgets showing their saved state, the table of contents linking every chapter, the Colab links pointing at its
notebook on the repository and branch of _config.yml, and every internal link landing on a page and anchor that
exist. Screenshots of each chapter go to _build/screenshots/: NN.png (the top of the page), NN-full.png (all of it)
and NN-widget.png (its first widget, if it has one).

Why Playwright (the PyPI package `playwright`, requirements-dev.txt): it drives the system's Chromium over the DevTools
protocol with nothing to match against the browser's version (Selenium would need Debian's chromium-driver too), and
it reports page errors, console messages, failed requests and lets the test intercept every request, which is what
the checks below are made of. Its own browser download (`playwright install`) is never used: it launches
/usr/bin/chromium. Chromium is found, or installed with apt-get when the tests run as root (as CI does); if it can be
neither, the test fails: it never skips.
"""

import functools
import hashlib
import html
import html.parser
import http.server
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "_build" / "screenshots"

# Chromium's flags on these machines: without the background-networking ones it hangs on refused connections. The
# fresh --user-data-dir is passed by Playwright (launch_persistent_context), which refuses it among these arguments.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Hosts a page may still fetch from, with the reason. None: MathJax, require.js and the widget manager are served from
# _static, and the Colab badge is drawn locally (_ext/book_html.py). Any other request leaves the machine, fails
# offline, and fails this test.
ALLOWED_EXTERNAL_HOSTS: dict[str, str] = {}

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# The order in which myst-nb picks one representation of an output for HTML (its default mime priority).
MIME_PRIORITY = [
    WIDGET_VIEW,
    "application/javascript",
    "text/html",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "text/markdown",
    "text/latex",
    "text/plain",
]


# --- the browser ---------------------------------------------------------------------------------------------------


def find_chromium():
    for candidate in (os.environ.get("CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium: found, or installed with apt-get where the tests run as root (CI); else the tests fail."""
    path = find_chromium()
    if path is None and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
            result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
            assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        path = find_chromium()
    if path is None:
        pytest.fail(
            "The browser tests need Debian's Chromium: `apt-get install chromium` as root (the tests do it "
            "themselves when run as root), or set CHROMIUM=/path/to/chromium."
        )
    return path


@pytest.fixture(scope="module")
def site(built_book):
    """The built book, served on 127.0.0.1 (as `python -m http.server -d _build/html` serves it to a reader)."""
    assert built_book.returncode == 0, "the book does not build: see test_book_builds_with_warnings_as_errors"

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=built_book.html))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/", built_book.html
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="chromium-") as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(30_000)
        yield context
        context.close()


# --- what a page shows ---------------------------------------------------------------------------------------------


@dataclass
class Visit:
    url: str
    errors: list = field(default_factory=list)  # page errors, console errors, failed or refused requests
    external: list = field(default_factory=list)  # requests to other hosts (aborted)
    facts: dict = field(default_factory=dict)  # what the page's DOM showed once rendered


COLLECT = """() => {
  const text = e => (e.innerText || e.textContent || '').replace(/\\s+/g, ' ').trim();
  const image = i => ({src: i.currentSrc || i.src, complete: i.complete, width: i.naturalWidth,
                       height: i.naturalHeight, in_widget: !!i.closest('.jupyter-widgets'),
                       in_output: !!i.closest('.cell_output')});
  const views = Array.from(document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]'));
  return {
    title: document.title,
    images: Array.from(document.images).map(image),
    toc: Array.from(document.querySelectorAll('nav.bd-docs-nav a')).map(a => ({href: a.href, text: text(a)})),
    links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
    colab: Array.from(document.querySelectorAll('a[href*="colab.research.google.com"]')).map(
      a => ({href: a.href, badge: !!a.querySelector('img'), in_article: !!a.closest('article')})),
    scripts: Array.from(document.scripts).filter(s => s.src).map(s => s.src),
    math: {
      spans: document.querySelectorAll('.math').length,
      untypeset: Array.from(document.querySelectorAll('.math')).filter(e => !e.querySelector('mjx-container'))
        .map(e => e.textContent.slice(0, 80)),
      containers: document.querySelectorAll('mjx-container').length,
      empty: Array.from(document.querySelectorAll('mjx-container')).filter(
        e => !e.querySelector('mjx-math') || (e.offsetParent !== null && e.getBoundingClientRect().width === 0)).length,
      errors: Array.from(document.querySelectorAll('mjx-merror')).map(e => e.textContent.slice(0, 80)),
    },
    widgets: views.map(s => {
      const area = s.previousElementSibling;
      const root = area && area.classList.contains('widget-subarea') ? area : null;
      return {
        rendered: !!(root && root.querySelector('.jupyter-widgets')),
        text: root ? text(root) : '',
        readouts: root ? Array.from(root.querySelectorAll('.widget-readout')).map(text) : [],
        images: root ? Array.from(root.querySelectorAll('img')).map(image) : [],
      };
    }),
  };
}"""


RENDERED = """() =>
  Array.from(document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')).every(
    s => s.previousElementSibling && s.previousElementSibling.querySelector('.jupyter-widgets'))
  && Array.from(document.images).every(i => i.complete)"""


def open_page(browser, url, origin):
    """Load one page, wait until it has rendered everything it will render, and read it."""
    visit = Visit(url)
    page = browser.new_page()

    def route(r):
        target = r.request.url
        if target.startswith(origin) or target.startswith(("data:", "blob:", "about:")):
            r.continue_()
        else:
            host = urllib.parse.urlsplit(target).hostname
            if host not in ALLOWED_EXTERNAL_HOSTS:
                visit.external.append(target)
            r.abort()

    def console(message):
        if message.type == "error":
            source = message.location.get("url", "")
            host = urllib.parse.urlsplit(source).hostname
            if message.text.startswith("Failed to load resource") and host in ALLOWED_EXTERNAL_HOSTS:
                return
            visit.errors.append(f"console error: {message.text} ({source})")

    def response(r):
        if r.status >= 400:
            visit.errors.append(f"HTTP {r.status}: {r.url}")

    page.route("**/*", route)
    page.on("console", console)
    page.on("pageerror", lambda error: visit.errors.append(f"page error: {error}"))
    page.on("response", response)
    page.on(
        "requestfailed",
        lambda r: r.url.startswith(origin) and visit.errors.append(f"request failed: {r.url} ({r.failure})"),
    )
    try:
        page.goto(url, wait_until="load")
        # MathJax typesets after the load event; the widget manager renders each saved view next to its <script>.
        page.evaluate(
            "async () => { if (window.MathJax && MathJax.startup && MathJax.startup.promise) "
            "await MathJax.startup.promise; }"
        )
        try:
            page.wait_for_function(RENDERED, timeout=20_000)
        except Exception:  # noqa: BLE001 - reported by the checks on the facts below
            visit.errors.append("widgets or images still unrendered after 20 s")
        page.wait_for_load_state("networkidle")
        visit.facts = page.evaluate(COLLECT)
        return visit, page
    except Exception:
        page.close()
        raise


@pytest.fixture(scope="module")
def visits(site, browser):
    """chapter path -> Visit, each page loaded once (and its screenshots saved) the first time a test asks for it."""
    base, _ = site
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    @functools.cache
    def visit(path):
        url = urllib.parse.urljoin(base, page_path(path))
        result, page = open_page(browser, url, base)
        number = path.stem.split("_")[0]
        page.screenshot(path=SCREENSHOTS / f"{number}.png")
        page.screenshot(path=SCREENSHOTS / f"{number}-full.png", full_page=True)
        widget = page.locator(".rx-explorer, .widget-subarea:visible").first  # a live explorer replaces its widget
        if widget.count():
            widget.screenshot(path=SCREENSHOTS / f"{number}-widget.png")
        page.close()
        return result

    return visit


# --- what each chapter should show, read from its notebook and from _config.yml ------------------------------------


def page_path(path):
    return path.resolve().relative_to(ROOT).with_suffix(".html").as_posix()


def load(path):
    return json.loads(path.read_text())


def title(nb):
    """The chapter's title as a page shows it: its first line, without the heading mark and inline markup."""
    first = "".join(nb["cells"][0]["source"]).split("\n")[0].removeprefix("# ")
    return re.sub(r"\s+", " ", re.sub(r"[`*$]", "", first)).strip()


def shown(cell):
    tags = set(cell.get("metadata", {}).get("tags", []))
    return not tags & {"remove-cell", "remove_cell", "remove-output", "remove_output"}


def figures(nb):
    """Outputs that the page shows as an image: those whose best representation is an image (myst-nb's priority)."""
    count = 0
    for cell in nb["cells"]:
        if cell["cell_type"] != "code" or not shown(cell):
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            best = next((m for m in MIME_PRIORITY if m in data), None)
            count += bool(best and best.startswith("image/"))
    return count


def uses_math(nb):
    markdown = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    return bool(re.search(r"\$[^$\n]+\$", markdown))


def plain_text(markup):
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup))).strip()


def shown_widgets(nb):
    """For each widget view the chapter displays: the texts of its HTML and Label models, the values of its integer
    sliders, and the number of images its Output models hold (all models reachable from the view)."""
    state = nb["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    views = [
        out["data"][WIDGET_VIEW]["model_id"]
        for cell in nb["cells"]
        if cell["cell_type"] == "code" and shown(cell)
        for out in cell.get("outputs", [])
        if WIDGET_VIEW in out.get("data", {})
    ]
    expected = []
    for view in views:
        seen, todo = set(), [view]
        while todo:
            model = todo.pop()
            if model in seen or model not in state:
                continue
            seen.add(model)
            todo += re.findall(r"IPY_MODEL_([0-9a-f]+)", json.dumps(state[model]["state"]))
        models = [state[m] for m in seen]
        expected.append(
            {
                "texts": [
                    plain_text(m["state"].get("value", ""))
                    for m in models
                    if m["model_name"] in ("HTMLModel", "HTMLMathModel", "LabelModel")
                    and plain_text(m["state"].get("value", ""))
                ],
                "readouts": sorted(readout(m) for m in models if readout(m) is not None),
                "images": sum(
                    any(k.startswith("image/") for k in o.get("data", {}))
                    for m in models
                    if m["model_name"] == "OutputModel"
                    for o in m["state"].get("outputs", [])
                ),
            }
        )
    return expected


def readout(model):
    """What a slider shows next to its handle: an integer slider its value, a selection slider its label."""
    state = model["state"]
    if not state.get("readout", True):
        return None
    if model["model_name"] == "IntSliderModel":
        return str(state["value"])
    if model["model_name"] == "SelectionSliderModel":
        return str(state["_options_labels"][state["index"]])
    return None


def expected_colab_url(path):
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    github = urllib.parse.urlsplit(repo["url"]).path.strip("/")
    in_repo = "/".join(p for p in (repo.get("path_to_book", "").strip("/"), page_path(path)) if p)
    return f"https://colab.research.google.com/github/{github}/blob/{repo.get('branch', 'main')}/{in_repo}".replace(
        ".html", ".ipynb"
    )


# --- the checks ----------------------------------------------------------------------------------------------------


def test_page_loads_with_no_javascript_error_and_no_request_leaving_the_machine(visits, chapter):
    visit = visits(chapter)
    assert visit.errors == []
    assert visit.external == [], f"requests to other hosts (allowed: {ALLOWED_EXTERNAL_HOSTS})"
    assert title(load(chapter)) in visit.facts["title"]


def test_every_figure_is_a_loaded_image(visits, chapter):
    images = visits(chapter).facts["images"]
    assert [i for i in images if not (i["complete"] and i["width"] > 0 and i["height"] > 0)] == []
    in_outputs = [i for i in images if i["in_output"] and not i["in_widget"]]
    assert len(in_outputs) == figures(load(chapter)), "one loaded <img> for each figure stored in the chapter"


def test_table_of_contents_links_every_chapter_in_order(visits, site, book, chapter):
    base, _ = site
    toc = [(link["href"].split("#")[0], link["text"]) for link in visits(chapter).facts["toc"]]
    expected = [(urllib.parse.urljoin(base, page_path(p)), title(load(p))) for p in book.chapters]
    assert [entry for entry in toc if entry in expected] == expected


def test_colab_links_open_this_chapter_on_the_configured_repository_and_branch(visits, chapter):
    colab = visits(chapter).facts["colab"]
    assert any(link["badge"] and link["in_article"] for link in colab), "the chapter's Open in Colab badge"
    assert {link["href"] for link in colab} == {expected_colab_url(chapter)}


def test_math_is_typeset_offline(visits, chapter):
    math = visits(chapter).facts["math"]
    assert math["untypeset"] == [] and math["errors"] == [] and math["empty"] == 0
    if uses_math(load(chapter)):
        assert math["containers"] > 0 and math["spans"] > 0


def test_widgets_show_their_saved_state(visits, chapter):
    shown = visits(chapter).facts["widgets"]
    expected = shown_widgets(load(chapter))
    assert len(shown) == len(expected), "one rendered widget area per widget view stored in the chapter"
    for got, want in zip(shown, expected, strict=True):
        assert got["rendered"], "the widget manager rendered the saved state"
        for text in want["texts"]:  # compared without whitespace: tags become line breaks or nothing
            assert re.sub(r"\s+", "", text) in re.sub(r"\s+", "", got["text"])
        assert sorted(got["readouts"]) == want["readouts"]
        loaded = [i for i in got["images"] if i["complete"] and i["width"] > 0]
        assert len(loaded) == want["images"], "the images that the widget's Output holds"


def test_internal_links_land_on_existing_pages_and_anchors(visits, site, chapter):
    base, html_dir = site
    broken = []
    for href in visits(chapter).facts["links"]:
        if not href.startswith(base):
            continue
        target, _, anchor = href[len(base) :].partition("#")
        file = html_dir / urllib.parse.unquote(target.split("?")[0] or "index.html")
        if file.is_dir():
            file = file / "index.html"
        if not file.is_file():
            broken.append(href)
        elif (
            anchor
            and file.suffix == ".html"
            and not re.search(
                rf"""\bid=["']{re.escape(urllib.parse.unquote(anchor))}["']""", file.read_text(errors="replace")
            )
        ):
            broken.append(href)
    assert broken == []


class Loads(html.parser.HTMLParser):
    """The URLs that a page makes the browser fetch by itself: scripts, images, frames, stylesheets, preloads, icons
    (plain links and inline scripts' strings are not loads)."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "audio", "video", "embed") and a.get("src"):
            self.urls.append(a["src"])
        elif tag == "link" and set((a.get("rel") or "").split()) & {"stylesheet", "preload", "modulepreload", "icon"}:
            self.urls.append(a.get("href") or "")


def test_pages_load_only_local_scripts_styles_and_images(site):
    """Every page of the built site, read as HTML: nothing it loads comes from another host."""
    _, html_dir = site
    remote = []
    for page in sorted(html_dir.rglob("*.html")):
        parser = Loads()
        parser.feed(page.read_text(errors="replace"))
        remote += [
            (page.relative_to(html_dir).as_posix(), url)
            for url in parser.urls
            if re.match(r"^([a-z]+:)?//", url, re.I)
            and urllib.parse.urlsplit(url).hostname not in ALLOWED_EXTERNAL_HOSTS
        ]
    assert remote == []


def test_widget_scripts_only_on_pages_with_widgets(site, book):
    _, html_dir = site
    for path in book.chapters:
        page = (html_dir / page_path(path)).read_text()
        has_state = bool(load(path)["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state"))
        assert ("widgets/embed-amd.js" in page) == has_state, path.name


def test_the_book_opens_from_disk_without_a_server(browser, site, book):
    """`open _build/html/index.html`: it leads to the first chapter; that chapter and the first one with widgets
    render from file:// URLs as they do when served."""
    _, html_dir = site
    page = browser.new_page()
    try:
        page.goto((html_dir / "index.html").as_uri())
        page.wait_for_url(f"**/{page_path(book.chapters[0])}")
    finally:
        page.close()
    with_widgets = [p for p in book.chapters if shown_widgets(load(p))] or book.chapters[:1]
    for path in dict.fromkeys((book.chapters[0], with_widgets[0])):
        visit, page = open_page(browser, (html_dir / page_path(path)).as_uri(), "file://")
        page.close()
        assert visit.errors == [] and visit.external == []
        assert all(w["rendered"] for w in visit.facts["widgets"])
        assert visit.facts["math"]["untypeset"] == []


def test_vendored_scripts_are_the_recorded_npm_files():
    recorded = re.findall(r"^([0-9a-f]{64})  (\S+)$", (ROOT / "_vendor" / "README.md").read_text(), re.M)
    files = sorted(
        p.relative_to(ROOT / "_vendor").as_posix()
        for p in (ROOT / "_vendor").rglob("*")
        if p.is_file() and p.name != "README.md"
    )
    assert sorted(name for _, name in recorded) == files, "every vendored file is listed in _vendor/README.md"
    for digest, name in recorded:
        assert hashlib.sha256((ROOT / "_vendor" / name).read_bytes()).hexdigest() == digest, name
