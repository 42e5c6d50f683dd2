"""The trusted side of ``coursekit grade``: plan, run in sandboxes, judge, flag — and decide every point.

For each submission: pair its exercises with the master (:mod:`.submission`), build each exercise's cases
once per run (:func:`coursekit.grading.build_cases`, seeded by the exercise id), send the inputs as data to
a sandbox (:mod:`.sandbox`) that runs the student's code, and judge the outputs here with the check's
reference and judgement (:func:`coursekit.grading.judge_answers`). The sandbox never sees an expected value,
a check or the master; whatever it sends back is only data to be judged. Points come from the master's
metadata and are capped at each exercise's maximum.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from coursekit import grading
from coursekit import grading_wire as wire
from coursekit.grader import sandbox as sandbox_mod
from coursekit.grader import similarity, strip
from coursekit.grader.intake import Submission, SubmissionError
from coursekit.grader.sandbox import Limits, Sandbox, SandboxDied
from coursekit.grader.shortcuts import static_reference_uses
from coursekit.grader.submission import MasterIndex, imported_modules, plan_exercises
from coursekit.grading import Status

__all__ = ["Student", "grade_students", "load_private_checks", "REFERENCE_FLAG", "UNSAFE_FLAG"]

REFERENCE_FLAG = "used the reference implementation"
UNSAFE_FLAG = "UNSAFE: graded without a sandbox (--unsafe-no-sandbox)"
PRIVATE_LABEL = "additional check: "


@dataclass
class Student:
    """Whose work, and what was read of it: ``(path, Submission or SubmissionError)`` per notebook."""

    name: str
    notebooks: list[tuple[Path, Submission | SubmissionError]]
    problems: list[str] = field(default_factory=list)


def load_private_checks(directory: Path) -> dict[str, list[grading.Check]]:
    """The instructor's private checks: ``DIR/chNN_*.py`` modules with a ``CHECKS`` list, by exercise id.

    They are imported here, in the trusted grader, and never copied anywhere a student's code can read.
    """
    out: dict[str, list[grading.Check]] = {}
    for path in sorted(Path(directory).glob("ch[0-9][0-9]*.py")):
        spec = importlib.util.spec_from_file_location(f"coursekit_private_checks.{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for eid, chk in grading.checks_in(module).items():
            out.setdefault(eid, []).append(chk)
    return out


# ----------------------------------------------------------------------------- per exercise, trusted data

@dataclass
class _Prepared:
    """Everything the judge needs about one exercise id, computed once per run."""

    checks: list[tuple[grading.Check, bool]]          # (check, private?)
    cases: list[list[grading.Case]]
    expected: list[list]
    trees: list
    blobs: list[bytes]
    implemented: tuple[str, ...]
    forbidden: tuple[str, ...]
    reference_code: str
    error: str = ""


def _prepare(eid: str, private: dict[str, list[grading.Check]]) -> _Prepared:
    checks: list[tuple[grading.Check, bool]] = []
    try:
        public = grading.find_check(eid)
    except (ValueError, RuntimeError) as exc:
        return _Prepared([], [], [], [], [], (), (), "", f"no check for this exercise ({exc})")
    except ModuleNotFoundError as exc:       # e.g. a torch chapter graded where torch is not installed
        extra = "torch" if (exc.name or "").split(".")[0] == "torch" else "dev"
        return _Prepared([], [], [], [], [], (), (), "", f"its check needs {exc.name}, which is not installed "
                         f"where the grader runs (pip install \"vision-by-building[{extra}]\"); tell your instructor")
    except Exception as exc:                 # a check module that does not import: only its exercises fail
        return _Prepared([], [], [], [], [], (), (), "",
                         f"its check could not be loaded ({type(exc).__name__}); tell your instructor")
    if not isinstance(public, grading.Check):
        return _Prepared([], [], [], [], [], (), (), "",
                         "its check is not written with grading.Check yet; tell your instructor")
    checks.append((public, False))
    checks += [(c, True) for c in private.get(eid, [])]
    cases, expected, trees, blobs = [], [], [], []
    try:
        for chk, is_private in checks:
            cs = grading.build_cases(chk)
            if is_private:
                cs = [grading.Case(PRIVATE_LABEL + c.label, c.args, c.kwargs, c.context, c.probe) for c in cs]
            t, b = grading.case_payload(cs)
            trees += [[wire.shift_blobs(a, len(blobs)), wire.shift_blobs(k, len(blobs))] for a, k in t]
            blobs += b
            cases.append(cs)
            expected.append(grading.expected_outputs(chk, cs))
    except grading.CheckError as exc:
        private_failed = any(p for _, p in checks[len(cases):len(cases) + 1])
        why = "an additional check could not be prepared" if private_failed else f"{exc}"
        return _Prepared(checks, [], [], [], [], (), (), "", f"the check could not run ({why}); tell your instructor")
    implemented = tuple(dict.fromkeys(n for chk, _ in checks for n in chk.implemented_names()))
    forbidden = tuple(dict.fromkeys(f for chk, _ in checks for f in chk.forbidden))
    ref_code = similarity.reference_source([o for chk, _ in checks for o in chk.implemented()])
    return _Prepared(checks, cases, expected, trees, blobs, implemented, forbidden, ref_code)


def _judge(prep: _Prepared, answers: list[grading.Answer]) -> tuple[Status, list[dict], str]:
    """Status, case reports and message from the answers (one per case of every check, in order)."""
    status, reports, message, pos = Status.PASSED, [], "", 0
    for (chk, is_private), cases, expected in zip(prep.checks, prep.cases, prep.expected):
        mine = answers[pos:pos + len(cases)]
        pos += len(cases)
        try:
            st, results, msg = grading.judge_answers(chk, cases, mine, expected)
        except grading.CheckError as exc:
            why = "an additional check failed" if is_private else str(exc)
            return Status.ERROR, reports, f"the check itself failed ({why}); tell your instructor."
        if st is Status.NOT_DONE:
            return Status.NOT_DONE, [], msg
        if st is not Status.PASSED:
            status = Status.FAILED
        reports += [{"label": r.label, "passed": r.passed, "hint": r.hint} for r in results]
        message = message or msg
    return status, reports, message


# ----------------------------------------------------------------------------- running one submission

@dataclass
class _Item:
    entry: dict
    prep: _Prepared
    header: dict


@dataclass
class _Chapter:
    package: Path | None
    preload: list[str]
    setup: list[str]


def _answers(done: dict, blobs: list[bytes], n_cases: int, limits: Limits) -> tuple[list[grading.Answer] | None, dict]:
    """The answers in a runner's ``done`` frame, or ``None`` and the entry fields that explain why not."""
    st = done.get("status")
    if st == "timeout":
        return None, {"status": Status.TIMEOUT, "message": f"stopped after {limits.timeout_s:g} s (the time "
                                                           "limit): an infinite loop, or much too slow?"}
    if st == "too-large":
        return None, {"status": Status.ERROR, "message": f"your outputs are larger than {limits.output_mb} MB."}
    if st != "ok" or not blobs:
        sig = done.get("signal") if isinstance(done.get("signal"), str) else ""
        why = f"was killed ({sig[:20]})" if sig else f"ended (exit code {str(done.get('exitcode'))[:10]}) before the check finished"
        return None, {"status": Status.CRASHED, "message": f"the process running your code {why}."}
    try:
        head, inner = wire.unpack(blobs[0], len(blobs[0]))
        error = head.get("error")
        if error is not None:
            kind = error.get("kind") if isinstance(error, dict) else None
            text = error.get("message") if isinstance(error, dict) and isinstance(error.get("message"), str) else ""
            if kind == "setup":
                text = f"the master notebook's setup code failed ({text[:80]}); tell your instructor."
            elif kind == "helpers":
                text = f"an earlier exercise cell this one uses failed: {text}"
            elif kind == "internal":
                text = "the runner failed; tell your instructor."
            return None, {"status": Status.ERROR, "message": text[:500]}
        raw = head.get("answers")
        if not isinstance(raw, list) or len(raw) > n_cases:
            raise wire.WireError("wrong number of answers")
        answers = [grading.answer_from_wire(a, inner) for a in raw]
    except (wire.WireError, AttributeError, TypeError):
        return None, {"status": Status.ERROR, "message": "the sandbox's answer was malformed (your code may have "
                                                         "written to the grader's channel)."}
    if len(answers) < n_cases:
        if answers and answers[-1].kind == "not-done":
            answers += [grading.Answer("not-done")] * (n_cases - len(answers))
        else:
            return None, {"status": Status.ERROR, "message": "the sandbox's answer was incomplete."}
    return answers, {}


