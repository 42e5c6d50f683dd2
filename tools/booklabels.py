"""The book's labels and the docstrings' back-links, read without building the book.

Chapters label the sections that coursekit links to with a MyST target placed right before the heading,
``(sec-gaussian-smoothing)=``, and their display equations with semantic names,
``$$ ... $$ (eq-gaussian-kernel)``. Sphinx numbers the labelled equations of chapter N as (N.1), (N.2), ...
in page order, so nothing needs renumbering when an equation moves. Each public coursekit function links
back to the section that teaches it, right after its one-line summary::

    Defined in :ref:`sec-gaussian-smoothing` (Eq. :eq:`eq-gaussian-kernel`).

``tools/make_api.py`` builds the per-chapter API page from these back-links, and the tests use the same
parser to check that every label resolves.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "coursekit"
BOOK = ROOT / "book"

# A MyST target on its own line, and a labelled display equation (dollarmath: `$$ ... $$ (label)`).
TARGET = re.compile(r"^\(([A-Za-z0-9_.:-]+)\)=\s*$", re.M)
EQUATION = re.compile(r"\$\$\s*\((eq-[A-Za-z0-9_.-]+)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
LISTING = re.compile(r"```\{literalinclude\}\s+(\S+)\s*\n((?::[\w-]+:.*\n)*)")
# The label of a citation in a docstring (reST roles) or in a page (MyST roles).
CITATION = re.compile(r"[:{](ref|eq)[:}]`(?:[^`<]*<)?([^`>]+)>?`")
POSITIONAL_EQ = re.compile(r"^eq-\d+-\d+$")

_LABEL = r"[a-z0-9][a-z0-9-]*"
#: The whole back-link line, as the docstrings write it.
BACKLINK = re.compile(
    rf"Defined in :ref:`(?P<sec>sec-{_LABEL})`"
    rf"(?: \(Eqs?\. (?P<eqs>:eq:`eq-{_LABEL}`(?:(?:, | and ):eq:`eq-{_LABEL}`)*)\))?\.")


@dataclass
class Section:
    """A labelled heading: ``(label)=`` right before ``## title``."""

    label: str
    title: str
    level: int
    chapter: int | None
    doc: str                      # the page, e.g. "book/02_image_processing"


@dataclass
class Equation:
    """A labelled display equation, ``$$ ... $$ (label)``, numbered (chapter.number) by Sphinx."""

    label: str
    chapter: int | None
    number: int                   # position among the page's labelled equations, from 1
    doc: str
    section: str | None           # label of the enclosing labelled section


@dataclass
class Listing:
    """A ``literalinclude`` directive and the labelled sections around it."""

    target: str                   # path as written, relative to the page
    options: dict
    sections: list[str]           # labels of the enclosing sections, innermost first
    doc: str


@dataclass
class Page:
    """What a page defines and cites, in page order."""

    doc: str
    chapter: int | None
    title: str
    sections: list[Section] = field(default_factory=list)
    equations: list[Equation] = field(default_factory=list)
    listings: list[Listing] = field(default_factory=list)
    citations: list[tuple[str, str]] = field(default_factory=list)   # (role, label) used by the page


def _markdown_of(path: Path) -> list[str]:
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                for c in nb["cells"] if c["cell_type"] == "markdown"]
    return [path.read_text(encoding="utf-8")]


def chapter_paths() -> list[Path]:
    """The chapter notebooks, ``book/NN_slug.ipynb``, in book order."""
    return sorted(BOOK.glob("[0-9][0-9]_*.ipynb"))


