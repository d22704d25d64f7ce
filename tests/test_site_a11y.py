# ruff: noqa: F811  (pytest fixtures imported from test_site are arguments of the tests below)
"""The built book for every reader: figures that say what they show, one search box, a 404 page, the repository and
its issues linked from every page, each chapter's notebook to download.

Read in headless Chromium as tests/test_site.py reads it, with its fixtures (the book built once, served on
127.0.0.1, Debian's Chromium driven by Playwright, every request to another host refused). The figures' captions and
alt texts live in the chapters' cell metadata (tools/figures.py: `tools/notebooks.py figures check|export|apply`).
"""

import functools
import http.server
import json
import re
import threading
import urllib.parse
import urllib.request
from pathlib import Path

import figures  # tools/figures.py (tests/conftest.py puts tools/ on the path)
import nbformat
import pytest
import yaml
from test_site import browser, chromium, open_page, page_path, site  # noqa: F401  (fixtures of the browser test)

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPOSITORY = CONFIG["repository"]["url"].rstrip("/")

# What the page shows, read once it has rendered: every image with its alt text and its figure's caption, the search
# controls a reader sees, the download menu's notebook link.
READ = """() => {
  const shown = e => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length)
    && getComputedStyle(e).visibility !== 'hidden';
  return {
    images: Array.from(document.images).map(i => ({
      src: (i.getAttribute('src') || '').slice(0, 120),
      alt: i.getAttribute('alt'),
      decorative: i.getAttribute('role') === 'presentation' || i.getAttribute('aria-hidden') === 'true',
      in_widget: !!i.closest('.jupyter-widgets'),
      in_output: !!i.closest('.cell_output'),
      caption: ((i.closest('figure') || {}).querySelector ? (i.closest('figure').querySelector('figcaption') || {})
        .innerText || '' : '').trim(),
    })),
    search: Array.from(document.querySelectorAll(
      'input[type="search"], form[role="search"], .search-button__button, .search-button-field')
    ).filter(shown).map(e => e.className || e.tagName),
    notebook: Array.from(document.querySelectorAll('a.btn-download-source-button')).map(a => ({
      href: a.href, text: a.innerText.trim(), download: a.hasAttribute('download')})),
  };
}"""


@pytest.fixture(scope="module")
def pages(site, browser):
    """chapter path -> what its page shows (READ), each page loaded once."""
    base, _ = site

    @functools.cache
    def read(path):
        visit, page = open_page(browser, urllib.parse.urljoin(base, page_path(path)), base)
        try:
            assert visit.errors == [], visit.errors
            return page.evaluate(READ)
        finally:
            page.close()

    return read


# --- figures: a caption and an alt text that says what the figure shows ---------------------------------------------


def test_every_figure_cell_has_a_name_a_caption_and_an_alt_text(chapter):
    """In the chapter's metadata (`tools/notebooks.py figures check` lists what is missing)."""
    assert figures.problems(chapter) == []


def test_figure_names_are_unique_across_the_book(book):
    assert figures.duplicate_names(book.chapters) == []


@pytest.mark.parametrize(
    "alt",
    [
        "",
        "../_images/2ecfe694ee875017ef83309c90aa4d629bfc30c7564813cdc69baffd5e3e533d.png",
        "figure.png",
        "block diagram of figure.png here",
        "_images/chart",
        "A bar chart",
        "The same words as the caption of it",
    ],
)
def test_the_alt_text_rule_refuses_paths_file_names_and_stubs(alt):
    assert figures.alt_problem(alt, caption="The same words as the caption of it") is not None


def test_the_alt_text_rule_accepts_a_description():
    alt = "Bar chart with two bars: the basic block is tall and grey, the bottleneck block short and blue."
    assert figures.alt_problem(alt, caption="Weights of two blocks.") is None


def test_every_image_on_the_page_says_what_it_shows(pages, chapter):
    """No image without an alt text, none whose alt text is a path or a file name (what myst-nb writes by default),
    and each figure of the chapter shows its caption and the alt text of its cell's metadata, in order."""
    images = [i for i in pages(chapter)["images"] if not i["decorative"]]
    assert [i["src"] for i in images if not (i["alt"] or "").strip()] == [], "images without an alt text"
    assert [i["alt"] for i in images if figures.FILE_NAME.search(i["alt"])] == [], "alt texts that are paths"
    nb = nbformat.read(chapter, as_version=4)
    expected = [figures.texts(c) for c in figures.figure_cells(nb) if shown(c)]
    found = [(i["alt"], i["caption"]) for i in images if i["in_output"] and not i["in_widget"]]
    assert [alt for alt, _ in found] == [alt for _, _, alt in expected]
    for (_, caption), (_, want, _) in zip(found, expected, strict=True):
        assert flat(want) in flat(caption), "the figure's caption under it"


def shown(cell):
    return not set(cell.metadata.get("tags", [])) & {"remove-cell", "remove-output", "remove_cell", "remove_output"}


def flat(text):
    """Text without markup and whitespace differences (a caption is rendered from Markdown)."""
    return re.sub(r"\s+", " ", re.sub(r"[`*_]|\\", "", text)).replace("’", "'").strip()


