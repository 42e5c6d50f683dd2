"""Read a submission (never writing to it), find its master copy, and pair exercises by id.

A submission is matched to the master notebook of its chapter: the chapter is read from the exercise ids
in its cells' metadata (``"ch01.mse"`` → ``ch01``), or from the file name (``01_foundations.ipynb``) when
no cell carries an id. Every problem that stops a notebook from being graded raises
:class:`SubmissionError` with one line a student can act on.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.exercises import exercise_specs

__all__ = ["SubmissionError", "Submission", "Master", "MasterIndex", "ExerciseTask", "read_submission",
           "plan_exercises"]

_NAME_RE = re.compile(r"^(\d\d)_")


class SubmissionError(ValueError):
    """A notebook cannot be graded; the message is one line for the report."""


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


@dataclass
class Submission:
    """A student's notebook as read from disk (the bytes are only read, never written)."""

    path: Path
    sha256: str
    nb: dict

    @property
    def cells(self) -> list[dict]:
        return [c for c in self.nb["cells"] if isinstance(c, dict)]

    def chapters(self) -> set[str]:
        """The chapters named by the exercise ids of the cells tagged ``exercise`` or ``check``."""
        return {eid.split(".", 1)[0] for c in self.cells
                if ("exercise" in _tags(c) or "check" in _tags(c)) and (eid := _exercise_id(c)) and "." in eid}


def read_submission(path: Path) -> Submission:
    """Read and sanity-check a notebook; raise :class:`SubmissionError` with one clear line."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise SubmissionError("is a directory, not a notebook.") from None
    except OSError as exc:
        raise SubmissionError(f"cannot be read ({exc.strerror or type(exc).__name__}).") from None
    digest = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise SubmissionError("the file is empty: save the notebook in Jupyter and submit it again.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SubmissionError("not a notebook: the file is not text (UTF-8).") from None
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as exc:
        what = "not a notebook" if not text.lstrip().startswith("{") else "invalid JSON"
        raise SubmissionError(f"{what}: the file is not valid notebook JSON (line {exc.lineno}, column "
                              f"{exc.colno}: {exc.msg}).") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise SubmissionError("not a notebook: the JSON has no list of 'cells'.")
    fmt = nb.get("nbformat")
    if fmt != 4:
        raise SubmissionError(f"unknown notebook format (nbformat={fmt!r}); the grader reads nbformat 4: "
                              "open and save the notebook in a current Jupyter.")
    return Submission(path, digest, nb)


# ----------------------------------------------------------------------------- master copies

@dataclass
class Master:
    """One solved notebook: the master copy of a chapter's exercises."""

    path: Path
    chapter: str
    nb: dict
    specs: list

    def cell(self, cell_id: str) -> dict:
        return next(c for c in self.nb["cells"] if c.get("id") == cell_id)

    def setup_sources(self) -> list[str]:
        """The code that runs before every exercise: the cells tagged ``setup`` if there are any,
        else every code cell before the first exercise cell."""
        code = [c for c in self.nb["cells"] if c["cell_type"] == "code"]
        tagged = [c for c in code if "setup" in _tags(c)]
        if tagged:
            return [_source(c) for c in tagged]
        out = []
        for c in code:
            if "exercise" in _tags(c) or "check" in _tags(c):
                break
            out.append(_source(c))
        return out

    def function_name(self, spec) -> str:
        """The name of the student's function, read from the master's check cell
        ``grading.check("chNN.name", <function>, points=...)``."""
        tree = ast.parse(_source(self.cell(spec.check_cell)))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and len(node.args) >= 2 and isinstance(node.args[1], ast.Name)
                    and isinstance(node.args[0], ast.Constant) and node.args[0].value == spec.exercise_id):
                return node.args[1].id
        raise ValueError(f"the master check cell of {spec.exercise_id} names no function.")


class MasterIndex:
    """The master notebooks of a directory (``solutions/``), by chapter (``"ch01"``)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.by_chapter: dict[str, Master] = {}
        for path in sorted(self.directory.glob("*.ipynb")):
            nb = json.loads(path.read_text(encoding="utf-8"))
            specs = exercise_specs(nb)
            if specs:
                chapter = specs[0].exercise_id.split(".", 1)[0]
                self.by_chapter[chapter] = Master(path, chapter, nb, specs)
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
            raise SubmissionError(f"mixes exercises of several chapters ({', '.join(sorted(chapters))}).")
        chapter = chapters.pop()
        if chapter not in self.by_chapter:
            raise SubmissionError(f"wrong chapter: its exercises are {chapter}'s, which has no master copy "
                                  f"(chapters with exercises: {available}).")
        if named and named != chapter and named in self.by_chapter:
            raise SubmissionError(f"wrong chapter: the file name says chapter {named[2:]} but its exercises "
                                  f"are {chapter}'s; submit the chapter {named[2:]} notebook under this name.")
        return self.by_chapter[chapter]


# ----------------------------------------------------------------------------- pairing exercises

@dataclass
class ExerciseTask:
    """One exercise to grade: the master's view plus the student's cell (or why there is none)."""

    exercise_id: str
    max_points: float
    function: str
    source: str | None                 # the student's exercise cell; None when missing or duplicated
    problem: str = ""                  # "missing" | "duplicated" | ""
    message: str = ""
    flags: list[str] = field(default_factory=list)
    helpers: list[str] = field(default_factory=list)   # the student's earlier exercise cells


def plan_exercises(sub: Submission, master: Master) -> tuple[list[ExerciseTask], list[str]]:
    """Pair every master exercise with the student's cell of the same id.

    Returns the tasks (in the master's order) and notebook-level flags (e.g. unknown exercise ids).
    """
    cells = [c for c in sub.cells if c.get("cell_type") == "code"]
    tasks, helpers, notes = [], [], []
    known = {s.exercise_id for s in master.specs}
    extra = sorted({eid for c in cells if "exercise" in _tags(c) and (eid := _exercise_id(c)) not in known})
    if extra:
        notes.append(f"exercise cells with ids the master does not have were ignored: {', '.join(map(str, extra))}.")
    for spec in master.specs:
        eid = spec.exercise_id
        task = ExerciseTask(eid, spec.points, master.function_name(spec), None)
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
            meta = mine[0].get("metadata")
            declared = meta.get("exercise") if isinstance(meta, dict) else None
            if isinstance(declared, dict) and declared.get("points", spec.points) != spec.points:
                task.flags.append("points in the cell metadata were changed; the master's points count.")
        master_check = _source(master.cell(spec.check_cell)).strip()
        checks = [c for c in cells if "check" in _tags(c) and _exercise_id(c) == eid]
        if not checks:
            task.flags.append("check cell deleted; restored from the master copy.")
        elif any(_source(c).strip() != master_check for c in checks):
            task.flags.append("check cell edited; restored from the master copy.")
        task.helpers = list(helpers)
        if task.source is not None:
            helpers.append(task.source)
        tasks.append(task)
    return tasks, notes
