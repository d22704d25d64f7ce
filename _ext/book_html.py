"""A Sphinx extension of this book's own (`sphinx.local_extensions` in _config.yml): web pages that need no network.

- Each chapter's first cell shows Colab's "Open in Colab" badge, an image on colab.research.google.com. The notebooks
  keep it (GitHub and Colab show it); the web pages show a local badge instead (static/colab-badge.svg), so that a
  reader offline sees no broken image. The link itself is unchanged.
- Jupyter Book 1 adds sphinx-thebe's inline configuration (`const THEBE_JS_URL = ...`) to each page twice, and the
  second `const` raises "Identifier 'THEBE_JS_URL' has already been declared": repeated inline scripts are dropped.
- static/widgets-setup.js (listed in `nb_ipywidgets_js`) sets up the vendored widget manager of _vendor/widgets.
- One search box: sphinx-book-theme keeps its search field in the sidebar, and pydata-sphinx-theme 0.17 adds a second
  one in a header bar of its own (`navbar_persistent`); the header's is dropped.
- Each chapter's page offers its notebook in the download menu (the theme's ".ipynb" entry, the source Sphinx copies to
  _sources/); the link gets a `download` attribute, so that a browser saves the notebook rather than showing its JSON,
  whatever type the web server gives .ipynb files.
"""

import re
from pathlib import Path

COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
STATIC = Path(__file__).parent / "static"


def add_static_path(app):
    app.config.html_static_path.append(str(STATIC))
    app.config.html_theme_options["navbar_persistent"] = []


NOTEBOOK_LINK = re.compile(r'(<a href="[^"]+\.ipynb" target="_blank")(\s+class="btn btn-sm btn-download-source-button)')


def notebook_downloads(app, exception):
    """Add `download` to the download menu's link to the page's notebook, in every page written."""
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text()
        new = NOTEBOOK_LINK.sub(r"\1 download\2", text)
        if new != text:
            page.write_text(new)


def rewrite_page(app, pagename, templatename, context, doctree):
    if "body" in context:
        local = context["pathto"]("_static/colab-badge.svg", 1)
        context["body"] = context["body"].replace(f'src="{COLAB_BADGE}"', f'src="{local}"')
    seen, kept = set(), []
    for script in context.get("script_files", []):
        # the same inline script comes once with filename None and once with filename ""
        key = (str(getattr(script, "filename", script) or ""), repr(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    if "script_files" in context:
        context["script_files"][:] = kept


def setup(app):
    app.connect("builder-inited", add_static_path)
    app.connect("html-page-context", rewrite_page)
    app.connect("build-finished", notebook_downloads)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