# --- one search box; the repository, its issues and the notebook on every page --------------------------------------


def test_the_page_shows_one_search_box(pages, chapter):
    assert len(pages(chapter)["search"]) == 1, pages(chapter)["search"]


def test_the_download_menu_offers_the_chapters_notebook(pages, site, chapter):
    """The theme's ".ipynb" entry, with `download` (a browser saves it whatever type the server gives .ipynb), serving
    the chapter's notebook as it is in the repository."""
    links = [link for link in pages(chapter)["notebook"] if link["href"].endswith(".ipynb")]
    assert len(links) == 1 and links[0]["text"] == ".ipynb" and links[0]["download"], pages(chapter)["notebook"]
    with urllib.request.urlopen(links[0]["href"], timeout=30) as response:
        assert json.loads(response.read()) == json.loads(chapter.read_text())


def test_the_notebook_downloads_from_the_menu(browser, site, book):
    """Clicked as a reader clicks it: the menu opens, the link saves the notebook under the chapter's file name."""
    base, _ = site
    chapter = book.chapters[1]
    page = browser.new_page()
    try:
        page.goto(urllib.parse.urljoin(base, page_path(chapter)))
        page.locator(".dropdown-download-buttons button.dropdown-toggle").click()
        with page.expect_download() as download:
            page.locator("a.btn-download-source-button").click()
        assert download.value.suggested_filename == chapter.name
        assert json.loads(Path(download.value.path()).read_text()) == json.loads(chapter.read_text())
    finally:
        page.close()


def content_pages(html_dir):
    """Every page of the built site that a reader reads (not index.html, a redirect to the first chapter, nor the
    theme's templates under _static/)."""
    pages = [p for p in sorted(html_dir.rglob("*.html")) if "_static" not in p.relative_to(html_dir).parts]
    return [p for p in pages if 'http-equiv="Refresh"' not in p.read_text()[:2000]]


def test_every_page_links_the_repository_and_its_issues(site):
    """The repository and issue buttons of _config.yml's repository, on every page (chapters, search, index, 404)."""
    _, html_dir = site
    pages = content_pages(html_dir)
    assert {"404.html", "search.html", "genindex.html"} <= {p.name for p in pages}
    missing = {}
    for path in pages:
        hrefs = re.findall(r'<a[^>]+href="([^"]+)"', path.read_text())
        wanted = {"repository": REPOSITORY in hrefs, "issues": any(h.startswith(f"{REPOSITORY}/issues") for h in hrefs)}
        if not all(wanted.values()):
            missing[path.relative_to(html_dir).as_posix()] = [k for k, ok in wanted.items() if not ok]
    assert missing == {}


# --- the 404 page ----------------------------------------------------------------------------------------------------


def pages_prefix():
    """Where GitHub Pages publishes the book: https://OWNER.github.io/REPOSITORY/ (.github/workflows/pages.yml)."""
    return f"/{urllib.parse.urlsplit(REPOSITORY).path.strip('/').split('/')[-1]}/"


def test_the_404_page_links_are_absolute_under_the_pages_address():
    assert CONFIG["sphinx"]["config"]["notfound_urls_prefix"] == pages_prefix()


@pytest.fixture(scope="module")
def pages_site(site):
    """The built site as GitHub Pages serves it: under /REPOSITORY/, and 404.html (status 404) for a missing path."""
    _, html_dir = site
    prefix = pages_prefix()

    class Pages(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def translate_path(self, path):
            path = urllib.parse.urlsplit(path).path
            inside = path[len(prefix) - 1 :] if path.startswith(prefix) else "/no-such-page"
            return super().translate_path(inside)

        def send_error(self, code, message=None, explain=None):
            if code != 404:
                return super().send_error(code, message, explain)
            body = (html_dir / "404.html").read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Pages, directory=str(html_dir)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_a_missing_page_shows_the_404_page_with_its_styles_and_a_way_back(pages_site, browser, book):
    url = f"{pages_site}{pages_prefix()}book/no-such-chapter.html"
    page = browser.new_page()
    failed, statuses = [], {}
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("response", lambda r: statuses.setdefault(r.url, r.status))
    try:
        page.goto(url, wait_until="networkidle")
        assert statuses[url] == 404 and "Page not found" in page.title()
        assert page.locator("article h1").first.inner_text().strip() == "Page not found"
        loaded = {u: s for u, s in statuses.items() if u != url}
        assert failed == [] and [u for u, s in loaded.items() if s >= 400] == [], "styles and scripts of the 404 page"
        assert any(u.endswith(".css") or ".css?" in u for u in loaded), "the theme's styles loaded"
        links = page.eval_on_selector_all("nav.bd-docs-nav a", "links => links.map(a => a.href)")
        for path in book.chapters:  # the table of contents leads back into the book, from any address
            assert f"{pages_site}{pages_prefix()}{page_path(path)}" in links
        back = page.get_attribute("article a[href]", "href")
        assert page.request.get(urllib.parse.urljoin(url, back)).status == 200
    finally:
        page.close()
