"""Write what the grader found: ``score.json`` (versioned), ``score.md`` (for a CI job summary), ``gradebook.csv``.

``score.json`` (schema version :data:`coursekit.grader.SCHEMA_VERSION`; documented in ``book/instructors.md``)::

    {"schema_version": 1, "tool": {"name": "coursekit", "version": "0.1.0"}, "student": "alice" | null,
     "points": 7.0, "max_points": 8.0, "problems": ["..."],
     "notebooks": [{"path", "sha256", "chapter", "master", "status": "graded" | "not-graded",
                    "problem": null | "one line", "flags": [...], "points", "max_points",
                    "exercises": [{"id", "points", "max_points", "status", "message",
                                   "cases": [{"label", "passed", "hint"}], "flags": [...], "runtime_s"}]}],
     "grading_environment": {"isolation", "network", "timeout_s", "memory_mb", "seed", "python",
                             "private_checks"}}
"""

from __future__ import annotations

import csv
import json
import platform
from pathlib import Path

from coursekit import __version__
from coursekit.grader import SCHEMA_VERSION
from coursekit.grader.sandbox import Limits

__all__ = ["score_document", "write_reports", "write_gradebook", "render_markdown"]

STATUS_TEXT = {
    "passed": "✅ passed", "failed": "❌ failed", "not-done": "⬜ not done", "error": "❌ error",
    "timeout": "⏱ time limit", "crashed": "💥 crashed", "missing": "❓ missing", "duplicated": "❓ duplicated",
    "reference-used": "🚫 reference used",
}


def _network(report: dict) -> str:
    used = {e.pop("network", "") for nb in report["notebooks"] for e in nb["exercises"]} - {""}
    if not used:
        return "not used (no exercise ran)"
    return "+".join(sorted(used))


def score_document(report: dict, limits: Limits, private_checks: bool) -> dict:
    """The ``score.json`` content of one student (``report`` from :func:`.runner.grade_students`)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "coursekit", "version": __version__},
        "student": report["student"],
        "points": report["points"],
        "max_points": report["max_points"],
        "problems": report["problems"] + [f"{nb['path']}: {nb['problem']}" for nb in report["notebooks"]
                                          if nb["problem"]],
        "notebooks": report["notebooks"],
        "grading_environment": {
            "isolation": "one process per exercise, forked from a preloaded server; own process group",
            "network": _network(report),
            "timeout_s": limits.timeout_s,
            "memory_mb": limits.memory_mb,
            "seed": limits.seed,
            "python": platform.python_version(),
            "private_checks": private_checks,
        },
    }


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(doc: dict) -> str:
    """A report fit for ``$GITHUB_STEP_SUMMARY``: the total, a table per notebook, then why points were lost."""
    who = f" — {doc['student']}" if doc["student"] else ""
    lines = [f"## Grading report{who}", "", f"**Total: {doc['points']:g} / {doc['max_points']:g} points**", ""]
    for nb in doc["notebooks"]:
        if nb["status"] != "graded":
            continue
        lines += [f"### `{nb['path']}` — {nb['points']:g} / {nb['max_points']:g}", "",
                  "| Exercise | Points | Status | Notes |", "|---|---:|---|---|"]
        for e in nb["exercises"]:
            notes = [e["message"]] if e["message"] else []
            failed = [c for c in e["cases"] if not c["passed"]]
            if failed and e["status"] == "failed":
                notes.append(f"{len(failed)} of {len(e['cases'])} cases failed")
            notes += e["flags"]
            lines.append(f"| `{e['id']}` | {e['points']:g} / {e['max_points']:g} | "
                         f"{STATUS_TEXT.get(e['status'], e['status'])} | {_cell('; '.join(notes))} |")
        lines += [f"| **total** | **{nb['points']:g} / {nb['max_points']:g}** | | |", ""]
        for flag in nb["flags"]:
            lines.append(f"- {flag}")
        lost = [(e, c) for e in nb["exercises"] for c in e["cases"] if not c["passed"]]
        if lost:
            lines += ["", "<details><summary>Failed cases and hints</summary>", ""]
            lines += [f"- `{e['id']}` — {_cell(c['label'])}: {_cell(c['hint'])}" for e, c in lost]
            lines += ["", "</details>"]
        lines.append("")
    if doc["problems"]:
        lines += ["### Not graded", ""] + [f"- {_cell(p)}" for p in doc["problems"]] + [""]
    env = doc["grading_environment"]
    lines.append(f"<sub>coursekit {doc['tool']['version']} · {env['isolation']} · network: {env['network']} · "
                 f"limits {env['timeout_s']:g} s and {env['memory_mb']} MB per exercise · seed {env['seed']} · "
                 f"score.json schema {doc['schema_version']}</sub>")
    return "\n".join(lines) + "\n"


def write_reports(doc: dict, out: Path) -> None:
    """Write ``out/score.json`` and ``out/score.md``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "score.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "score.md").write_text(render_markdown(doc), encoding="utf-8")


def write_gradebook(docs: list[dict], path: Path) -> None:
    """One row per (student, notebook): the points of every exercise, the total and any problem."""
    ids: list[str] = []
    for doc in docs:
        for nb in doc["notebooks"]:
            ids += [e["id"] for e in nb["exercises"] if e["id"] not in ids]
    ids.sort(key=lambda i: i.split(".", 1)[0])  # by chapter; within a chapter, the master's order
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student", "notebook", "status", *ids, "points", "max_points", "problem"])
        for doc in docs:
            rows = doc["notebooks"] or [{"path": "", "status": "not-graded", "exercises": [], "points": 0,
                                         "max_points": 0, "problem": "; ".join(doc["problems"])}]
            for nb in rows:
                pts = {e["id"]: f"{e['points']:g}" for e in nb["exercises"]}
                w.writerow([doc["student"], nb["path"], nb["status"], *[pts.get(i, "") for i in ids],
                            f"{nb['points']:g}", f"{nb['max_points']:g}", nb.get("problem") or ""])
