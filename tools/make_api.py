"""Write the API reference: book/api.md (per topic package) and book/api_by_chapter.md (per chapter).

``book/api.md`` has one section per topic package and one entry per public module, rendered by autodoc
from the docstrings. ``book/api_by_chapter.md`` lists, chapter by chapter and section by section, every
public function and class whose docstring links back to that section (``Defined in :ref:`sec-...```),
wherever it lives, each linking to its entry on the API page.

Run ``python tools/make_api.py`` after adding a module, a back-link or a section label;
``python tools/make_api.py --check`` (run by ``tests/test_repository.py``) fails while a page is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import booklabels  # noqa: E402  (a sibling module of this script)

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "coursekit"

# The topic packages in the order of the book (CONTRIBUTING.md describes the tree).
PACKAGES = [
    ("core", "Shared core: validation and numerics"),
    ("image", "Image processing (Chapters 1–2)"),
    ("geometry", "Geometry: transformations, warping, the camera (Chapters 2, 9)"),
    ("metrics", "Metrics (every chapter)"),
    ("learn", "Classical machine learning (Chapter 3)"),
    ("nn", "NumPy neural-network layers (Chapters 3–4)"),
    ("layers", "PyTorch building blocks"),
    ("models", "Models"),
    ("training", "Training: losses, schedules, runs"),
    ("explain", "Explainability (Chapters 4, 18)"),
    ("detection", "Object detection (Chapter 5)"),
    ("dense", "Segmentation and depth (Chapter 6)"),
    ("pose", "Pose estimation (Chapter 7)"),
    ("pointclouds", "3-D data: point clouds and voxels (Chapter 8)"),
    ("rendering", "Neural rendering: NeRF and Gaussian splatting (Chapter 9)"),
    ("text", "Text: tokenisers and language-model decoding (Chapters 10, 15)"),
    ("ssl", "Self-supervised learning (Chapters 12–13)"),
    ("compress", "Model compression: quantisation, pruning, distillation (Chapter 14)"),
    ("video", "Video (Chapter 16)"),
    ("generative", "Generative models: diffusion (Chapter 17)"),
    ("fairness", "Fairness: group metrics and debiasing (Chapter 18)"),
    ("data", "Data generators"),
    ("notebook", "Notebook helpers"),
]
# Course infrastructure: the top-level modules (grading, its wire format, exercises) and the grader package.
# Documented without index entries: coursekit.grading re-exports their public names (Seeded, Tensor), and two
# entries for one name make every ``Tensor`` in a docstring an ambiguous cross-reference.
NO_INDEX = {"coursekit.grading_wire"}
INFRA = [f"coursekit.{p.stem}" for p in sorted(SRC.glob("*.py")) if not p.stem.startswith("_")] + ["coursekit.grader"]


def public_modules(package: str) -> list[str]:
    """The package's public submodules, in file-name order."""
    return [f"coursekit.{package}.{p.stem}" for p in sorted((SRC / package).glob("*.py"))
            if not p.stem.startswith("_")]


def render() -> str:
    """The per-package page, book/api.md: one automodule per public module, packages in book order."""
    out = ["# API reference", "",
           "Every public function of `coursekit`, generated from its docstring and grouped by topic package",
           "(the tree is described in `CONTRIBUTING.md`). Each docstring links back to the section of the",
           "chapter that teaches it; the chapters show the same code with `literalinclude`. To find the code of",
           "one chapter, wherever it lives, see {doc}`api_by_chapter`.", ""]
    packages = [p for p in PACKAGES if (SRC / p[0]).is_dir()]
    missing = sorted(p.parent.name for p in SRC.glob("*/__init__.py")
                     if p.parent.name not in {name for name, _ in PACKAGES} | {"checks", "grader"})
    if missing:
        sys.exit(f"tools/make_api.py: add these packages to PACKAGES: {missing}")
    for name, title in packages:
        out += [f"## {title}", "", "```{eval-rst}", f".. automodule:: coursekit.{name}", ""]
        for mod in public_modules(name):
            out += [f".. automodule:: {mod}", "   :members:", ""]
        out[-1:] = ["```", ""]
    out += ["## Course infrastructure", "", "```{eval-rst}"]
    for mod in INFRA:
        out += [f".. automodule:: {mod}", "   :members:"]
        out += ["   :no-index:", ""] if mod in NO_INDEX else [""]
    out[-1:] = ["```", ""]
    return "\n".join(out)


def render_by_chapter() -> str:
    """The per-chapter page: for every labelled section of every chapter, the code that links back to it.

    Only names are written here; Sphinx's ``autosummary`` reads each one-line summary from the docstring at
    build time, so editing a summary does not make this page stale.
    """
    pages = [booklabels.parse_page(p) for p in booklabels.chapter_paths()]
    order = {}          # fullname -> position of its listing in the book
    for page in pages:
        for listing in page.listings:
            target = (ROOT / "book" / listing.target).resolve()
            if "pyobject" in listing.options and target.is_relative_to(booklabels.SRC):
                name = f"{booklabels.module_of_path(target)}.{listing.options['pyobject'].split('.')[0]}"
                order.setdefault(name, len(order))
    by_section: dict[str, list] = {}
    for obj in booklabels.library_objects():
        link = booklabels.parse_backlink(obj.docstring)
        if obj.kind != "method" and link:
            by_section.setdefault(link[0], []).append(obj)
    out = ["# API by chapter", "",
           "The code of each chapter, wherever it lives in the topic packages: every public function and class",
           "whose docstring links back to a section of the chapter. A name opens its full entry in the",
           "{doc}`API reference <api>` (parameters, shapes, notes, references, examples); a section title opens",
           "the chapter. Generated by `tools/make_api.py` from the back-links.", ""]
    for page in pages:
        sections = [s for s in page.sections if s.label in by_section]
        if not sections:
            continue
        out += [f"## Chapter {page.chapter}: {page.title}", ""]
        for section in sections:
            objs = sorted(by_section[section.label],
                          key=lambda o: (order.get(o.fullname, len(order)), o.module, o.lineno))
            out += [f"**{{ref}}`{section.label}`**", "", "```{eval-rst}", ".. autosummary::", ""]
            out += [f"   {obj.fullname}" for obj in objs]
            out += ["```", ""]
    return "\n".join(out)


PAGES = {"api.md": render, "api_by_chapter.md": render_by_chapter}


def main(argv: list[str]) -> int:
    """Write both pages, or with ``--check`` report (exit status 1) those that are out of date."""
    stale = []
    for name, make in PAGES.items():
        path = ROOT / "book" / name
        text = make()
        if "--check" in argv:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(f"book/{name}")
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote book/{name}")
    if stale:
        print(f"out of date: {', '.join(stale)}; run python tools/make_api.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
