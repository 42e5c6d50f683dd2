"""Find a submission's master copy, pair exercises by id, and keep only the code an exercise needs.

A submission (read by :mod:`coursekit.grader.intake`) is matched to the master notebook of its chapter: the
chapter is read from the exercise ids in its cells' metadata (``"ch01.mse"`` → ``ch01``), or from the file
name (``01_foundations.ipynb``) when no cell carries an id. Every master exercise is paired with the
student's cell of the same id, never by position; check cells always come from the master, so editing
them changes nothing. Of the student's earlier exercise cells, an exercise gets only the definitions it
uses (:func:`needed_definitions`), so a slow or broken helper costs only the exercises that need it.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.exercises import exercise_specs
from coursekit.grader.intake import Submission, SubmissionError

__all__ = ["Master", "MasterIndex", "ExerciseTask", "plan_exercises", "needed_definitions", "imported_modules"]

_NAME_RE = re.compile(r"^(\d\d)_")


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _tags(cell: dict) -> list:
    meta = cell.get("metadata")
    tags = meta.get("tags", []) if isinstance(meta, dict) else []
    return tags if isinstance(tags, list) else []


def _exercise_id(cell: dict) -> str | None:
    meta = cell.get("metadata")
    ex = meta.get("exercise") if isinstance(meta, dict) else None
    eid = ex.get("id") if isinstance(ex, dict) else None
    return eid if isinstance(eid, str) else None


# ----------------------------------------------------------------------------- master copies

@dataclass
class Master:
    """One solved notebook: the master copy of a chapter's exercises (trusted)."""

    path: Path
    chapter: str
    nb: dict
    specs: list
    sha256: str = ""

    def cell(self, cell_id: str) -> dict:
        """The master's cell with this cell id."""
        return next(c for c in self.nb["cells"] if c.get("id") == cell_id)

    def setup_sources(self) -> list[str]:
        """The code that runs before every exercise.

        The cells tagged ``setup`` if there are any, else every code cell before the first exercise cell.
        """
        code = [c for c in self.nb["cells"] if c["cell_type"] == "code"]
        tagged = [c for c in code if "setup" in _tags(c)]
        if tagged:
            return [_source(c) for c in tagged]
        out = []
        for c in code:
            if "exercise" in _tags(c) or "check" in _tags(c):
                break
            if "install" not in _tags(c):        # tools/install_cell.py: pip on Colab, nothing to grade
                out.append(_source(c))
        return out

    def function_name(self, spec) -> str:
        """The name of the student's function, read from the master's check cell.

        The check cell reads ``grading.check("chNN.name", <function>, points=...)``.
        """
        tree = ast.parse(_source(self.cell(spec.check_cell)))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and len(node.args) >= 2 and isinstance(node.args[1], ast.Name)
                    and isinstance(node.args[0], ast.Constant) and node.args[0].value == spec.exercise_id):
                return node.args[1].id
        raise ValueError(f"the master check cell of {spec.exercise_id} names no function.")

    def exercise_source(self, spec) -> str:
        """The master's (solved) exercise cell of ``spec``."""
        return _source(self.cell(spec.exercise_cell))


class MasterIndex:
    """The master notebooks of a directory (``solutions/``), by chapter (``"ch01"``)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.by_chapter: dict[str, Master] = {}
        for path in sorted(self.directory.glob("*.ipynb")):
            data = path.read_bytes()
            nb = json.loads(data.decode("utf-8"))
            specs = exercise_specs(nb)
            if specs:
                chapter = specs[0].exercise_id.split(".", 1)[0]
                self.by_chapter[chapter] = Master(path, chapter, nb, specs, hashlib.sha256(data).hexdigest())
        if not self.by_chapter:
            raise FileNotFoundError(f"no master notebooks with exercises in {self.directory}.")

    def find(self, sub: Submission) -> Master:
        """The master of the submission's chapter; :class:`SubmissionError` if there is none."""
        chapters = sub.chapters()
        m = _NAME_RE.match(sub.path.name)
        named = f"ch{m.group(1)}" if m else None
        available = ", ".join(sorted(self.by_chapter))
        if not chapters:
            if named in self.by_chapter:
                return self.by_chapter[named]
            raise SubmissionError("no exercise cells found (no cell has exercise metadata): is this an "
                                  "exercise notebook of the course?")
        if len(chapters) > 1:
            raise SubmissionError(f"mixes exercises of several chapters ({', '.join(sorted(chapters))[:200]}).")
        chapter = chapters.pop()
        if chapter not in self.by_chapter:
            raise SubmissionError(f"wrong chapter: its exercises are {chapter[:20]}'s, which has no master copy "
                                  f"(chapters with exercises: {available}).")
        if named and named != chapter and named in self.by_chapter:
            raise SubmissionError(f"wrong chapter: the file name says chapter {named[2:]} but its exercises "
                                  f"are {chapter}'s; submit the chapter {named[2:]} notebook under this name.")
        return self.by_chapter[chapter]


# ----------------------------------------------------------------------------- the code an exercise needs

def _bound_and_used(stmt: ast.stmt) -> tuple[set[str], set[str]] | None:
    """Names a kept top-level statement binds and the names it uses; ``None`` for statements never kept."""
    used = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        bound = {(a.asname or a.name).split(".")[0] for a in stmt.names if a.name != "*"}
        return bound, set()
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {stmt.name}, used - {stmt.name}
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        if all(isinstance(t, ast.Name) for t in targets):
            return {t.id for t in targets}, used - {t.id for t in targets}
    return None


