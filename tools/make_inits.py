"""Regenerate the re-export lists of coursekit's topic packages from their modules' ``__all__``.

``from coursekit.image import gaussian_blur`` works because ``coursekit/image/__init__.py`` imports every
name in the ``__all__`` of every public module of the package. Run ``python tools/make_inits.py`` after
adding a module or a public function; it keeps each ``__init__.py``'s docstring and rewrites the rest.
``tests/test_layout.py`` fails when an ``__init__.py`` is out of date.

A name defined in two modules of one package is exported from the first module (in file-name order) only;
reach the other through its module (e.g. ``coursekit.image.jpeg.quantize``).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "coursekit"
SKIP = {"checks", "grader", "core"}   # course infrastructure; core's __init__ is written by hand


def module_all(path: Path) -> list[str]:
    """The names in a module's ``__all__``, read without importing it."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return [e.value for e in node.value.elts]
    return []


def render(package: Path) -> str:
    """The ``__init__.py`` of ``package``: its own docstring, then one import per public module's ``__all__``."""
    init = package / "__init__.py"
    text = init.read_text(encoding="utf-8") if init.exists() else ""
    tree = ast.parse(text) if text else None
    doc = ast.get_docstring(tree, clean=False) if tree else None
    if not doc:
        sys.exit(f"{init}: write a docstring first (what the package holds and which chapters use it).")
    lines = ['"""' + doc + '"""', ""]
    exported: list[str] = []
    for mod in sorted(package.glob("*.py")):
        if mod.stem.startswith("_"):
            continue
        names = [n for n in module_all(mod) if n not in exported]
        if not names:
            continue
        exported += names
        head = f"from coursekit.{package.name}.{mod.stem} import "
        if len(head) + len(", ".join(names)) <= 110:
            lines.append(head + ", ".join(names))
        else:
            lines.append(head + "(\n" + "".join(f"    {n},\n" for n in names) + ")")
    lines += ["", "__all__ = [", *[f'    "{n}",' for n in exported], "]", ""]
    return "\n".join(lines)


def packages() -> list[Path]:
    """The topic packages whose re-exports are generated (not checks/, grader/ or core/)."""
    return sorted(p.parent for p in SRC.glob("*/__init__.py") if p.parent.name not in SKIP)


if __name__ == "__main__":
    check = "--check" in sys.argv
    stale = []
    for pkg in packages():
        new = render(pkg)
        if (pkg / "__init__.py").read_text(encoding="utf-8") != new:
            stale.append(pkg.name)
            if not check:
                (pkg / "__init__.py").write_text(new, encoding="utf-8")
    if check and stale:
        sys.exit(f"out of date: {stale}; run python tools/make_inits.py")
    print("packages rewritten:" if not check else "up to date.", *stale)