def _finish(item: _Item, answers, fail: dict, runtime: float) -> None:
    entry = item.entry
    entry["runtime_s"] = round(float(runtime), 3)
    if answers is None:
        entry.update(status=fail["status"], message=fail["message"], points=0.0)
        return
    if any(a.kind == "reference" for a in answers):
        entry["flags"].append(f"{REFERENCE_FLAG} (your function called it while being checked).")
    status, cases, message = _judge(item.prep, answers)
    entry.update(status=status, cases=cases, message=message,
                 points=float(entry["max_points"]) if status is Status.PASSED else 0.0)


def _close_later(sb: Sandbox, closers: list) -> None:
    """Kill a sandbox now and wait for its processes to be gone in the background.

    The next sandbox need not wait; :func:`grade_students` joins every closer before it returns, so no
    report is written while any process of any sandbox is left.
    """
    if sb.proc.poll() is None:
        try:
            os.killpg(sb.proc.pid, 9)
        except (ProcessLookupError, PermissionError):
            pass
    t = threading.Thread(target=sb.close, daemon=True)
    t.start()
    closers.append(t)


def _run_shard(items: list[_Item], chapter: _Chapter, runner_dir: Path, limits: Limits, unsafe: bool,
               progress, closers: list) -> None:
    sb = None
    for item in items:
        try:
            sb = _run_item(item, sb, chapter, runner_dir, limits, unsafe, closers)
        except Exception as exc:  # a grader bug costs only this exercise, never the batch
            _finish(item, None, {"status": Status.ERROR, "message": f"internal grader error ({type(exc).__name__}); "
                                                                   "tell your instructor."}, 0.0)
            if sb is not None:                      # its state is unknown: the next exercise gets a new one
                _close_later(sb, closers)
                sb = None
        if progress:
            progress(item.entry)
    if sb is not None:
        _close_later(sb, closers)


