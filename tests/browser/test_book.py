"""The built book, read in a real browser (headless Chromium, served over http on 127.0.0.1).

Every test that takes `page` runs once per book page found under the build (see conftest.py), so chapters
added later are covered with no edit here. The checks, in the order they run for each page:

1. the page loads with no console errors (save the allow-listed theme errors below);
2. a screenshot of its first screen (1280x900) is saved under _build/screenshots/;
3. every image loads and has alt text; no font fails to load;
4. all math is typeset by MathJax: no raw TeX is left in the visible text;
5. every Jupyter widget renders;
6. moving each kernel-free slider (one linked in the browser, e.g. to a Stack of frames) changes what the
   page shows;
7. every link into the book resolves (200, and the #fragment exists on the target page).
Then, once: the search page finds a term from a chapter's title, offline.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

# ------------------------------------------------------------------------------------ console allow-list

#: Console errors that come from Jupyter Book v1's own theme/extensions and that no _config.yml setting
#: removes. Each entry: (regex on the message, reason). Keep this list short and explained.
ALLOWED_CONSOLE_ERRORS = [
    (re.compile(r"Uncaught SyntaxError: Identifier 'THEBE_JS_URL' has already been declared"),
     "sphinx-thebe 0.3.1 (always loaded by Jupyter Book v1) adds its inline config script "
     "`const THEBE_JS_URL = ...` with app.add_js_file() during env-before-read-docs; Sphinx 7.4 then "
     "writes that inline script twice into every page (togglebutton's inline `var` script is doubled "
     "the same way, harmlessly). The second `const` throws; thebe still works because the first one "
     "defined the names. Jupyter Book v1 offers no setting that drops sphinx_thebe or the script."),
]


def console_errors(entries: list[dict]) -> list[str]:
    """SEVERE console messages that are not allow-listed. The browser's automatic /favicon.ico request is
    checked by test_favicon instead (Chromium makes it once per origin, so here it would depend on order)."""
    errors = []
    for e in entries:
        if e.get("level") != "SEVERE":
            continue
        msg = e.get("message", "")
        if re.search(r"/favicon\.ico - Failed to load resource", msg):
            continue
        if any(rx.search(msg) for rx, _ in ALLOWED_CONSOLE_ERRORS):
            continue
        errors.append(msg)
    return errors


# ------------------------------------------------------------------------------------------ 1. console

def test_no_console_errors(load, page):
    entries = load(page, fresh=True)
    errors = console_errors(entries)
    assert not errors, f"{page}: {len(errors)} console error(s):\n  " + "\n  ".join(errors)


def test_favicon(server):
    """Chromium asks every origin for /favicon.ico unless the page names an icon: that must not 404."""
    html = urllib.request.urlopen(server + "index.html").read().decode("utf-8", "replace")
    landing = re.search(r'url=([^"\'>\s]+)', html) if re.search(r"http-equiv=.?refresh", html, re.I) else None
    page_url = urllib.parse.urljoin(server, landing.group(1)) if landing else server + "index.html"
    text = urllib.request.urlopen(page_url).read().decode("utf-8", "replace")
    icon = re.search(r'<link[^>]+rel="(?:shortcut )?icon"[^>]*href="([^"]+)"', text)
    target = urllib.parse.urljoin(page_url, icon.group(1)) if icon else server + "favicon.ico"
    why = ("declared by <link rel=icon>" if icon else
           "no <link rel=icon>, so Chromium requests /favicon.ico and logs a 404 on the first page")
    assert fetch(target)[0] == 200, f"{target} is not served ({why}); set `html: favicon:` in _config.yml"


# --------------------------------------------------------------------------------------- 2. screenshot

def screenshot_name(page: str, pages) -> str:
    stems = Counter(Path(p).stem for p in pages)
    stem = Path(page).stem
    return (stem if stems[stem] == 1 else page.removesuffix(".html").replace("/", "__")) + ".png"


def test_screenshot_first_screen(load, driver, page, pages, screenshot_dir):
    load(page)
    driver.execute_script("window.scrollTo(0, 0)")
    size = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    assert size == [1280, 900], f"viewport is {size}, not 1280x900"
    out = screenshot_dir / screenshot_name(page, pages)
    assert driver.save_screenshot(str(out)), f"could not save {out}"
    png = out.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000, f"{out} is not a real screenshot"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (1280, 900), f"{out} is {width}x{height}"


# ---------------------------------------------------------------------------------- 3. images and fonts

_IMAGES_JS = r"""
const done = arguments[arguments.length - 1];
(async () => {
  const imgs = Array.from(document.images);
  await Promise.all(imgs.map(img => {
    if (img.loading === 'lazy') img.loading = 'eager';
    if (img.complete) return null;
    return new Promise(r => { img.addEventListener('load', r); img.addEventListener('error', r);
                              setTimeout(r, 10000); });
  }));
  return imgs.map(img => ({
    src: (img.currentSrc || img.src || '').slice(0, 120),
    complete: img.complete, naturalWidth: img.naturalWidth,
    alt: img.getAttribute('alt'),
    where: (img.closest('[id]') || {}).id || '',
    widget: !!img.closest('.jupyter-widgets'),
  }));
})().then(done, e => done({error: String(e)}));
"""

_FONTS_JS = r"""
const done = arguments[arguments.length - 1];
document.fonts.ready.then(() => done(Array.from(document.fonts).map(f => ({
  family: f.family, weight: f.weight, style: f.style, status: f.status}))));