def parse_page(path: Path) -> Page:
    """Headings, labels, labelled equations, listings and citations of one page, in page order."""
    doc = str(path.relative_to(ROOT).with_suffix(""))
    chapter = int(path.name[:2]) if re.match(r"\d\d_", path.name) else None
    page = Page(doc=doc, chapter=chapter, title="")
    stack: list[tuple[int, str | None]] = []      # enclosing headings: (level, label or None)
    for text in _markdown_of(path):
        pending: str | None = None                # a target waiting for its heading
        fence = ""                                # the backticks of the open code fence, if any
        lines = text.split("\n")
        for i, line in enumerate(lines):
            enclosing = [lab for _, lab in reversed(stack) if lab]
            if fence:
                if line.strip() == fence:
                    fence = ""
                continue
            if line.startswith("```"):
                fence = re.match(r"`+", line).group(0)
                m = LISTING.match("\n".join(lines[i:]) + "\n")
                if m:
                    opts = dict(re.findall(r"^:([\w-]+):\s*(.*)$", m.group(2), flags=re.M))
                    page.listings.append(Listing(m.group(1), opts, enclosing, doc))
                continue
            m = TARGET.match(line)
            if m:
                pending = m.group(1)
                continue
            h = HEADING.match(line)
            if h:
                level, title = len(h.group(1)), h.group(2)
                page.title = page.title or title
                while stack and stack[-1][0] >= level:
                    stack.pop()
                stack.append((level, pending))
                if pending:
                    page.sections.append(Section(pending, title, level, chapter, doc))
            elif line.strip():
                for m in EQUATION.finditer(line):
                    page.equations.append(Equation(m.group(1), chapter, len(page.equations) + 1, doc,
                                                   enclosing[0] if enclosing else None))
            if line.strip():
                pending = None
        page.citations += CITATION.findall(text)
    return page


def book_pages() -> list[Page]:
    """Every page of the book that can hold labels: the chapters and the Markdown reference pages."""
    return [parse_page(p) for p in chapter_paths() + sorted(BOOK.glob("*.md"))]


def book_labels(pages: list[Page] | None = None) -> dict[str, object]:
    """Every label of the book: section labels map to their Section, equation labels to their Equation."""
    out: dict[str, object] = {}
    for page in pages if pages is not None else book_pages():
        for item in page.sections + page.equations:
            out.setdefault(item.label, item)
    return out


def cited_labels(text: str) -> list[tuple[str, str]]:
    """``(role, label)`` for every ``:ref:`` / ``:eq:`` citation in a docstring or page."""
    return CITATION.findall(text)


def unresolved_citations(texts: dict[str, str], labels: dict[str, object]) -> list[str]:
    """Citations that name no label of the book, or a label of the wrong kind (``:eq:`` of a section)."""
    bad = []
    for where, text in texts.items():
        for role, label in cited_labels(text):
            target = labels.get(label)
            if target is None:
                bad.append(f"{where}: :{role}:`{label}` is not a label of the book")
            elif role == "eq" and not isinstance(target, Equation):
                bad.append(f"{where}: :eq:`{label}` is not an equation")
            elif role == "ref" and isinstance(target, Equation):
                bad.append(f"{where}: :ref:`{label}` names an equation; cite it with :eq:")
    return bad


def parse_backlink(docstring: str) -> tuple[str, list[str]] | None:
    """The section label and equation labels of a docstring's back-link, or None if it has none."""
    m = BACKLINK.search(" ".join(docstring.split()))
    if not m:
        return None
    return m.group("sec"), re.findall(r":eq:`([^`]+)`", m.group("eqs") or "")


@dataclass
class LibraryObject:
    """A public function, class or method of coursekit and its docstring."""

    module: str                   # "coursekit.image.filters"
    qualname: str                 # "gaussian_kernel1d", "MLP.forward"
    kind: str                     # "function", "class" or "method"
    docstring: str
    lineno: int

    @property
    def fullname(self) -> str:
        """``module.qualname``, the name autodoc gives the object on the API page."""
        return f"{self.module}.{self.qualname}"

    @property
    def summary(self) -> str:
        """The first paragraph of the docstring, on one line."""
        para = self.docstring.strip().split("\n\n")[0]
        return " ".join(para.split())


def library_objects(src: Path = SRC) -> list[LibraryObject]:
    """Public functions, classes and methods of every public coursekit module, read with ``ast``."""
    out = []
    for py in sorted(src.rglob("*.py")):
        parts = py.relative_to(src.parent).with_suffix("").parts
        if any(p.startswith("_") and p != "__init__" for p in parts) or "checks" in parts:
            continue
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        tree = ast.parse(py.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
                kind = "class" if isinstance(node, ast.ClassDef) else "function"
                out.append(LibraryObject(module, node.name, kind, ast.get_docstring(node) or "", node.lineno))
                if kind == "class":
                    for sub in node.body:
                        if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)) and not sub.name.startswith("_"):
                            out.append(LibraryObject(module, f"{node.name}.{sub.name}", "method",
                                                     ast.get_docstring(sub) or "", sub.lineno))
    return out


