"""The copy of coursekit a student's code sees while a chapter is graded: no answers, no checks, no grader.

:func:`build_stripped_package` copies the installed package into a trusted temporary folder, without
``checks/``, ``grader/``, notebooks and ``__pycache__``, and removes the *body* of every function (and of
every method of every class) that is the answer to one of the chapter's exercises — the ``implements`` of
its checks — together with the private helpers of the same module that only those functions use. What is
left raises ``RuntimeError`` with :data:`coursekit.grading_wire.REFERENCE_REMOVED` in its message, so a
student's function that reaches a reference by any route (an import, ``getattr``, a wrapper's
``__wrapped__``, a copied code object, ``inspect.getsource`` plus ``exec``) finds nothing to run or read.
The sandbox mounts this copy over the real package's path (:mod:`coursekit.grader.sandbox`).
"""

from __future__ import annotations

import ast
import importlib
import os
import shutil
from pathlib import Path

from coursekit.grading_wire import REFERENCE_REMOVED

__all__ = ["build_stripped_package", "strip_source", "EXCLUDED"]

EXCLUDED = ("checks", "grader", "__pycache__")


def _copy_package(root: Path, target: Path) -> None:
    """Copy the package's files, skipping EXCLUDED at the top, hidden files, notebooks and bytecode."""
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__"
                             and not (here == root and d in EXCLUDED))
        out = target / here.relative_to(root)
        out.mkdir(parents=True, exist_ok=True)
        for name in filenames:
            if name.startswith(".") or name.endswith((".ipynb", ".pyc", ".tmp", "~")):
                continue
            try:
                shutil.copyfile(here / name, out / name)
            except FileNotFoundError:      # a file being replaced by an editor at this instant
                pass


def _package_root() -> Path:
    import coursekit

    return Path(coursekit.__file__).resolve().parent


def _stub(dotted: str, node: ast.AST) -> list[ast.stmt]:
    msg = f"{REFERENCE_REMOVED} {dotted} is the answer to an exercise of this chapter: write your own."
    return [ast.copy_location(ast.Raise(exc=ast.Call(func=ast.Name("RuntimeError", ast.Load()),
                                                      args=[ast.Constant(msg)], keywords=[]), cause=None), node)]


def _names_used(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def strip_source(source: str, module: str, names: set[str]) -> str:
    """Return ``source`` of ``module`` with the bodies of the top-level functions / classes ``names`` removed.

    The private helpers (``_name``) that only removed code uses lose their bodies too.
    """
    tree = ast.parse(source)
    defs = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    missing = names - set(defs)
    if missing:
        raise ValueError(f"{module} defines no top-level {', '.join(sorted(missing))}.")
    stripped = set(names)
    changed = True
    while changed:                       # private helpers used only by stripped code go too
        changed = False
        for name, node in defs.items():
            if name in stripped or not name.startswith("_"):
                continue
            users = [other for other in tree.body if name in _names_used(other)
                     and not (isinstance(other, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                              and other.name == name)]
            if users and all(isinstance(u, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                             and u.name in stripped for u in users):
                stripped.add(name)
                changed = True
    for name in stripped:
        node = defs[name]
        dotted = f"{module}.{name}"
        if isinstance(node, ast.ClassDef):
            body = [m for m in node.body if not (isinstance(m, ast.Expr) and isinstance(m.value, ast.Constant))]
            for m in body:
                if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    m.body = _stub(f"{dotted}.{m.name}", m)
            node.body = body or [ast.Pass()]
        else:
            node.body = _stub(dotted, node)
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def build_stripped_package(destination: Path, implemented: list[str] | tuple[str, ...]) -> Path:
    """Write the stripped copy of coursekit to ``destination/coursekit`` and return that folder.

    ``implemented`` holds dotted names such as ``"coursekit.image.filters.gaussian_kernel1d"`` (a function
    or a class at the top level of its module).
    """
    root = _package_root()
    target = Path(destination) / "coursekit"
    _copy_package(root, target)
    by_module: dict[str, set[str]] = {}
    for dotted in implemented:
        module, _, name = dotted.rpartition(".")
        by_module.setdefault(module, set()).add(name.split(".")[0])
    for module, names in sorted(by_module.items()):
        src_file = Path(importlib.import_module(module).__file__).resolve()
        rel = src_file.relative_to(root)
        out = target / rel
        out.write_text(strip_source(src_file.read_text(encoding="utf-8"), module, names), encoding="utf-8")
    for dirpath, dirnames, filenames in os.walk(destination):
        os.chmod(dirpath, 0o755)         # readable by the sandbox's unprivileged user, writable by nobody else
        for f in filenames:
            os.chmod(os.path.join(dirpath, f), 0o644)
    return target