def needed_definitions(earlier: list[str], current: str) -> str:
    r"""The definitions of the ``earlier`` cells that the ``current`` cell needs, transitively, in order.

    Kept: imports, functions, classes and assignments to plain names, and only those whose names the
    current cell (or another kept definition) uses. A cell that does not parse contributes nothing.

    Examples
    --------
    >>> earlier = ["import time\nclass Slow:\n    time.sleep(99)\n\ndef mse(a, b):\n    return ((a - b)**2).mean()"]
    >>> print(needed_definitions(earlier, "def psnr(a, b):\n    return -10 * np.log10(mse(a, b))"))
    def mse(a, b):
        return ((a - b) ** 2).mean()
    """
    try:
        cur = ast.parse(current)
    except SyntaxError:
        return ""
    own = set()
    for stmt in cur.body:
        info = _bound_and_used(stmt)
        if info:
            own |= info[0]
    wanted = {n.id for n in ast.walk(cur) if isinstance(n, ast.Name)} - own
    stmts: list[tuple[int, ast.stmt, set[str], set[str]]] = []
    for cell_no, src in enumerate(earlier):
        try:
            tree = ast.parse(src)
        except SyntaxError:
            continue
        for stmt in tree.body:
            info = _bound_and_used(stmt)
            if info:
                stmts.append((cell_no, stmt, *info))
    keep: set[int] = set()
    frontier = set(wanted)
    done: set[str] = set()
    while frontier:
        name = frontier.pop()
        done.add(name)
        for i in range(len(stmts) - 1, -1, -1):              # the latest definition of the name wins
            if name in stmts[i][2]:
                if i not in keep:
                    keep.add(i)
                    frontier |= stmts[i][3] - done
                break
    return "\n\n".join(ast.unparse(stmts[i][1]) for i in sorted(keep))


def imported_modules(sources: list[str]) -> list[str]:
    """The modules the top-level imports of ``sources`` load (what a sandbox can import once, up front)."""
    out: list[str] = []
    for src in sources:
        try:
            tree = ast.parse(src)
        except SyntaxError:
            continue
        for node in tree.body:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
            out += [n for n in names if n not in out]
    return out


# ----------------------------------------------------------------------------- pairing exercises

@dataclass
class ExerciseTask:
    """One exercise to grade: the master's view plus the student's cell (or why there is none)."""

    exercise_id: str
    max_points: float
    function: str
    source: str | None                 # the student's exercise cell; None when missing or duplicated
    stub: str = ""                     # the exercise cell as students receive it (for similarity)
    problem: str = ""                  # "missing" | "duplicated" | ""
    message: str = ""
    flags: list[str] = field(default_factory=list)
    helpers: str = ""                  # the definitions of earlier exercise cells this one needs


def plan_exercises(sub: Submission, master: Master) -> tuple[list[ExerciseTask], list[str]]:
    """Pair every master exercise with the student's cell of the same id.

    Returns the tasks (in the master's order) and notebook-level flags (e.g. unknown exercise ids).
    """
    from coursekit.exercises import stub_source

    cells = [c for c in sub.cells if c.get("cell_type") == "code"]
    tasks, earlier, notes = [], [], []
    known = {s.exercise_id for s in master.specs}
    extra = sorted({str(eid)[:60] for c in cells if "exercise" in _tags(c) and (eid := _exercise_id(c)) not in known})
    if extra:
        notes.append(f"exercise cells with ids the master does not have were ignored: {', '.join(extra[:10])}.")
    for spec in master.specs:
        eid = spec.exercise_id
        task = ExerciseTask(eid, spec.points, master.function_name(spec), None,
                            stub=stub_source(master.exercise_source(spec), eid))
        mine = [c for c in cells if "exercise" in _tags(c) and _exercise_id(c) == eid]
        if not mine:  # the tag or metadata may have been deleted: try the cell's own id
            mine = [c for c in cells if c.get("id") == spec.exercise_cell]
            if len(mine) == 1:
                task.flags.append("exercise cell found by its cell id (its tag or metadata was removed).")
        if not mine:
            task.problem, task.message = "missing", "no exercise cell with this id: it was deleted or its tag removed."
            task.flags.append("exercise cell missing.")
        elif len(mine) > 1:
            task.problem = "duplicated"
            task.message = (f"{len(mine)} cells carry this exercise id: keep exactly one (delete the copies) "
                            "so the grader knows which is your answer.")
            task.flags.append("exercise cell duplicated.")
        else:
            task.source = _source(mine[0])
            declared = mine[0].get("metadata", {}).get("exercise")
            if isinstance(declared, dict) and declared.get("points", spec.points) != spec.points:
                task.flags.append("points in the cell metadata were changed; the master's points count.")
        master_check = _source(master.cell(spec.check_cell)).strip()
        checks = [c for c in cells if "check" in _tags(c) and _exercise_id(c) == eid]
        if not checks:
            task.flags.append("check cell deleted; restored from the master copy.")
        elif any(_source(c).strip() != master_check for c in checks):
            task.flags.append("check cell edited; restored from the master copy.")
        if task.source is not None:
            task.helpers = needed_definitions(earlier, task.source)
            earlier.append(task.source)
        tasks.append(task)
    return tasks, notes
