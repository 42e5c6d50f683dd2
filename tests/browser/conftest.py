"""Real-browser tests of the built book: headless Chromium driven by Selenium.

Run after `make book` (the lead's `make browser-test` does both, and installs the browser):

    sh tests/browser/install_browser.sh
    .venv/bin/python -m pytest tests/browser --book _build/html

The book is served over http on 127.0.0.1 (a random free port), never file://, so the search page can
fetch its index. Pages are discovered from the build, so chapters added later are tested automatically.

`pytest tests` (the unit suite) collects this package too; it skips it there unless the command line names
tests/browser or passes --book, so `make test` does not need a browser.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import tempfile
import threading
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

#: Files under the build that are not book pages (Sphinx's generated pages and asset folders).
NOT_PAGES = {"genindex.html", "search.html", "py-modindex.html"}
NOT_PAGE_DIRS = {"_static", "_sources", "_images", "_downloads", "_panels_static", "reports", "jupyter_execute"}

CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1280,900",
]
WINDOW = (1280, 900)


def pytest_addoption(parser):
    group = parser.getgroup("browser", "real-browser tests of the built book")
    group.addoption("--book", default=None,
                    help="the built HTML book to test (default: _build/html)")
    group.addoption("--screenshots", default=None,
                    help="where to save first-screen screenshots (default: <book>/../screenshots)")


def _explicitly_requested(config) -> bool:
    """True if this run was asked for the browser tests (named on the command line or --book given)."""
    if _opt(config, "book"):
        return True
    for arg in config.args:
        path = Path(str(arg).split("::")[0]).resolve()
        if path == HERE or HERE in path.parents:
            return True
    return False


def _opt(config, name):
    try:
        return config.getoption(name)
    except (ValueError, AttributeError):  # option not registered: this conftest was not an initial one
        return None


def book_root(config) -> Path:
    book = _opt(config, "book") or "_build/html"
    path = Path(book)
    if not path.is_absolute():
        path = (Path(config.invocation_params.dir) / path).resolve()
        if not path.exists() and not Path(book).is_absolute():
            path = (ROOT / book).resolve()
    return path


def is_redirect(html: str) -> bool:
    return re.search(r'<meta[^>]+http-equiv=["\']?refresh', html, re.I) is not None


@functools.lru_cache(maxsize=None)
def discover_pages(book: Path) -> tuple[str, ...]:
    """Every book page under the build, as a path relative to the book root ("book/01_foundations.html").

    Sphinx's generated pages (genindex, search, modindex), asset folders and bare redirects (the root
    index.html of a Jupyter Book points at the landing page) are left out.
    """
    pages = []
    for p in sorted(book.rglob("*.html")):
        rel = p.relative_to(book)
        if rel.name in NOT_PAGES or any(part in NOT_PAGE_DIRS for part in rel.parts[:-1]):
            continue
        if is_redirect(p.read_text(encoding="utf-8", errors="replace")):
            continue
        pages.append(rel.as_posix())
    return tuple(pages)


def _is_browser_item(item) -> bool:
    return HERE in Path(str(item.fspath)).resolve().parents


def pytest_collection_modifyitems(config, items):
    ours = [i for i in items if _is_browser_item(i)]
    if not ours:
        return
    if not _explicitly_requested(config):
        skip = pytest.mark.skip(reason="browser tests run with `make browser-test` "
                                       "(pytest tests/browser --book _build/html)")
        for item in ours:
            item.add_marker(skip)
        return
    # Group the per-page tests page by page (keeping the file's test order within a page), so read-only
    # checks reuse the page that the console test has just loaded instead of reloading it.
    order = {id(i): n for n, i in enumerate(items)}

    def key(item):
        callspec = getattr(item, "callspec", None)
        page = callspec.params.get("page") if callspec else None
        return (page is None, page or "", order[id(item)])

    ours_sorted = iter(sorted(ours, key=key))
    items[:] = [next(ours_sorted) if _is_browser_item(i) else i for i in items]


def pytest_generate_tests(metafunc):
    if "page" in metafunc.fixturenames:
        book = book_root(metafunc.config)
        pages = discover_pages(book) if book.is_dir() else ()
        if not pages and _explicitly_requested(metafunc.config):
            raise pytest.UsageError(f"no built book pages under {book}: run `make book` first")
        if metafunc.function.__name__ in WIDGET_TESTS:
            # only pages that embed widgets: a page without any has nothing to check (not a skip)
            pages = tuple(p for p in pages if WIDGET_VIEW in (book / p).read_text(encoding="utf-8", errors="replace"))
            if not pages and _explicitly_requested(metafunc.config):
                raise pytest.UsageError(f"no page under {book} embeds a widget; the chapters' demos are missing")
        metafunc.parametrize("page", list(pages), ids=[p.removesuffix(".html") for p in pages])


#: Tests that only make sense on pages that embed widgets, and the marker of an embedded widget view.
WIDGET_TESTS = {"test_widgets_render", "test_kernel_free_sliders_change_the_page"}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


# --------------------------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="session")
def book(pytestconfig) -> Path:
    path = book_root(pytestconfig)
    if not (path / "index.html").exists() and not discover_pages(path):
        pytest.fail(f"no built book at {path}: run `make book` first")
    return path


@pytest.fixture(scope="session")
def pages(book) -> tuple[str, ...]:
    return discover_pages(book)


@pytest.fixture(scope="session")
def screenshot_dir(pytestconfig, book) -> Path:
    out = _opt(pytestconfig, "screenshots")
    path = Path(out).resolve() if out else (book.parent / "screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - keep pytest output clean
        pass


@pytest.fixture(scope="session")
def server(book) -> str:
    """Serve the built book over http on 127.0.0.1 at a free port; yields the base URL ending in '/'."""
    handler = functools.partial(_QuietHandler, directory=str(book))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name="book-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _find(executable: str, *candidates: str) -> str | None:
    for c in candidates:
        if Path(c).is_file() and os.access(c, os.X_OK):
            return c
    return shutil.which(executable)


@pytest.fixture(scope="session")
def driver():
    """One headless Chromium for the whole session, with the browser console log enabled."""
    from selenium import webdriver  # pinned in requirements.txt
    from selenium.webdriver.chrome.service import Service

    chromium = _find("chromium", "/usr/bin/chromium") or _find("google-chrome")
    chromedriver = _find("chromedriver", "/usr/bin/chromedriver")
    if not chromium or not chromedriver:
        pytest.fail("chromium/chromedriver not found: run `sh tests/browser/install_browser.sh`")
    profile = tempfile.mkdtemp(prefix="vbb-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(options=options, service=Service(chromedriver))
    drv.set_page_load_timeout(60)
    drv.set_script_timeout(60)
    drv.set_window_size(*WINDOW)
    # An exact 1280x900 viewport (the screenshots' "first screen"), whatever the window decorations.
    drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                        {"width": WINDOW[0], "height": WINDOW[1], "deviceScaleFactor": 1, "mobile": False})
    try:
        yield drv
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)


# ---------------------------------------------------------------------------------------- page loading

#: Resolves once the page has settled: load event, MathJax typeset, widgets rendered, fonts ready.
_SETTLE_JS = r"""
const done = arguments[arguments.length - 1];
const sleep = ms => new Promise(r => setTimeout(r, ms));
(async () => {
  const t0 = performance.now();
  const timeout = 30000;
  while (document.readyState !== 'complete') { await sleep(50); }
  // MathJax 3 (loaded async by Sphinx): wait for startup and the initial typeset.
  if (document.querySelector('.math')) {
    while (!(window.MathJax && MathJax.startup && MathJax.startup.promise) && performance.now() - t0 < timeout) {
      await sleep(50);
    }
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
    // startup.promise is replaced by the typesetting promise once the page is ready: poll until every
    // math element holds its rendered container (or the timeout), whichever promise we caught above.
    const pending = () => Array.from(document.querySelectorAll('.math')).filter(
      el => !el.querySelector('mjx-container')).length;
    while (pending() && performance.now() - t0 < timeout) { await sleep(50); }
  }
  // Jupyter widgets: the html-manager inserts a div.widget-subarea before every view script.
  const views = () => document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
  const rendered = () => Array.from(views()).every(s => {
    const sub = s.previousElementSibling;
    return sub && sub.classList.contains('widget-subarea') && sub.childElementCount > 0;
  });
  while (views().length && !rendered() && performance.now() - t0 < timeout) { await sleep(50); }
  await document.fonts.ready;
  await sleep(200);                       // let late errors (fonts, chunks) reach the console
  await document.fonts.ready;
  return performance.now() - t0;
})().then(ms => done({ok: true, ms}), e => done({ok: false, error: String(e)}));
"""


def open_page(driver, url: str, *, first_visit: bool = False) -> list[dict]:
    """Load `url`, wait until it has settled, and return the console messages logged meanwhile.

    first_visit=True clears the origin's storage first, so every page is seen as a new reader sees it
    (the theme keeps its light/dark mode in localStorage) and the result does not depend on test order.
    """
    driver.get_log("browser")  # drain whatever an earlier page left
    if first_visit:
        origin = "/".join(url.split("/")[:3])
        driver.execute_cdp_cmd("Storage.clearDataForOrigin",
                               {"origin": origin, "storageTypes": "local_storage,session_storage"})
    driver.get(url)
    result = driver.execute_async_script(_SETTLE_JS)
    assert result["ok"], f"{url}: page did not settle: {result.get('error')}"
    driver.execute_script("window.__vbbSettled = true;")
    return driver.get_log("browser")


@pytest.fixture
def load(driver, server):
    """load(page, fresh=False) -> console messages (empty when reused).

    Read-only checks reuse the page already open in the browser (tests are ordered page by page, see
    pytest_collection_modifyitems); fresh=True always reloads, as a first visit.
    """
    def _load(page: str, fresh: bool = False) -> list[dict]:
        url = server + page
        if not fresh and driver.current_url.split("#")[0] == url and \
                driver.execute_script("return window.__vbbSettled === true"):
            driver.execute_script("window.scrollTo(0, 0)")
            return []
        return open_page(driver, url, first_visit=fresh)
    return _load