"""


def test_images_load_and_have_alt(load, driver, page):
    load(page)
    images = driver.execute_async_script(_IMAGES_JS)
    assert not (isinstance(images, dict) and images.get("error")), images
    broken = [i for i in images if not i["complete"] or i["naturalWidth"] == 0]
    no_alt = [i for i in images if not (i["alt"] or "").strip()]
    problems = [f"did not load: {i['src']} (in #{i['where']})" for i in broken]
    problems += [f"no alt text: {i['src']} (in #{i['where']}{', a widget' if i['widget'] else ''})"
                 for i in no_alt]
    assert not problems, f"{page}: {len(problems)} image problem(s) of {len(images)} images:\n  " + \
        "\n  ".join(problems)


def test_fonts_load(load, driver, page):
    load(page)
    fonts = driver.execute_async_script(_FONTS_JS)
    failed = [f"{f['family']} {f['weight']} {f['style']}" for f in fonts if f["status"] == "error"]
    assert not failed, f"{page}: font(s) failed to load: {', '.join(sorted(set(failed)))}"


# -------------------------------------------------------------------------------------------- 4. math

_MATH_JS = r"""
const article = document.querySelector('article.bd-article') || document.querySelector('main') || document.body;
const SKIP = 'pre, code, kbd, samp, script, style, textarea, mjx-container, mjx-assistive-mml, .highlight';
const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
const texts = [];
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  const el = n.parentElement;
  if (!el || el.closest(SKIP)) continue;
  if (el.checkVisibility && !el.checkVisibility({checkOpacity: false, checkVisibilityCSS: true})) continue;
  if (n.nodeValue.trim()) texts.push(n.nodeValue);
}
// the whole document: section titles with math also appear in the navigation, outside the article
const math = Array.from(document.querySelectorAll('.math'));
return {
  text: texts.join(' '),
  math: math.length,
  untypeset: math.filter(m => !m.querySelector('mjx-container'))
                 .map(m => m.textContent.trim().slice(0, 80)),
  containers: document.querySelectorAll('.math mjx-container, mjx-container.math').length,
  errors: Array.from(article.querySelectorAll('mjx-merror, [data-mjx-error]'))
               .map(e => (e.getAttribute('data-mjx-error') || e.textContent).slice(0, 80)),
};
"""

#: Raw TeX that MathJax would have replaced: \( \) \[ \] delimiters, $$, \begin{...}, and $...$ holding
#: TeX syntax (a backslash, ^, _ or braces). Prose dollars ("$5") do not match.
RAW_TEX = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$\$|\\begin\{|\$[^$\n]{0,80}[\\^_{}][^$\n]{0,80}\$")


class _MathCounter(HTMLParser):
    """Counts elements with class "math" in the built (un-rendered) HTML: the math the source had."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def handle_starttag(self, tag, attrs):
        if "math" in (dict(attrs).get("class") or "").split():
            self.count += 1


