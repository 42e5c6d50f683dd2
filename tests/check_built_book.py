"""Checks on the built book, run by `make book` after Jupyter Book has written `_build/html`:

    python tests/check_built_book.py _build/html

1. No page loads a script, stylesheet, image or font from the network. Readers use the book on trains
   and in exam halls; a page that needs a CDN shows raw TeX and blank widgets there. Links
   (`<a href>`) to papers are fine: they are not loaded with the page.
2. Every image has alt text.
3. The chapters' execution times (from the build report page) are printed, so CI logs show them.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

EXTERNAL = re.compile(r"^(https?:)?//", re.I)
CSS_URL = re.compile(r"url\(\s*['\"]?((?:https?:)?//[^)'\"]+)", re.I)

#: (tag, attribute) pairs whose URL the browser fetches while loading the page.
LOADED = {("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src"), ("source", "src"),
          ("video", "src"), ("audio", "src"), ("embed", "src"), ("object", "data")}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for (t, a) in LOADED:
            if tag == t and attrs.get(a) and EXTERNAL.match(attrs[a]):
                if tag == "link" and attrs.get("rel", "") not in ("stylesheet", "preload", "icon",
                                                                  "modulepreload", "prefetch"):
                    continue  # e.g. rel="canonical": not fetched
                self.problems.append(f"<{tag} {a}={attrs[a]!r}>")
        if tag == "img" and not (attrs.get("alt") or "").strip():
            self.problems.append(f"<img src={attrs.get('src')!r}> without alt text")
        if attrs.get("data-jupyter-widgets-cdn"):
            self.problems.append(f"<{tag} data-jupyter-widgets-cdn={attrs['data-jupyter-widgets-cdn']!r}>")
        for m in CSS_URL.finditer(attrs.get("style") or ""):
            self.problems.append(f"inline style url({m.group(1)})")


def external_resources(html: str) -> list[str]:
    """Every network resource a page would load (and every image without alt text).

    Examples
    --------
    >>> external_resources('<script src="https://cdn.example/x.js"></script><a href="https://doi.org/1">p</a>')
    ["<script src='https://cdn.example/x.js'>"]
    >>> external_resources('<link rel="stylesheet" href="../_static/a.css"><img src="x.png" alt="a cat">')
    []
    >>> external_resources('<img src="x.png">')
    ["<img src='x.png'> without alt text"]
    """
    parser = _Collector()
    parser.feed(html)
    problems = parser.problems
    for block in re.findall(r"<style[^>]*>(.*?)</style>", html, flags=re.S | re.I):
        problems += [f"<style> url({u})" for u in CSS_URL.findall(block)]
    return problems


def execution_times(report_html: str) -> list[tuple[str, str, str]]:
    """(document, seconds, status) rows of the build report's execution table."""
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", report_html, flags=re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
        if len(cells) >= 5:
            rows.append((cells[0], cells[3], cells[4]))
    return rows


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else "_build/html")
    pages = sorted(root.rglob("*.html"))
    if not pages:
        print(f"check_built_book: no pages under {root}", file=sys.stderr)
        return 2
    bad = {p: external_resources(p.read_text(encoding="utf-8", errors="replace")) for p in pages}
    bad = {p: v for p, v in bad.items() if v}
    for css in root.rglob("*.css"):
        urls = CSS_URL.findall(css.read_text(encoding="utf-8", errors="replace"))
        if urls:
            bad[css] = [f"url({u})" for u in urls]
    if bad:
        for page, problems in bad.items():
            print(f"{page.relative_to(root)}: loads from the network: {', '.join(sorted(set(problems)))}")
        return 1
    print(f"check_built_book: {len(pages)} pages load nothing from the network; every image has alt text.")
    report = root / "book" / "build_report.html"
    if report.exists():
        print("Chapter execution times on this machine:")
        for doc, seconds, status in execution_times(report.read_text(encoding="utf-8")):
            print(f"  {doc:40s} {seconds:>8} s  {'ok' if '✅' in status else 'FAILED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
