"""Grade notebooks: plan each one against its master, run its exercises in parallel, collect the results.

All exercises of all submissions go to one thread pool of ``jobs`` workers; each worker only waits for
the process that runs its exercise (:func:`coursekit.grader.sandbox.run_exercise`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.grader.sandbox import Limits, run_exercise
from coursekit.grader.shortcuts import private_references, references_for, static_reference_uses
from coursekit.grader.submission import MasterIndex, SubmissionError, plan_exercises, read_submission

__all__ = ["Student", "grade_students", "find_notebooks"]

REFERENCE_FLAG = "used the reference implementation"


@dataclass
class Student:
    """Whose work, and which files (a student may hand in several notebooks)."""

    name: str
    paths: list[Path]
    problems: list[str] = field(default_factory=list)   # e.g. "no notebooks in DIR"


def find_notebooks(directory: Path) -> list[Path]:
    """Every ``*.ipynb`` below ``directory``, skipping hidden folders and ``.ipynb_checkpoints``."""
    return sorted(p for p in Path(directory).rglob("*.ipynb")
                  if not any(part.startswith(".") for part in p.relative_to(directory).parts[:-1]))


def _private_for(chapter: str, private: dict[str, str]) -> list[tuple[str, str]]:
    return [(name, src) for name, src in sorted(private.items())
            if name == chapter or name.startswith(chapter + "_")]


def _plan_notebook(path: Path, masters: MasterIndex, private: dict[str, str]) -> tuple[dict, list[dict]]:
    """The notebook's report skeleton and the jobs of its exercises (none if it cannot be graded)."""
    report = {"path": str(path), "sha256": None, "chapter": None, "master": None, "status": "not-graded",
              "problem": None, "flags": [], "exercises": [], "points": 0.0, "max_points": 0.0}
    try:
        sub = read_submission(path)
        report["sha256"] = sub.sha256
        master = masters.find(sub)
        tasks, notes = plan_exercises(sub, master)
    except SubmissionError as exc:
        report["problem"] = str(exc)
        return report, []
    report.update(chapter=master.chapter, master=str(master.path), status="graded", flags=notes)
    setup = master.setup_sources()
    mine = _private_for(master.chapter, private)
    jobs = []
    for task in tasks:
        refs = references_for(task.exercise_id)
        for _, src in mine:
            refs += private_references(src).get(task.exercise_id, ())
        entry = {"id": task.exercise_id, "points": 0.0, "max_points": task.max_points, "status": task.problem,
                 "message": task.message, "cases": [], "flags": list(task.flags), "runtime_s": 0.0}
        if task.source is not None:
            used = static_reference_uses(task.source, refs)
            if used:
                entry["flags"].append(f"{REFERENCE_FLAG} (your cell reaches {', '.join(used)}).")
            jobs.append({"entry": entry, "job": {
                "exercise_id": task.exercise_id, "points": task.max_points, "function": task.function,
                "setup": setup, "helpers": task.helpers, "source": task.source, "references": refs,
                "private": list(mine)}})
        report["exercises"].append(entry)
    return report, jobs


def _finish(entry: dict, result: dict) -> None:
    entry.update(status=result["status"], points=result["points"], message=result["message"],
                 cases=result["cases"], runtime_s=result["runtime_s"], network=result.get("network", ""))
    if result.get("used_reference"):
        entry["flags"].append(f"{REFERENCE_FLAG} (your function called it while being checked).")
    if any(f.startswith(REFERENCE_FLAG) for f in entry["flags"]):
        entry.update(points=0.0, status="reference-used",
                     message="0 points: your code calls the coursekit function this exercise asks you to write.")


def grade_students(students: list[Student], masters: MasterIndex, limits: Limits, jobs: int = 1,
                   private: dict[str, str] | None = None, progress=None) -> list[dict]:
    """Grade every student's notebooks; return one report dict per student (see :mod:`.report`)."""
    private = private or {}
    reports, pending = [], []
    for student in students:
        notebooks = []
        for path in student.paths:
            nb_report, nb_jobs = _plan_notebook(path, masters, private)
            notebooks.append(nb_report)
            pending += nb_jobs
        reports.append({"student": student.name, "problems": list(student.problems), "notebooks": notebooks})
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [(item["entry"], pool.submit(run_exercise, item["job"], limits)) for item in pending]
        for entry, future in futures:
            _finish(entry, future.result())
            if progress:
                progress(entry)
    for report in reports:
        for nb in report["notebooks"]:
            nb["points"] = sum(e["points"] for e in nb["exercises"])
            nb["max_points"] = sum(e["max_points"] for e in nb["exercises"])
        graded = [nb for nb in report["notebooks"] if nb["status"] == "graded"]
        report["points"] = sum(nb["points"] for nb in graded)
        report["max_points"] = sum(nb["max_points"] for nb in graded)
    return reports