def test_math_typeset(load, driver, page, book):
    load(page)
    info = driver.execute_script(_MATH_JS)
    counter = _MathCounter()
    counter.feed((book / page).read_text(encoding="utf-8", errors="replace"))
    raw = sorted({m.group(0) for m in RAW_TEX.finditer(info["text"])})
    snippets = [info["text"][max(0, m.start() - 40): m.end() + 40].replace("\n", " ")
                for m in RAW_TEX.finditer(info["text"])][:5]
    assert not raw, f"{page}: raw TeX left in the visible text {raw}, e.g.:\n  " + "\n  ".join(snippets)
    assert info["math"] >= counter.count, \
        f"{page}: the source has {counter.count} math elements, the rendered page {info['math']}"
    assert not info["untypeset"], \
        f"{page}: {len(info['untypeset'])} of {info['math']} math elements have no MathJax container: " \
        f"{info['untypeset'][:5]}"
    if counter.count:
        assert info["containers"] >= counter.count, \
            f"{page}: {counter.count} math elements but {info['containers']} MathJax containers"
    assert not info["errors"], f"{page}: MathJax errors: {info['errors']}"


# ----------------------------------------------------------------------------------------- 5. widgets

_WIDGETS_JS = r"""
const views = Array.from(document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]'));
const bad = /Loading widget|Error displaying widget|Could not create a view|Failed to load model|Error rendering/i;
return {
  states: document.querySelectorAll('script[type="application/vnd.jupyter.widget-state+json"]').length,
  views: views.map(s => {
    const sub = s.previousElementSibling;
    const ok = !!sub && sub.classList.contains('widget-subarea');
    const area = ok ? sub : s.parentElement;
    const r = ok ? sub.getBoundingClientRect() : {width: 0, height: 0};
    return {
      model: JSON.parse(s.textContent).model_id,
      subarea: ok, children: ok ? sub.childElementCount : 0,
      width: r.width, height: r.height,
      widgets: ok ? sub.querySelectorAll('.jupyter-widgets').length : 0,
      errorText: ((area.innerText || '').match(bad) || [''])[0],
      errorNodes: area.querySelectorAll('.jupyter-widgets-error, .widget-error').length,
    };
  }),
  areas: Array.from(document.querySelectorAll('.jupyter-widgets')).filter(
      a => !a.closest('.widget-subarea') || a.childElementCount === 0 && !a.matches(
        '.widget-image, .widget-readout, .widget-label, .widget-html-content, input, textarea, img, label'))
      .map(a => a.className.slice(0, 100)),
};
"""


def test_widgets_render(load, driver, page):
    load(page)
    info = driver.execute_script(_WIDGETS_JS)
    assert info["views"], f"{page}: embeds widget state but no widget view was rendered"
    assert info["states"] >= 1, f"{page}: widget views but no embedded widget state"
    problems = []
    for v in info["views"]:
        if not v["subarea"] or v["children"] == 0 or v["widgets"] == 0:
            problems.append(f"model {v['model']}: not rendered (no widget-subarea with widgets)")
        elif v["width"] == 0 or v["height"] == 0:
            problems.append(f"model {v['model']}: rendered with zero size {v['width']}x{v['height']}")
        if v["errorText"] or v["errorNodes"]:
            problems.append(f"model {v['model']}: shows {v['errorText'] or 'an error widget'!r}")
    problems += [f"a .jupyter-widgets element has no rendered children: class={c!r}" for c in info["areas"]]
    assert not problems, f"{page}: {len(problems)} widget problem(s):\n  " + "\n  ".join(problems)


# ------------------------------------------------------------------------------------- 6. live sliders

