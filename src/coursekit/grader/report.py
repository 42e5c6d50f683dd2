"""Write what the grader found: ``score.json`` (versioned), ``score.md`` (for a CI job summary), ``gradebook.csv``.

``score.json`` (schema version :data:`coursekit.grader.SCHEMA_VERSION`, JSON Schema :data:`SCORE_SCHEMA`,
documented in ``book/instructors.md``)::

    {"schema_version": 2, "tool": {"name": "coursekit", "version": "0.1.0"}, "student": "alice" | "",
     "points": 7.0, "max_points": 8.0, "problems": ["..."], "unsafe": false,
     "notebooks": [{"path", "sha256", "chapter", "master", "status": "graded" | "not-graded",
                    "problem": null | "one line", "flags": [...], "points", "max_points",
                    "exercises": [{"id", "points", "max_points", "status", "message",
                                   "cases": [{"label", "passed", "hint"}], "flags": [...], "runtime_s"}]}],
     "grading_environment": {"isolation", "network", "timeout_s", "memory_mb", "seed", "python",
                             "private_checks", "similarity_threshold"}}

Every file is written to a temporary name in the same folder and renamed into place (atomic), and only
after every sandbox of the run is gone, so a report is either the whole truth of this run or absent.
"""

from __future__ import annotations

import csv
import io
import json
import os
import platform
import tempfile
from pathlib import Path

from coursekit import __version__
from coursekit.grader import SCHEMA_VERSION
from coursekit.grader.judge import UNSAFE_FLAG
from coursekit.grader.sandbox import Limits, isolation_text
from coursekit.grader.similarity import THRESHOLD

__all__ = ["score_document", "write_reports", "write_gradebook", "render_markdown", "SCORE_SCHEMA", "atomic_write"]

STATUS_TEXT = {
    "passed": "✅ passed", "failed": "❌ failed", "not-done": "⬜ not done", "error": "❌ error",
    "timeout": "⏱ time limit", "crashed": "💥 crashed", "missing": "❓ missing", "duplicated": "❓ duplicated",
    "reference-used": "🚫 reference used",
}
_STATUSES = sorted(STATUS_TEXT)
_NUM = {"type": "number", "minimum": 0}
SCORE_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["schema_version", "tool", "student", "points", "max_points", "problems", "notebooks",
                 "grading_environment", "unsafe"],
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "student": {"type": "string"},
        "points": _NUM, "max_points": _NUM,
        "unsafe": {"type": "boolean"},
        "problems": {"type": "array", "items": {"type": "string"}},
        "notebooks": {"type": "array", "items": {
            "type": "object",
            "required": ["path", "sha256", "chapter", "status", "problem", "flags", "points", "max_points", "exercises"],
            "properties": {
                "status": {"enum": ["graded", "not-graded"]},
                "flags": {"type": "array", "items": {"type": "string"}},
                "points": _NUM, "max_points": _NUM,
                "exercises": {"type": "array", "items": {
                    "type": "object",
                    "required": ["id", "points", "max_points", "status", "message", "cases", "flags", "runtime_s"],
                    "properties": {
                        "points": _NUM, "max_points": _NUM,
                        "status": {"enum": _STATUSES},
                        "cases": {"type": "array", "items": {"type": "object", "required": ["label", "passed", "hint"]}},
                        "flags": {"type": "array", "items": {"type": "string"}},
                    },
                }},
            },
        }},
    },
}


_score_validator = None


def score_document(report: dict, limits: Limits, private_checks: bool, unsafe: bool = False) -> dict:
    """The ``score.json`` content of one student (``report`` from :func:`.judge.grade_students`)."""
    doc = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "coursekit", "version": __version__},
        "student": report["student"] or "",
        "points": report["points"],
        "max_points": report["max_points"],
        "unsafe": unsafe,
        "problems": report["problems"] + [f"{nb['path']}: {nb['problem']}" for nb in report["notebooks"]
                                          if nb["problem"]],
        "notebooks": report["notebooks"],
        "grading_environment": {
            "isolation": isolation_text(unsafe),
            "network": "none: the process has its own network namespace" if not unsafe else "NOT isolated",
            "timeout_s": limits.timeout_s,
            "memory_mb": limits.memory_mb,
            "seed": limits.seed,
            "python": platform.python_version(),
            "private_checks": private_checks,
            "similarity_threshold": THRESHOLD,
        },
    }
    for nb in doc["notebooks"]:
        for e in nb["exercises"]:
            if not 0 <= e["points"] <= e["max_points"]:           # points are capped at the master's maximum
                raise RuntimeError(f"{e['id']}: {e['points']} points above the maximum {e['max_points']}")
    global _score_validator
    if _score_validator is None:
        import fastjsonschema

        _score_validator = fastjsonschema.compile(SCORE_SCHEMA)
    _score_validator(doc)
    return doc


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def render_markdown(doc: dict) -> str:
    """A report fit for ``$GITHUB_STEP_SUMMARY``: the total, a table per notebook, then why points were lost."""
    who = f" — {doc['student']}" if doc["student"] else ""
    unsafe = doc.get("unsafe")
    lines = [f"## Grading report{who}", ""]
    if unsafe:
        lines += [f"> **{UNSAFE_FLAG}**", ""]
    lines += [f"**Total: {doc['points']:g} / {doc['max_points']:g} points**", ""]
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
            lines.append(f"- {_cell(flag)}")
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


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_reports(doc: dict, out: Path) -> None:
    """Write ``out/score.json`` and ``out/score.md`` (atomically)."""
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / "score.json", json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    atomic_write(out / "score.md", render_markdown(doc))


def write_gradebook(docs: list[dict], path: Path) -> None:
    """One row per (student, notebook): the points of every exercise, the total, the flags and any problem."""
    ids: list[str] = []
    for doc in docs:
        for nb in doc["notebooks"]:
            ids += [e["id"] for e in nb["exercises"] if e["id"] not in ids]
    ids.sort(key=lambda i: i.split(".", 1)[0])  # by chapter; within a chapter, the master's order
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["student", "notebook", "status", *ids, "points", "max_points", "flags", "problem", "isolation"])
    for doc in docs:
        rows = doc["notebooks"] or [{"path": "", "status": "not-graded", "exercises": [], "points": 0,
                                     "max_points": 0, "flags": [], "problem": "; ".join(doc["problems"])}]
        for nb in rows:
            pts = {e["id"]: f"{e['points']:g}" for e in nb["exercises"]}
            flags = list(nb.get("flags", [])) + [f"{e['id']}: {f}" for e in nb["exercises"] for f in e["flags"]
                                                 if f != UNSAFE_FLAG]
            w.writerow([doc["student"], nb["path"], nb["status"], *[pts.get(i, "") for i in ids],
                        f"{nb['points']:g}", f"{nb['max_points']:g}", " | ".join(flags), nb.get("problem") or "",
                        "UNSAFE-no-sandbox" if doc.get("unsafe") else "sandbox"])
    atomic_write(path, buf.getvalue())