def _run_item(item: _Item, sb, chapter: _Chapter, runner_dir: Path, limits: Limits, unsafe: bool, closers: list):
    """Grade one exercise in the submission's sandbox (started if needed); returns the sandbox to reuse."""
    if sb is None:
        try:
            sb = Sandbox(chapter.package, runner_dir, limits, chapter.preload, chapter.setup, unsafe)
        except (SandboxDied, OSError) as exc:
            _finish(item, None, {"status": Status.ERROR, "message": f"the sandbox could not start ({exc}); "
                                                                   "tell your instructor."}, 0.0)
            return None
    n_cases = sum(len(c) for c in item.prep.cases)
    try:
        done, blobs = sb.run(item.header, item.prep.blobs)
        answers, fail = _answers(done, blobs, n_cases, limits)
        runtime = done.get("runtime_s", 0.0) if isinstance(done.get("runtime_s"), (int, float)) else 0.0
    except SandboxDied as exc:
        mem = getattr(sb, "memory_exceeded", False)
        _close_later(sb, closers)
        sb = None
        answers, runtime = None, limits.timeout_s if str(exc) == "timeout" else 0.0
        if mem:
            fail = {"status": Status.CRASHED, "message": f"your code's processes together used more than "
                                                        f"{limits.memory_mb} MB (the memory limit)."}
        elif str(exc) == "timeout":
            fail = {"status": Status.TIMEOUT, "message": f"stopped after {limits.timeout_s:g} s (the time limit)."}
        else:
            fail = {"status": Status.CRASHED, "message": "the sandbox running your code stopped (did your code "
                                                         "kill its own process?)."}
    _finish(item, answers, fail, runtime)
    return sb


# ----------------------------------------------------------------------------- a whole run

def _empty_notebook(path: Path) -> dict:
    return {"path": str(path), "sha256": None, "chapter": None, "master": None, "status": "not-graded",
            "problem": None, "flags": [], "exercises": [], "points": 0.0, "max_points": 0.0}


def _pick_copies(subs: list[tuple[dict, Submission, object]]) -> tuple[list, list]:
    """One notebook per chapter: the one named like the master, else the newest, else the first path."""
    by_chapter: dict[str, list] = {}
    for item in subs:
        by_chapter.setdefault(item[2].chapter, []).append(item)
    keep, drop = [], []
    for items in by_chapter.values():
        items.sort(key=lambda it: (it[1].path.name != it[2].path.name, len(it[1].path.parts), -it[1].mtime_ns,
                                   str(it[1].path)))
        keep.append(items[0])
        drop += [(it, items[0]) for it in items[1:]]
    return keep, drop