SLIDER_MODELS = {"IntSliderModel", "FloatSliderModel", "FloatLogSliderModel", "SelectionSliderModel",
                 "IntRangeSliderModel", "FloatRangeSliderModel", "SelectionRangeSliderModel", "PlayModel"}
LINK_MODELS = {"LinkModel", "DirectionalLinkModel"}


def widget_state(html: str) -> dict:
    state = {}
    for m in re.finditer(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', html,
                         re.S):
        state.update(json.loads(m.group(1))["state"])
    return state


def _ref(value) -> str | None:
    return value[len("IPY_MODEL_"):] if isinstance(value, str) and value.startswith("IPY_MODEL_") else None


def kernel_free_sliders(html: str) -> list[tuple[str, list[bool]]]:
    """For each rendered widget view: (root model id, [is linked in the browser?] per slider, DOM order).

    A slider is kernel-free when a jslink/jsdlink model has it as source (or either end of a two-way link):
    its effect is computed in the browser, so moving it must change the page with no kernel.
    """
    state = widget_state(html)
    linked = set()
    for model in state.values():
        if model.get("model_name") in LINK_MODELS:
            ends = ("source", "target") if model["model_name"] == "LinkModel" else ("source",)
            for end in ends:
                pair = model["state"].get(end) or [None]
                if _ref(pair[0]):
                    linked.add(_ref(pair[0]))

    def sliders_under(mid, seen):
        if mid in seen or mid not in state:
            return []
        seen.add(mid)
        model = state[mid]
        found = [mid] if model.get("model_name") in SLIDER_MODELS else []
        for child in model["state"].get("children") or []:
            if _ref(child):
                found += sliders_under(_ref(child), seen)
        return found

    roots = [json.loads(m.group(1))["model_id"] for m in
             re.finditer(r'<script type="application/vnd.jupyter.widget-view\+json">(.*?)</script>', html, re.S)]
    return [(root, [s in linked for s in sliders_under(root, set())]) for root in roots]


#: What a widget view shows, apart from its sliders: a pixel hash of every visible image plus the visible text.
_SNAPSHOT_JS = r"""
const sub = arguments[0];
const SLIDER = '.widget-slider, .widget-hslider, .widget-vslider, .widget-play';
function hash(str) { let h = 2166136261; for (let i = 0; i < str.length; i++) { h ^= str.charCodeAt(i);
                     h = Math.imul(h, 16777619); } return (h >>> 0).toString(16); }
const parts = [];
for (const img of sub.querySelectorAll('img')) {
  if (img.closest(SLIDER) || !img.checkVisibility()) continue;
  let sig = img.src.slice(0, 60);
  try {
    const c = document.createElement('canvas');
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let h = 2166136261; for (let i = 0; i < d.length; i += 7) { h ^= d[i]; h = Math.imul(h, 16777619); }
    sig = `${c.width}x${c.height}:${(h >>> 0).toString(16)}`;
  } catch (e) { /* cross-origin: keep the src */ }
  parts.push('img ' + sig);
}
const walker = document.createTreeWalker(sub, NodeFilter.SHOW_TEXT);
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  const el = n.parentElement;
  if (!el || el.closest(SLIDER) || !el.checkVisibility() || !n.nodeValue.trim()) continue;
  parts.push('text ' + hash(n.nodeValue.trim()));
}
return parts.join('|');
"""

_SLIDER_VALUE_JS = r"""
const s = arguments[0];
const h = s.querySelector('.noUi-handle');
const r = s.querySelector('input[type=range]');
const readout = s.querySelector('.widget-readout');
return {now: h ? h.getAttribute('aria-valuenow') : (r ? r.value : null),
        min: h ? h.getAttribute('aria-valuemin') : (r ? r.min : null),
        max: h ? h.getAttribute('aria-valuemax') : (r ? r.max : null),
        readout: readout ? (readout.innerText || readout.textContent) : null};
"""


