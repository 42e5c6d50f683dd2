"""Write book/api.md: the API reference, one section per topic package, one entry per public module.

Run ``python tools/make_api.py`` after adding a module; ``tests/test_repository.py`` fails while a
public module is missing from the page.
"""

from __future__ import annotations

import sys
from pathlib import Path

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
    ("video", "Video (Chapter 16)"),
    ("generative", "Generative models: diffusion (Chapter 17)"),
    ("data", "Data generators"),
    ("notebook", "Notebook helpers"),
]
INFRA = ["coursekit.grading", "coursekit.exercises", "coursekit.grader"]


def public_modules(package: str) -> list[str]:
    """The package's public submodules, in file-name order."""
    return [f"coursekit.{package}.{p.stem}" for p in sorted((SRC / package).glob("*.py"))
            if not p.stem.startswith("_")]


def render() -> str:
    out = ["# API reference", "",
           "Every public function of `coursekit`, generated from its docstring and grouped by topic package",
           "(the tree is described in `CONTRIBUTING.md`). Each docstring links back to the section of the",
           "chapter that teaches it; the chapters show the same code with `literalinclude`.", ""]
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
        out += [f".. automodule:: {mod}", "   :members:", ""]
    out[-1:] = ["```", ""]
    return "\n".join(out)


if __name__ == "__main__":
    (ROOT / "book" / "api.md").write_text(render(), encoding="utf-8")
    print("wrote book/api.md")
