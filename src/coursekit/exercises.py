"""Generate the students' exercise notebooks from the solved ones.

``solutions/NN_slug.ipynb`` is the single source. In it:

* the cell a student edits carries the tag ``exercise`` and the metadata
  ``{"exercise": {"id": "ch02.gamma_correct", "points": 2}}``; its solution body
  sits between a ``# BEGIN SOLUTION`` and an ``# END SOLUTION`` line;
* the cell the grader owns carries the tag ``check`` and the same
  ``exercise`` metadata, and calls :func:`coursekit.grading.check`.

:func:`make_stub` replaces every marked body by
``raise NotImplementedError(...)`` (indented like the marker), keeps cell ids,
tags and metadata, and strips outputs. ``make exercises`` runs
``python -m coursekit exercises`` which rewrites ``exercises/`` from
``solutions/``; a test proves the two are in sync.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BEGIN", "END", "ExerciseSpec", "stub_source", "make_stub", "exercise_specs",
           "validate_solution_notebook", "write_exercises"]

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
_ID_RE = re.compile(r"^ch\d\d\.[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class ExerciseSpec:
    """One graded exercise of a notebook, as its metadata declares it."""

    exercise_id: str
    points: float
    exercise_cell: str  # cell id
    check_cell: str     # cell id


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def stub_source(source: str, exercise_id: str) -> str:
    """Replace each ``BEGIN``/``END SOLUTION`` block of ``source`` by a ``NotImplementedError``.

    Examples
    --------
    >>> src = "def f(x):\\n    # BEGIN SOLUTION\\n    return 2 * x\\n    # END SOLUTION\\n"
    >>> print(stub_source(src, "ch01.double"))
    def f(x):
        raise NotImplementedError("Exercise ch01.double: replace this line with your code.")
    <BLANKLINE>
    """
    out, inside, n_blocks = [], False, 0
    for line in source.splitlines(keepends=True):
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise ValueError(f"{exercise_id}: nested '{BEGIN}' marker.")
            inside, n_blocks = True, n_blocks + 1
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f'{indent}raise NotImplementedError("Exercise {exercise_id}: '
                       f'replace this line with your code.")\n')
        elif stripped == END:
            if not inside:
                raise ValueError(f"{exercise_id}: '{END}' without a '{BEGIN}'.")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{exercise_id}: '{BEGIN}' is never closed by '{END}'.")
    if n_blocks == 0:
        raise ValueError(f"{exercise_id}: the exercise cell has no '{BEGIN}' marker.")
    return "".join(out)


def exercise_specs(nb: dict) -> list[ExerciseSpec]:
    """Read the exercises a notebook declares, checking that each has one exercise and one check cell."""
    ex_cells: dict[str, tuple[str, float]] = {}
    check_cells: dict[str, tuple[str, float]] = {}
    order: list[str] = []
    for cell in nb["cells"]:
        tags = cell.get("metadata", {}).get("tags", [])
        kind = "exercise" if "exercise" in tags else "check" if "check" in tags else None
        if kind is None:
            continue
        if cell["cell_type"] != "code":
            raise ValueError(f"cell {cell.get('id')} is tagged {kind!r} but is not a code cell.")
        meta = cell.get("metadata", {}).get("exercise")
        if not isinstance(meta, dict) or "id" not in meta or "points" not in meta:
            raise ValueError(f"{kind} cell {cell.get('id')} lacks metadata {{'exercise': {{'id', 'points'}}}}.")
        eid, pts = meta["id"], meta["points"]
        if not isinstance(eid, str) or not _ID_RE.match(eid):
            raise ValueError(f"exercise id {eid!r} must look like 'ch02.gamma_correct'.")
        if isinstance(pts, bool) or not isinstance(pts, (int, float)) or pts <= 0:
            raise ValueError(f"{eid}: points must be a positive number, got {pts!r}.")
        target = ex_cells if kind == "exercise" else check_cells
        if eid in target:
            raise ValueError(f"{eid}: more than one {kind} cell.")
        target[eid] = (cell["id"], float(pts))
        if kind == "exercise":
            order.append(eid)
    if set(ex_cells) != set(check_cells):
        missing = set(ex_cells) ^ set(check_cells)
        raise ValueError(f"exercises without a matching exercise/check pair: {sorted(missing)}.")
    specs = []
    for eid in order:
        if ex_cells[eid][1] != check_cells[eid][1]:
            raise ValueError(f"{eid}: the exercise and check cells declare different points.")
        specs.append(ExerciseSpec(eid, ex_cells[eid][1], ex_cells[eid][0], check_cells[eid][0]))
    return specs


def validate_solution_notebook(nb: dict) -> list[ExerciseSpec]:
    """Check a solutions notebook: specs are consistent and each check cell calls its own id
    with the points of the metadata."""
    specs = exercise_specs(nb)
    by_id = {c.get("id"): c for c in nb["cells"]}
    for spec in specs:
        src = _source(by_id[spec.check_cell])
        m = re.search(r"check\(\s*['\"]([^'\"]+)['\"]\s*,\s*\w+\s*,\s*points\s*=\s*([0-9.]+)\s*\)", src)
        if not m or m.group(1) != spec.exercise_id or float(m.group(2)) != spec.points:
            raise ValueError(f"{spec.exercise_id}: its check cell must call "
                             f"grading.check({spec.exercise_id!r}, <function>, points={spec.points:g}).")
        stub_source(_source(by_id[spec.exercise_cell]), spec.exercise_id)  # markers are well formed
    return specs


def make_stub(nb: dict) -> dict:
    """Return the student version of a solutions notebook (a deep copy; the input is unchanged)."""
    validate_solution_notebook(nb)
    stub = copy.deepcopy(nb)
    for cell in stub["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
            if "exercise" in cell.get("metadata", {}).get("tags", []):
                cell["source"] = stub_source(_source(cell), cell["metadata"]["exercise"]["id"])
    return stub


def dumps(nb: dict) -> str:
    """Serialise a notebook the way Jupyter does (1-space indent, trailing newline)."""
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def write_exercises(solutions: Path, exercises: Path) -> list[Path]:
    """Regenerate every ``exercises/*.ipynb`` from ``solutions/*.ipynb``; return the written paths."""
    solutions, exercises = Path(solutions), Path(exercises)
    exercises.mkdir(parents=True, exist_ok=True)
    written = []
    for src in sorted(solutions.glob("*.ipynb")):
        nb = json.loads(src.read_text(encoding="utf-8"))
        dst = exercises / src.name
        dst.write_text(dumps(make_stub(nb)), encoding="utf-8")
        written.append(dst)
    for stale in exercises.glob("*.ipynb"):
        if not (solutions / stale.name).exists():
            stale.unlink()
    return written