def grade_students(students: list[Student], masters: MasterIndex, limits: Limits, jobs: int = 1,
                   private: dict[str, list[grading.Check]] | None = None, unsafe: bool = False,
                   progress=None) -> list[dict]:
    """Grade every student's notebooks; return one report dict per student (see :mod:`.report`)."""
    private = private or {}
    reports, graded = [], []                                   # graded: (report, notebook dict, sub, master)
    for student in students:
        notebooks, problems, subs = [], list(student.problems), []
        for path, read in student.notebooks:
            nb = _empty_notebook(path)
            notebooks.append(nb)
            if isinstance(read, SubmissionError):
                nb["problem"] = str(read)
                continue
            nb["sha256"] = read.sha256
            nb["flags"] += read.notes
            try:
                master = masters.find(read)
            except SubmissionError as exc:
                nb["problem"] = str(exc)
                continue
            subs.append((nb, read, master))
        keep, drop = _pick_copies(subs)
        for (nb, sub, master), (_, chosen, _) in drop:
            nb["problem"] = (f"another copy of chapter {master.chapter[2:]} in the same submission; only one is "
                             f"graded ({chosen.path}).")
        report = {"student": student.name, "problems": problems, "notebooks": notebooks}
        reports.append(report)
        graded += [(report, nb, sub, master) for nb, sub, master in keep]

    # identical files: with a classmate's, or with the master copy itself
    by_hash: dict[str, list] = {}
    for report, nb, sub, master in graded:
        by_hash.setdefault(sub.sha256, []).append((report["student"], sub.path))
        if sub.sha256 == master.sha256:
            nb["flags"].append(f"identical to the master copy {master.path.name} (same bytes).")
    for report, nb, sub, master in graded:
        others = [f"{who or '(single)'} ({p})" for who, p in by_hash[sub.sha256] if who != report["student"]]
        if others:
            nb["flags"].append(f"identical file submitted by: {', '.join(others[:5])}.")

    tmp = Path(tempfile.mkdtemp(prefix="coursekit-grade-"))
    os.chmod(tmp, 0o755)
    try:
        runner_dir = tmp / "runner"
        runner_dir.mkdir()
        shutil.copy(sandbox_mod.RUNNER, runner_dir / "runner_child.py")
        sandbox_mod.copy_font_cache(runner_dir / "mpl")
        os.chmod(runner_dir, 0o755)
        os.chmod(runner_dir / "runner_child.py", 0o644)
        prepared: dict[str, _Prepared] = {}
        chapters: dict[str, _Chapter] = {}
        units: list[tuple[list[_Item], str]] = []
        for report, nb, sub, master in graded:
            tasks, notes = plan_exercises(sub, master)
            nb.update(chapter=master.chapter, master=str(master.path), status="graded")
            nb["flags"] += notes
            for spec in master.specs:
                if spec.exercise_id not in prepared:
                    prepared[spec.exercise_id] = _prepare(spec.exercise_id, private)
            if master.chapter not in chapters:
                implemented = [n for s in master.specs for n in prepared[s.exercise_id].implemented]
                try:
                    pkg = strip.build_stripped_package(tmp / master.chapter, implemented)
                except Exception:            # e.g. an `implements` entry that is not a top-level name
                    pkg = None
                setup = master.setup_sources()
                chapters[master.chapter] = _Chapter(pkg, imported_modules(setup), setup)
            chapter_refs = tuple(n for s in master.specs for n in prepared[s.exercise_id].implemented)
            items = []
            for i, task in enumerate(tasks):
                prep = prepared[task.exercise_id]
                entry = {"id": task.exercise_id, "points": 0.0, "max_points": float(task.max_points),
                         "status": Status(task.problem) if task.problem else Status.ERROR, "message": task.message,
                         "cases": [], "flags": list(task.flags) + ([UNSAFE_FLAG] if unsafe else []),
                         "runtime_s": 0.0, "_source": task.source, "_stub": task.stub, "_ref": prep.reference_code}
                nb["exercises"].append(entry)
                if task.source is None:
                    continue
                if prep.error:
                    entry["message"] = prep.error
                    continue
                if chapters[master.chapter].package is None:
                    entry["message"] = "the grader could not prepare this chapter's sandbox; tell your instructor."
                    continue
                code = task.helpers + "\n" + task.source
                used = static_reference_uses(code, chapter_refs)
                forbidden = static_reference_uses(code, prep.forbidden)
                if forbidden:
                    entry["flags"].append(f"calls {', '.join(forbidden)}, which does this exercise's work "
                                          "(listed as forbidden by its check).")
                if used:
                    entry["flags"].append(f"{REFERENCE_FLAG} (your cell reaches {', '.join(used)}).")
                    continue
                header = {"op": "exercise", "index": i, "exercise_id": task.exercise_id, "function": task.function,
                          "helpers": task.helpers, "source": task.source,
                          "cases": prep.trees, "seed": limits.seed, "timeout_s": limits.timeout_s,
                          "memory_mb": limits.memory_mb,
                          "max_output_bytes": int(min(c.max_output_mb for c, _ in prep.checks) * 2**20),
                          "max_answer_bytes": limits.output_mb * 2**20}
                items.append(_Item(entry, prep, header))
            if items:
                units.append((items, master.chapter))
        # one sandbox per submission; with fewer submissions than workers, a submission's exercises are split
        shards = max(1, -(-jobs // max(1, len(units)))) if units else 1
        work = [(items[k::shards], ch) for items, ch in units for k in range(min(shards, len(items)))]
        closers: list[threading.Thread] = []
        try:
            with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
                futures = [pool.submit(_run_shard, items, chapters[ch], runner_dir, limits, unsafe, progress,
                                       closers) for items, ch in work]
                for f in futures:
                    f.result()
        finally:
            for t in list(closers):                  # every sandbox's processes are gone before we go on
                t.join()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    _flag_similar(graded)
    for report in reports:
        for nb in report["notebooks"]:
            for e in nb["exercises"]:
                for key in ("_source", "_stub", "_ref"):
                    e.pop(key, None)
                if any(f.startswith(REFERENCE_FLAG) for f in e["flags"]):
                    e.update(points=0.0, status=Status.REFERENCE_USED,
                             message="0 points: your code calls the coursekit function this exercise asks you to write.")
                e["points"] = min(float(e["points"]), float(e["max_points"]))
                e["status"] = str(e["status"])
            nb["points"] = sum(e["points"] for e in nb["exercises"])
            nb["max_points"] = sum(e["max_points"] for e in nb["exercises"])
        done = [nb for nb in report["notebooks"] if nb["status"] == "graded"]
        report["points"] = sum(nb["points"] for nb in done)
        report["max_points"] = sum(nb["max_points"] for nb in done)
    return reports


def _flag_similar(graded: list) -> None:
    """Add copydetect's flags: each exercise against the reference's source and against every classmate."""
    by_id: dict[str, dict[str, dict]] = {}
    owners: dict[str, str] = {}
    for report, nb, sub, master in graded:
        key = f"{report['student'] or '(single)'}:{nb['path']}"
        owners[key] = report["student"] or nb["path"]
        for e in nb["exercises"]:
            if e.get("_source"):
                by_id.setdefault(e["id"], {})[key] = e
    for eid, entries in by_id.items():
        any_entry = next(iter(entries.values()))
        try:
            ref_hits, pairs = similarity.similar_pairs(any_entry["_stub"], {k: e["_source"] for k, e in entries.items()},
                                                       any_entry["_ref"])
        except Exception as exc:  # pragma: no cover - a similarity failure must never stop grading
            for e in entries.values():
                e["flags"].append(f"similarity not computed ({type(exc).__name__}).")
            continue
        for key, sim in ref_hits.items():
            entries[key]["flags"].append(f"similar to the coursekit reference's source ({sim:.0%} of the code "
                                         "matches; for a human to look at).")
        matches: dict[str, list[tuple[str, float]]] = {}
        for a, b, sim in pairs:
            if a.split(":", 1)[0] != b.split(":", 1)[0]:          # two copies of one student are not a pair
                matches.setdefault(a, []).append((owners[b], sim))
                matches.setdefault(b, []).append((owners[a], sim))
        for key, found in matches.items():
            found.sort(key=lambda m: (-m[1], m[0]))
            names = ", ".join(f"{who} ({sim:.0%})" for who, sim in found[:8]) + (", …" if len(found) > 8 else "")
            entries[key]["flags"].append(f"similar to {len(found)} other submission{'s' * (len(found) > 1)}: "
                                         f"{names} — share of the code that matches; for a human to look at.")