def move_slider(driver, slider) -> str:
    """Drag the slider's handle a third of the way toward its farther end; fall back to arrow keys."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    before = driver.execute_script(_SLIDER_VALUE_JS, slider)
    handles = slider.find_elements(By.CSS_SELECTOR, ".noUi-handle") or \
        slider.find_elements(By.CSS_SELECTOR, "input[type=range]")
    assert handles, "slider has no .noUi-handle or input[type=range]"
    handle = handles[0]
    track = (slider.find_elements(By.CSS_SELECTOR, ".noUi-target") or [handle])[0]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", slider)
    try:
        frac = (float(before["now"]) - float(before["min"])) / (float(before["max"]) - float(before["min"]))
    except (TypeError, ValueError, ZeroDivisionError):
        frac = 0.0
    direction = 1 if frac <= 0.5 else -1
    dx = int(direction * max(track.size["width"] / 3, 10))
    ActionChains(driver).click_and_hold(handle).pause(0.1).move_by_offset(dx, 0).pause(0.1).release().perform()
    after = driver.execute_script(_SLIDER_VALUE_JS, slider)
    how = f"dragged {dx:+d}px"
    if after == before:
        handle.send_keys(Keys.ARROW_RIGHT if direction > 0 else Keys.ARROW_LEFT)
        after = driver.execute_script(_SLIDER_VALUE_JS, slider)
        how = "arrow key"
    assert after != before, f"the slider did not move ({how}): {before}"
    return f"{how}: {before['readout'] or before['now']} -> {after['readout'] or after['now']}"


def test_kernel_free_sliders_change_the_page(load, driver, page, book):
    from selenium.webdriver.common.by import By

    html = (book / page).read_text(encoding="utf-8", errors="replace")
    views = kernel_free_sliders(html)
    if not any(any(flags) for _, flags in views):
        pytest.fail(f"{page}: has widgets but no kernel-free (browser-linked) slider; use coursekit.notebook.widgets.frame_slider")
    load(page)
    subareas = driver.find_elements(
        By.XPATH, "//script[@type='application/vnd.jupyter.widget-view+json']/preceding-sibling::*[1]")
    scripts = driver.find_elements(By.CSS_SELECTOR, "script[type='application/vnd.jupyter.widget-view+json']")
    assert len(subareas) == len(scripts) == len(views), \
        f"{page}: {len(scripts)} widget views, {len(subareas)} rendered areas, {len(views)} in the source"
    problems, moved = [], []
    for (root, flags), sub in zip(views, subareas):
        sliders = sub.find_elements(By.CSS_SELECTOR, ".widget-slider, .widget-play")
        if len(sliders) != len(flags):
            problems.append(f"view {root}: {len(flags)} slider models but {len(sliders)} rendered sliders")
            continue
        for k, (slider, live) in enumerate(zip(sliders, flags)):
            if not live:
                continue
            label = slider.text.split("\n")[0].strip() or f"slider {k}"
            before = driver.execute_script(_SNAPSHOT_JS, sub)
            try:
                how = move_slider(driver, slider)
            except AssertionError as e:
                problems.append(f"view {root} '{label}': {e}")
                continue
            after, deadline = before, time.monotonic() + 3
            while after == before and time.monotonic() < deadline:  # let the linked view re-render
                time.sleep(0.05)
                after = driver.execute_script(_SNAPSHOT_JS, sub)
            if after == before:
                problems.append(f"view {root} '{label}' ({how}): what the widget shows did not change")
            else:
                moved.append(f"'{label}' {how}")
    assert not problems, f"{page}: {len(problems)} slider problem(s):\n  " + "\n  ".join(problems)
    assert moved, f"{page}: no kernel-free slider was exercised"


# --------------------------------------------------------------------------------------- 7. links

class _LinkParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        for key in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(key):
                self.ids.add(attrs[key])


_FETCHED: dict[str, tuple[int, bytes, str]] = {}


def fetch(url: str) -> tuple[int, bytes, str]:
    """(status, body, content type) of `url`, cached for the session."""
    if url not in _FETCHED:
        try:
            with urllib.request.urlopen(url, timeout=30) as r:
                _FETCHED[url] = (r.status, r.read(), r.headers.get("Content-Type", ""))
        except urllib.error.HTTPError as e:
            _FETCHED[url] = (e.code, b"", "")
    return _FETCHED[url]


_IDS: dict[str, set[str]] = {}


def page_ids(url: str) -> set[str]:
    """The element ids (and <a name>s) of the page at `url`, parsed once per session."""
    if url not in _IDS:
        parser = _LinkParser()
        parser.feed(fetch(url)[1].decode("utf-8", errors="replace"))
        _IDS[url] = parser.ids
    return _IDS[url]


def test_internal_links_resolve(page, server):
    page_url = server + page
    status, body, _ = fetch(page_url)
    assert status == 200, f"{page}: HTTP {status}"
    parser = _LinkParser()
    parser.feed(body.decode("utf-8", errors="replace"))
    problems, checked = [], 0
    for href in sorted(set(parser.hrefs)):
        if href.startswith(("mailto:", "javascript:", "tel:", "data:")):
            continue
        url = urllib.parse.urljoin(page_url, href)
        if not url.startswith(server):
            continue  # outside the book (papers, launch buttons): not loaded with the page
        target, _, fragment = url.partition("#")
        checked += 1
        status, _, ctype = fetch(target)
        if status != 200:
            problems.append(f"{href} -> HTTP {status}")
            continue
        fragment = urllib.parse.unquote(fragment)
        if fragment and "html" in ctype and fragment not in page_ids(target):
            problems.append(f"{href} -> no element with id {fragment!r} on {target[len(server):]}")
    assert not problems, f"{page}: {len(problems)} broken internal link(s) of {checked}:\n  " + \
        "\n  ".join(problems)


# -------------------------------------------------------------------------------------------- 8. search

STOPWORDS = set("""about above after again against their there these those through under which while
with within without would could should being other image images what means""".split())


def chapters(book: Path, pages) -> list[str]:
    """Chapter pages: the ones built from a notebook (their source .ipynb is published in _sources/)."""
    return [p for p in pages if (book / "_sources" / p).with_suffix(".ipynb").exists()]


def title_of(html: str) -> str:
    m = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    return re.sub(r"<[^>]+>", " ", m.group(1)) if m else ""


def search_term(book: Path, pages) -> tuple[str, str]:
    """A word from a chapter's title (the second chapter if there is one): (term, chapter page)."""
    chaps = chapters(book, pages) or list(pages)
    for page in chaps[1:2] + chaps[:1] + chaps[2:]:
        words = re.findall(r"[A-Za-z][A-Za-z-]{4,}", title_of((book / page).read_text(encoding="utf-8")))
        words = [w for w in words if w.lower() not in STOPWORDS and "-" not in w]
        if words:
            return max(words, key=len), page
    pytest.fail("no chapter title has a word to search for")


def test_search_finds_a_chapter_term_offline(load, driver, server, book, pages):
    term, chapter = search_term(book, pages)
    load(f"search.html?q={urllib.parse.quote(term)}", fresh=True)
    deadline, hrefs = time.monotonic() + 30, []
    while time.monotonic() < deadline:
        hrefs = driver.execute_script(
            "return Array.from(document.querySelectorAll('#search-results li a, ul.search li a'))"
            ".map(a => a.href)")
        done = driver.execute_script(
            "const p = document.querySelector('#search-results p.search-summary, .search-summary');"
            "return !!p && p.textContent.trim().length > 0")
        if hrefs and done:
            break
        time.sleep(0.1)
    found = {urllib.parse.urldefrag(h)[0].split("?")[0][len(server):] for h in hrefs if h.startswith(server)}
    chaps = set(chapters(book, pages)) or set(pages)
    assert found & chaps, f"searching for {term!r} (from the title of {chapter}) found no chapter: {sorted(found)}"
    assert chapter in found, f"searching for {term!r} did not find {chapter}, only {sorted(found)}"

