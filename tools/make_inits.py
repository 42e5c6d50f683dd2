"""Regenerate the re-export lists of coursekit's topic packages from their modules' ``__all__``.

``from coursekit.image import gaussian_blur`` works because ``coursekit/image/__init__.py`` imports every
name in the ``__all__`` of every public module of the package. Run ``python tools/make_inits.py`` after
adding a module or a public function; it keeps each ``__init__.py``'s docstring and rewrites the rest.
``tests/test_layout.py`` fails when an ``__init__.py`` is out of date.

A name defined in two modules of one package is exported from the first module (in file-name order) only;
reach the other through its module (e.g. ``coursekit.image.jpeg.quantize``).

A module that needs torch when imported (it imports torch, or a coursekit module that does, at its top
level) is not imported by the ``__init__.py``: its names load on first use (:mod:`coursekit._lazy`), so the
NumPy chapters run where torch is not installed (issue 10).
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


def _generated(module: str) -> bool:
    """Whether ``module`` names a topic package whose ``__init__.py`` this script writes (torch-free itself)."""
    parts = module.split(".")
    return len(parts) == 2 and parts[0] == "coursekit" and parts[1] not in SKIP and (SRC / parts[1]).is_dir()


def _defining_module(package: str, name: str) -> str:
    """The module of a generated ``package`` that ``from package import name`` loads."""
    pkg = SRC / package.split(".")[1]
    if (pkg / f"{name}.py").exists() or (pkg / name).is_dir():
        return f"{package}.{name}"
    for mod in sorted(pkg.glob("*.py")):
        if not mod.stem.startswith("_") and name in module_all(mod):
            return f"{package}.{mod.stem}"
    return package


def _top_imports(path: Path) -> list[str]:
    """The modules a file loads when imported: its top-level imports (not those inside functions)."""
    out = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if _generated(node.module):
                out += [_defining_module(node.module, a.name) for a in node.names]
            else:
                out += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    return out


def needs_torch(module: str, _seen: set | None = None) -> bool:
    """Whether importing ``module`` (a dotted coursekit name, package or module) imports torch."""
    seen = set() if _seen is None else _seen
    if module in seen or _generated(module):
        return False
    seen.add(module)
    rel = Path(*module.split(".")[1:])
    path = SRC / rel / "__init__.py" if (SRC / rel).is_dir() else (SRC / rel).with_suffix(".py")
    if not path.exists():
        return False
    parts = module.split(".")
    parents = [".".join(parts[:i]) for i in range(2, len(parts))]   # importing a.b.c runs a.b's __init__
    for name in _top_imports(path) + parents:
        top = name.split(".")[0]
        if top == "torch" or (top == "coursekit" and name != "coursekit" and needs_torch(name, seen)):
            return True
    return False


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
    lazy: dict[str, str] = {}
    for mod in sorted(package.glob("*.py")):
        if mod.stem.startswith("_"):
            continue
        names = [n for n in module_all(mod) if n not in exported and n not in lazy]
        if not names:
            continue
        if needs_torch(f"coursekit.{package.name}.{mod.stem}"):
            lazy.update(dict.fromkeys(names, mod.stem))
            continue
        exported += names
        head = f"from coursekit.{package.name}.{mod.stem} import "
        if len(head) + len(", ".join(names)) <= 110:
            lines.append(head + ", ".join(names))
        else:
            lines.append(head + "(\n" + "".join(f"    {n},\n" for n in names) + ")")
    if lazy:
        lines += ["from coursekit._lazy import attach", "",
                  "# names of the modules that need torch: they load on first use (coursekit._lazy)",
                  "_LAZY = {", *[f'    "{n}": "{m}",' for n, m in lazy.items()], "}",
                  "__getattr__, __dir__ = attach(__name__, _LAZY)"]
    lines += ["", "__all__ = [", *[f'    "{n}",' for n in exported + list(lazy)], "]", ""]
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
