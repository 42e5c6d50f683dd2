"""Spot, in a student's cell, an import or use of a function the exercise must not call.

Two lists, both kept with the check (:class:`coursekit.grading.Check`):

* ``implements`` — the coursekit functions that are the answer. Reaching one scores 0 (``reference-used``):
  statically here (an import, an attribute access such as ``sampling.mse``, ``getattr(mod, "mse")``, the full
  dotted name in a string), and at run time because the sandbox's copy of coursekit has their bodies
  removed (:mod:`coursekit.grader.strip`), whatever route the code took;
* ``forbidden`` — third-party calls that do the exercise's work (``cv2.GaussianBlur``): only flagged, for a
  human to look at. A determined student can hide such a call from a static reading (``getattr`` on a
  computed name); the instructors' page says so.
"""

from __future__ import annotations

import ast

__all__ = ["static_reference_uses"]


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
    r"""The references that ``source`` imports or reaches by attribute (sorted dotted names).

    Examples
    --------
    >>> static_reference_uses("from coursekit.metrics.image import mse as m", ("coursekit.metrics.image.mse",))
    ['coursekit.metrics.image.mse']
    >>> static_reference_uses("def mse(a, b):\n    return image.mse(a, b)", ("coursekit.metrics.image.mse",))
    ['coursekit.metrics.image.mse']
    >>> static_reference_uses("def mse(a, b):\n    return ((a - b) ** 2).mean()", ("coursekit.metrics.image.mse",))
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