def module_of_path(path: Path) -> str:
    """``src/coursekit/image/filters.py`` -> ``coursekit.image.filters``."""
    rel = path.resolve().relative_to(SRC.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.parts[-1] == "__init__" else rel.parts
    return ".".join(parts)


# ---------------------------------------------------------------------------------------------------------
# Plain-text equation references in the exercise notebooks. Students open those in plain Jupyter, where MyST
# roles do not render, so they cite "Eq. (2.32) in the chapter" and carry the label the number stands for in
# an invisible comment: ``Eq. (2.32)<!-- eq-dct-matrix -->``. The number is the equation's position among
# the chapter's labelled equations (what Sphinx displays); the comment lets a test notice when it drifts.

PLAIN_RUN = re.compile(r"\bEqs?\.\s*((?:(?:,\s*|\s*and\s*)?\(\d+\.\d+\)(?:<!--\s*[\w.-]+\s*-->)?)+)")
PLAIN_ONE = re.compile(r"\((\d+)\.(\d+)\)(?:<!--\s*([\w.-]+)\s*-->)?")


def plain_equation_references(text: str) -> list[tuple[int, int, str | None, str]]:
    """``(chapter, number, label or None, as written)`` for every "Eq. (N.k)" / "Eqs. (N.k) and (N.j)"."""
    return [(int(m.group(1)), int(m.group(2)), m.group(3), m.group(0))
            for run in PLAIN_RUN.finditer(text) for m in PLAIN_ONE.finditer(run.group(1))]


def equation_numbers(pages: list[Page] | None = None) -> dict[tuple[int, int], str]:
    """``(chapter, number) -> label`` for every labelled equation of every chapter."""
    pages = pages if pages is not None else [parse_page(p) for p in chapter_paths()]
    return {(e.chapter, e.number): e.label for p in pages if p.chapter for e in p.equations}


def unresolved_plain_references(texts: dict[str, str], numbers: dict[tuple[int, int], str]) -> list[str]:
    """Plain-text equation references that name no equation, or not the one their label comment says."""
    bad = []
    for where, text in texts.items():
        for chapter, number, label, written in plain_equation_references(text):
            actual = numbers.get((chapter, number))
            if actual is None:
                bad.append(f"{where}: {written} is not an equation of Chapter {chapter}")
            elif label is None:
                bad.append(f"{where}: {written} needs the label it stands for: ({chapter}.{number})<!-- {actual} -->")
            elif label != actual:
                bad.append(f"{where}: {written} but ({chapter}.{number}) is {actual}; "
                           "run python tools/booklabels.py --renumber-exercises")
    return bad


def renumber_plain_references(text: str, numbers: dict[tuple[int, int], str]) -> str:
    """Rewrite every ``(N.k)<!-- label -->`` with the label's current number."""
    where = {label: key for key, label in numbers.items()}

    def fix(m: re.Match) -> str:
        if m.group(3) not in where:
            return m.group(0)
        chapter, number = where[m.group(3)]
        return f"({chapter}.{number})<!-- {m.group(3)} -->"

    return PLAIN_ONE.sub(fix, text)


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["--renumber-exercises"]:
        sys.exit("usage: python tools/booklabels.py --renumber-exercises   (then: make exercises)")
    numbers = equation_numbers()
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        changed = False
        for cell in nb["cells"]:
            if cell["cell_type"] == "markdown":
                src = cell["source"]
                text = "".join(src) if isinstance(src, list) else src
                new = renumber_plain_references(text, numbers)
                if new != text:
                    cell["source"] = new.splitlines(keepends=True) if isinstance(src, list) else new
                    changed = True
        if changed:
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            print(f"rewrote {path.relative_to(ROOT)}")
