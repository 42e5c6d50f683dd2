"""The library's shape, as CONTRIBUTING.md describes it: topic packages, one direction of imports, small modules.

* ``coursekit.data`` holds generators only. It may import the lesson packages (the camera, boxes), never the
  other way round: a lesson module that imported ``coursekit.data`` would tie the algorithm to one dataset.
* ``coursekit.core`` is imported by everything and imports no other part of coursekit.
* Course infrastructure (``grading``, ``checks``, ``grader``, ``exercises``) is never imported by lesson code.
* A lesson module stays under ~400 lines; the test allows 450 before it fails.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "coursekit"
LESSON_PACKAGES = ("image", "geometry", "metrics", "learn", "nn", "layers", "models", "training", "explain",
                   "detection", "dense", "pose", "pointclouds", "rendering", "text", "ssl", "video",
                   "generative", "compress", "fairness")
INFRA = ("coursekit.grading", "coursekit.checks", "coursekit.grader", "coursekit.exercises")
MAX_LINES = 450


def lesson_modules() -> list[Path]:
    return sorted(p for pkg in LESSON_PACKAGES if (SRC / pkg).is_dir() for p in (SRC / pkg).glob("*.py"))


def imported_modules(path: Path, src: Path = SRC) -> set[str]:
    """Absolute names of every coursekit module ``path`` imports (relative imports resolved)."""
    package = ["coursekit"] + list(path.relative_to(src).parent.parts)
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.add(module)
            found |= {f"{module}.{a.name}" for a in node.names}
    return {m for m in found if m == "coursekit" or m.startswith("coursekit.")}


def _rel(p: Path) -> str:
    return str(p.relative_to(SRC.parent))


@pytest.mark.parametrize("path", lesson_modules(), ids=_rel)
def test_lesson_modules_never_import_the_data_package(path):
    bad = sorted(m for m in imported_modules(path) if m == "coursekit.data" or m.startswith("coursekit.data."))
    assert not bad, f"{_rel(path)} imports {bad}: data/ may import lesson packages, never the other way round."


@pytest.mark.parametrize("path", lesson_modules(), ids=_rel)
def test_lesson_modules_never_import_course_infrastructure(path):
    bad = sorted(m for m in imported_modules(path) if m.startswith(INFRA))
    assert not bad, f"{_rel(path)} imports {bad}: grading code depends on lessons, not the reverse."


@pytest.mark.parametrize("path", sorted((SRC / "core").glob("*.py")), ids=_rel)
def test_core_imports_no_other_part_of_coursekit(path):
    bad = sorted(m for m in imported_modules(path) if not m.startswith("coursekit.core"))
    assert not bad, f"{_rel(path)} imports {bad}; the core must stay at the bottom of the import graph."


@pytest.mark.parametrize("path", lesson_modules(), ids=_rel)
def test_lesson_modules_stay_small(path):
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{_rel(path)} has {n} lines (limit {MAX_LINES}); split it by sub-topic."


def test_the_import_checker_sees_a_back_import(tmp_path):
    """The rule above must be able to fail: a module importing coursekit.data is caught."""
    src = tmp_path / "coursekit"
    (src / "image").mkdir(parents=True)
    fake = src / "image" / "probe.py"
    fake.write_text("from ..data import load_image\nimport coursekit.data.shapes\n", encoding="utf-8")
    assert {"coursekit.data", "coursekit.data.shapes"} <= imported_modules(fake, src)


def test_package_reexports_are_up_to_date():
    """Each topic package re-exports its modules' ``__all__`` (``tools/make_inits.py`` writes them)."""
    import subprocess
    import sys

    root = SRC.parents[1]
    run = subprocess.run([sys.executable, str(root / "tools" / "make_inits.py"), "--check"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
