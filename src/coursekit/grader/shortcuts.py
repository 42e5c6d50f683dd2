"""Find the coursekit reference an exercise re-implements, and spot it in a student's cell.

Each check module may end with ``REFERENCES = {"ch01.mse": "coursekit.metrics.image.mse", ...}`` (a dotted
name or a tuple of them). Two independent detectors use it:

* at run time (:mod:`coursekit.grader.child`) the reference is wrapped so that a call made while the
  student's function is running raises a flag — whatever route the code took to reach it;
* here, statically, :func:`static_reference_uses` looks through the student's cell for an import of the
  reference or an attribute access such as ``foundations.mse`` / ``coursekit.metrics.image.mse``, so a call
  that only happens on some inputs is caught too.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil

__all__ = ["references_for", "private_references", "static_reference_uses"]


def _as_tuple(value) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def references_for(exercise_id: str) -> tuple[str, ...]:
    """The dotted names of the references of ``exercise_id`` declared by ``coursekit.checks``."""
    import coursekit.checks as pkg

    chapter = exercise_id.split(".", 1)[0]
    out: tuple[str, ...] = ()
    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name == chapter or mod.name.startswith(chapter + "_"):
            refs = getattr(importlib.import_module(f"coursekit.checks.{mod.name}"), "REFERENCES", {})
            out += _as_tuple(refs.get(exercise_id, ()))
    return out


def private_references(source: str) -> dict[str, tuple[str, ...]]:
    """Read a literal ``REFERENCES = {...}`` from a private check module without executing it."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    for node in tree.body:
        if (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "REFERENCES"
                                                 for t in node.targets)):
            try:
                return {k: _as_tuple(v) for k, v in ast.literal_eval(node.value).items()}
            except (ValueError, TypeError, AttributeError):
                return {}
    return {}


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of attribute accesses on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def static_reference_uses(source: str, references: tuple[str, ...]) -> list[str]:
    """The references that ``source`` imports or reaches by attribute (sorted dotted names).

    Examples
    --------
    >>> static_reference_uses("from coursekit.metrics.image import mse as m", ("coursekit.metrics.image.mse",))
    ['coursekit.metrics.image.mse']
    >>> static_reference_uses("def mse(a, b):\\n    return image.mse(a, b)", ("coursekit.metrics.image.mse",))
    ['coursekit.metrics.image.mse']
    >>> static_reference_uses("def mse(a, b):\\n    return ((a - b) ** 2).mean()", ("coursekit.metrics.image.mse",))
    []
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = set()
    for ref in references:
        module, name = ref.rsplit(".", 1)
        short = module.rsplit(".", 1)[-1]
        aliases = {module, short}                       # names under which the module may be reachable
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name == module:
                        aliases.add(a.asname or a.name)
            elif isinstance(node, ast.ImportFrom) and node.module:
                for a in node.names:
                    if node.module in (module, short) or node.module.endswith("." + short):
                        if a.name in (name, "*"):
                            found.add(ref)
                    elif f"{node.module}.{a.name}" == module:
                        aliases.add(a.asname or a.name)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == name and _dotted(node.value) in aliases:
                found.add(ref)
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
                  and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
                  and node.args[1].value == name and _dotted(node.args[0]) in aliases):
                found.add(ref)
            elif isinstance(node, ast.Constant) and node.value == ref:   # importlib / eval by full name
                found.add(ref)
    return sorted(found)
