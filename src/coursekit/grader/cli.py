"""``coursekit grade``: the command line of the grader.

::

    coursekit grade exercises/01_foundations.ipynb --out grading/        # one student: score.json, score.md
    coursekit grade submissions/*/ --jobs 2 --out grades/                # a batch: grades/<student>/…, gradebook.csv
    coursekit grade sub.ipynb --checks private_checks/ --master solutions/ --timeout 60 --memory-mb 2048

Exit status: 0 when at least one notebook was graded (whatever the score), 1 when nothing could be graded
(nor when every exercise failed because the grader itself could not run it), 2 for a usage error (a path
that does not exist, a bad option), 3 when the sandbox cannot run here: not Linux (see
:mod:`coursekit.grader.platform_support`), or bubblewrap is unavailable and ``--unsafe-no-sandbox`` was not
given.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from coursekit.grader.intake import SubmissionError, find_notebooks, read_notebook
from coursekit.grader.platform_support import unsupported_reason
from coursekit.grader.judge import Student, grade_students, load_private_checks
from coursekit.grader.report import score_document, write_gradebook, write_reports
from coursekit.grader.sandbox import Limits, self_test
from coursekit.grader.submission import MasterIndex

__all__ = ["add_parser", "run", "GRADER_FAILURES"]

#: Messages of exercises the grader itself could not run (not the student's fault); see ``run``.
GRADER_FAILURES = ("the sandbox could not start", "internal grader error", "its check", "the check could not run",
                   "no check for this exercise")


def add_parser(sub) -> None:
    """Add the ``grade`` subcommand and its options to the ``coursekit`` argument parser."""
    p = sub.add_parser("grade", help="grade students' exercise notebooks against the master copies",
                       description="Grade exercise notebooks. A file argument is one student's notebook; a "
                                   "directory argument is one student (every notebook below it) and "
                                   "switches to batch mode: reports in OUT/<student>/ and OUT/gradebook.csv.")
    p.add_argument("paths", nargs="+", type=Path, metavar="SUBMISSION", help="notebook files or student folders")
    p.add_argument("--out", type=Path, default=Path("grading"), help="where reports go (default: grading/)")
    p.add_argument("--master", type=Path, default=None,
                   help="folder of the solved master notebooks (default: solutions/ here or in the coursekit checkout)")
    p.add_argument("--checks", type=Path, default=None, help="folder of private check modules chNN_*.py")
    p.add_argument("--jobs", type=int, default=1, help="sandboxes run in parallel (default 1)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per exercise (default 60)")
    p.add_argument("--memory-mb", type=int, default=2048, help="memory per exercise in MB (default 2048)")
    p.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="run student code WITHOUT bubblewrap (only for code you trust); every report says so")
    p.add_argument("--quiet", action="store_true", help="print only the totals (and no progress bar)")


def _default_master() -> Path | None:
    import coursekit

    for candidate in (Path.cwd() / "solutions", Path(coursekit.__file__).resolve().parents[2] / "solutions"):
        if any(candidate.glob("*.ipynb")):
            return candidate
    return None


def _safe_name(name: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._@+-]", "_", name).lstrip(".") or "student"
    return name[:100]


def _students(paths: list[Path]) -> tuple[list[Student], bool]:
    """One student for all file arguments, or (batch) one per folder, plus one per loose file."""
    batch = any(p.is_dir() and not p.is_symlink() for p in paths)

    def read(p: Path):
        try:
            return read_notebook(p)
        except SubmissionError as exc:
            return exc

    if not batch:
        return [Student("", [(p, read(p)) for p in paths])], False
    students, seen = [], set()
    for p in paths:
        name = _safe_name(p.name if p.is_dir() else p.stem)
        base, n = name, 1
        while name in seen:
            n += 1
            name = f"{base}-{n}"
        seen.add(name)
        if p.is_dir() and not p.is_symlink():
            found, problems = find_notebooks(p)
            if not found and not problems:
                problems = [f"{p}: no notebooks (*.ipynb) in this folder."]
            students.append(Student(name, found, problems))
        else:
            students.append(Student(name, [(p, read(p))]))
    return students, True


def _progress_bar(batch: bool, quiet: bool):
    """A tqdm bar over every exercise of a batch (on standard error), or ``None`` for one student or with ``--quiet``."""
    if quiet or not batch:
        return None, None
    from tqdm.auto import tqdm

    bar = tqdm(desc="grading", unit="exercise", file=sys.stderr, leave=False, dynamic_ncols=True)
    return bar, (lambda entry: bar.update(1))


def run(args: argparse.Namespace) -> int:
    """Grade what ``args`` names, write the reports and return the exit status (see the module docstring)."""
    missing = [p for p in args.paths if not p.exists() and not p.is_symlink()]
    if missing:
        print(f"coursekit grade: no such file or folder: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    why = unsupported_reason(unsafe=bool(args.unsafe_no_sandbox))
    if why:
        print(why, file=sys.stderr)
        return 3
    master_dir = args.master or _default_master()
    if master_dir is None or not master_dir.is_dir():
        print(f"coursekit grade: cannot find the master notebooks{f' in {master_dir}' if master_dir else ''}; "
              "pass --master DIR (the course's solutions/).", file=sys.stderr)
        return 2
    if args.checks is not None and not args.checks.is_dir():
        print(f"coursekit grade: --checks {args.checks} is not a folder.", file=sys.stderr)
        return 2
    if args.jobs < 1 or args.timeout <= 0 or args.memory_mb < 64:
        print("coursekit grade: --jobs must be >= 1, --timeout > 0 and --memory-mb >= 64.", file=sys.stderr)
        return 2
    unsafe = bool(args.unsafe_no_sandbox)
    if not unsafe:
        why = self_test()
        if why:
            print(f"coursekit grade: refusing to run student code: {why}. Install bubblewrap, or pass "
                  "--unsafe-no-sandbox to grade without isolation (only for code you trust).", file=sys.stderr)
            return 3
    masters = MasterIndex(master_dir)
    private = load_private_checks(args.checks) if args.checks else {}
    limits = Limits(timeout_s=args.timeout, memory_mb=args.memory_mb)
    students, batch = _students(args.paths)
    bar, progress = _progress_bar(batch, args.quiet)
    try:
        reports = grade_students(students, masters, limits, jobs=args.jobs, private=private, unsafe=unsafe,
                                 progress=progress)
    finally:
        if bar is not None:
            bar.close()
    # every sandbox is gone now: only then are reports written
    docs = [score_document(r, limits, private_checks=bool(private), unsafe=unsafe) for r in reports]
    mark = "UNSAFE (no sandbox): " if unsafe else ""
    graded = 0
    for doc in docs:
        write_reports(doc, args.out / doc["student"] if batch else args.out)
        who = f"{doc['student']}: " if batch else ""
        for nb in doc["notebooks"]:
            if nb["status"] == "graded":
                graded += 1
                print(f"{mark}{who}{nb['path']}: {nb['points']:g} / {nb['max_points']:g} points")
                if not args.quiet:
                    for e in nb["exercises"]:
                        print(f"{mark}    {e['id']}: {e['points']:g} / {e['max_points']:g} {e['status']}"
                              + (f" — {e['message']}" if e["message"] else ""))
        for problem in doc["problems"]:
            print(f"{mark}{who}not graded: {problem}")
    if batch:
        write_gradebook(docs, args.out / "gradebook.csv")
        print(f"{mark}wrote {args.out / 'gradebook.csv'} and {len(docs)} reports under {args.out}/")
    else:
        print(f"{mark}wrote {args.out / 'score.json'} and {args.out / 'score.md'}")
    exercises = [e for doc in docs for nb in doc["notebooks"] if nb["status"] == "graded" for e in nb["exercises"]]
    if exercises and all(str(e.get("message", "")).startswith(GRADER_FAILURES) for e in exercises):
        print(f"coursekit grade: the grader could not run any exercise ({exercises[0]['message']}); "
              "the scores above are not grades.", file=sys.stderr)
        return 1
    return 0 if graded else 1
