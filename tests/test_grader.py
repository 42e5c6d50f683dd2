"""`coursekit grade` through its command line: honest scores whatever an *accident* does (issue 3), on the
sandboxed grader of issue 8. Deliberate attacks are in test_grader_hostile.py.

The submissions are built at test time from solutions/ and exercises/ (chapter 1: four exercises worth
1 + 2 + 2 + 3 = 8 points), then graded in one batch run with --jobs 2 and --timeout 10; each test reads its
student's score.json. Hand-made broken files live in tests/fixtures/submissions/.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, load_notebook
from coursekit.__main__ import main

FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
CH01 = "01_foundations.ipynb"
POINTS = {"ch01.mse": 1, "ch01.psnr": 2, "ch01.quantize": 2, "ch01.sample": 3}
SECRET = "PRIVATE_CHECK_MARKER_5e1b"   # appears only in the private check's source


# ----------------------------------------------------------------------------- building the fixtures

def cells(nb, eid, tag):
    return [c for c in nb["cells"] if tag in c["metadata"].get("tags", [])
            and c["metadata"]["exercise"]["id"] == eid]


def set_exercise(nb, eid, source):
    cells(nb, eid, "exercise")[0]["source"] = source


def solution(eid: str) -> str:
    return "".join(cells(load_notebook(ROOT / "solutions" / CH01), eid, "exercise")[0]["source"])


def mixed(solved: set[str]) -> dict:
    """The stub notebook with the solutions of the exercises in ``solved`` pasted in."""
    nb = load_notebook(ROOT / "exercises" / CH01)
    for eid in solved:
        set_exercise(nb, eid, solution(eid))
    return nb


def write_students(root: Path, nbs: dict[str, tuple[str, object]]) -> dict[str, Path]:
    paths = {}
    for name, (filename, content) in nbs.items():
        (root / name).mkdir()
        paths[name] = root / name / filename
        paths[name].write_text(json.dumps(content, indent=1), encoding="utf-8")
    return paths


def build_submissions(root: Path) -> dict[str, Path]:
    """One folder per student, each holding one notebook (or a hand-made broken file)."""
    full = load_notebook(ROOT / "solutions" / CH01)
    nbs: dict[str, tuple[str, object]] = {"blank": (CH01, load_notebook(ROOT / "exercises" / CH01)),
                                          "full": (CH01, full),
                                          "partly": (CH01, mixed({"ch01.mse", "ch01.quantize"}))}

    nb = copy.deepcopy(full)                      # check cells edited and deleted: restored, flagged
    cells(nb, "ch01.mse", "check")[0]["source"] = 'print("ok")'
    nb["cells"].remove(cells(nb, "ch01.psnr", "check")[0])
    nbs["tampered"] = (CH01, nb)

    nb = copy.deepcopy(full)
    nb["cells"].remove(cells(nb, "ch01.psnr", "exercise")[0])
    nbs["deleted"] = (CH01, nb)

    nb = copy.deepcopy(full)
    cell = cells(nb, "ch01.quantize", "exercise")[0]
    twin = dict(copy.deepcopy(cell), id="my-copy")
    nb["cells"].insert(nb["cells"].index(cell) + 1, twin)
    nbs["duplicated"] = (CH01, nb)

    nb = copy.deepcopy(full)
    set_exercise(nb, "ch01.sample", "def sample(image, factor, prefilter=False):\n    while True:\n        pass\n")
    nbs["loop"] = (CH01, nb)

    nb = copy.deepcopy(full)
    set_exercise(nb, "ch01.mse", "def mse(reference, test):\n    raise ValueError('boom')\n")
    set_exercise(nb, "ch01.psnr", "def psnr(reference, test, data_range:\n    return 0\n")   # syntax error
    nbs["raising"] = (CH01, nb)

    nb = copy.deepcopy(full)
    set_exercise(nb, "ch01.mse", "import sys\n\ndef mse(reference, test):\n    sys.exit(0)\n")
    set_exercise(nb, "ch01.quantize", "import sys\nsys.exit(3)\n")
    set_exercise(nb, "ch01.sample", "import ctypes\n\ndef sample(image, factor, prefilter=False):\n"
                                    "    return ctypes.string_at(0)\n")                      # a segfault
    nbs["exits"] = (CH01, nb)

    nb = copy.deepcopy(full)   # one shortcut in plain sight, one only the run-time detector can see
    set_exercise(nb, "ch01.mse", "from coursekit.metrics.image import mse as _m\n\n"
                                 "def mse(reference, test):\n    return _m(reference, test)\n")
    set_exercise(nb, "ch01.psnr", "import importlib\n\ndef psnr(reference, test, data_range):\n"
                                  "    mod = importlib.import_module('coursekit.metrics.' + 'im' + 'age')\n"
                                  "    return getattr(mod, 'ps' + 'nr')(reference, test, data_range)\n")
    nbs["shortcut"] = (CH01, nb)

    nb = copy.deepcopy(full)   # a check call left in the exercise cell runs outside, by the grader
    set_exercise(nb, "ch01.mse", solution("ch01.mse") + "\ngrading.check('ch01.mse', mse, points=1)\n")
    nbs["leftover_check"] = (CH01, nb)

    nb = copy.deepcopy(full)
    nb["nbformat"] = 3
    nbs["old_format"] = (CH01, nb)

    nb = json.loads(json.dumps(full).replace('"ch01.', '"ch09.'))
    nbs["wrong_chapter"] = (CH01, nb)
    nbs["misnamed"] = ("02_image_processing.ipynb", full)

    paths = write_students(root, nbs)
    (root / "verbatim").mkdir()                   # the master file itself, byte for byte
    paths["verbatim"] = root / "verbatim" / CH01
    paths["verbatim"].write_bytes((ROOT / "solutions" / CH01).read_bytes())
    for name in ("invalid_json", "empty", "not_a_notebook"):
        (root / name).mkdir()
        paths[name] = root / name / f"{name}.ipynb"
        paths[name].write_bytes((FIXTURES / f"{name}.ipynb").read_bytes())
    (root / "nothing").mkdir()
    paths["nothing"] = root / "nothing"
    return paths


def fingerprint(paths):
    return {n: (p.read_bytes(), p.stat().st_mtime_ns) for n, p in paths.items() if p.is_file() and not p.is_symlink()}


def exercises_of(score) -> dict[str, dict]:
    (nb,) = [nb for nb in score["notebooks"] if nb["status"] == "graded"]
    return {e["id"]: e for e in nb["exercises"]}


def points_of(score) -> dict[str, float]:
    return {eid: e["points"] for eid, e in exercises_of(score).items()}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("submissions")
    paths = build_submissions(root)
    before = fingerprint(paths)
    out = tmp_path_factory.mktemp("grades")
    code = main(["grade", *map(str, sorted(root.iterdir())), "--out", str(out), "--jobs", "2", "--timeout", "10",
                 "--master", str(ROOT / "solutions")])
    scores = {p.name: json.loads((p / "score.json").read_text()) for p in out.iterdir() if p.is_dir()}
    return {"code": code, "out": out, "paths": paths, "before": before, "scores": scores}


# ----------------------------------------------------------------------------- scores of each fixture

def test_batch_grading_exits_zero_and_writes_every_report(batch):
    assert batch["code"] == 0
    assert set(batch["scores"]) == set(batch["paths"])
    for name in batch["scores"]:
        assert (batch["out"] / name / "score.md").read_text().startswith(f"## Grading report — {name}")


def test_blank_stubs_score_zero_as_not_done(batch):
    ex = exercises_of(batch["scores"]["blank"])
    assert {e["status"] for e in ex.values()} == {"not-done"}
    assert batch["scores"]["blank"]["points"] == 0 and batch["scores"]["blank"]["max_points"] == 8


def test_full_solutions_score_full_marks(batch):
    score = batch["scores"]["full"]
    assert points_of(score) == POINTS and score["points"] == 8
    assert all(all(c["passed"] for c in e["cases"]) and e["status"] == "passed" for e in exercises_of(score).values())


def test_partly_solved_scores_only_the_solved_exercises(batch):
    assert points_of(batch["scores"]["partly"]) == {"ch01.mse": 1, "ch01.psnr": 0, "ch01.quantize": 2, "ch01.sample": 0}


def test_tampered_check_cells_are_restored_and_flagged(batch):
    ex = exercises_of(batch["scores"]["tampered"])
    assert points_of(batch["scores"]["tampered"]) == POINTS
    assert any("check cell edited" in f for f in ex["ch01.mse"]["flags"])
    assert any("check cell deleted" in f for f in ex["ch01.psnr"]["flags"])


def test_deleted_exercise_cell_costs_only_that_exercise(batch):
    ex = exercises_of(batch["scores"]["deleted"])
    assert ex["ch01.psnr"]["status"] == "missing"
    assert points_of(batch["scores"]["deleted"]) == dict(POINTS, **{"ch01.psnr": 0})


def test_duplicated_exercise_cell_costs_only_that_exercise(batch):
    ex = exercises_of(batch["scores"]["duplicated"])
    assert ex["ch01.quantize"]["status"] == "duplicated"
    assert points_of(batch["scores"]["duplicated"]) == dict(POINTS, **{"ch01.quantize": 0})


def test_infinite_loop_is_stopped_by_the_time_limit(batch):
    ex = exercises_of(batch["scores"]["loop"])
    assert ex["ch01.sample"]["status"] == "timeout" and "time limit" in ex["ch01.sample"]["message"]
    assert points_of(batch["scores"]["loop"]) == dict(POINTS, **{"ch01.sample": 0})


def test_raising_exercise_and_syntax_error_cost_only_their_points(batch):
    ex = exercises_of(batch["scores"]["raising"])
    assert ex["ch01.mse"]["status"] == "failed"
    assert "ValueError: boom" in ex["ch01.mse"]["cases"][0]["hint"]
    assert ex["ch01.psnr"]["status"] == "error" and "syntax error" in ex["ch01.psnr"]["message"]
    assert batch["scores"]["raising"]["points"] == 5


def test_sys_exit_and_a_segfault_cost_only_their_exercise(batch):
    ex = exercises_of(batch["scores"]["exits"])
    assert "sys.exit" in ex["ch01.mse"]["message"] and "sys.exit" in ex["ch01.quantize"]["message"]
    assert ex["ch01.sample"]["status"] == "crashed" and "SIGSEGV" in ex["ch01.sample"]["message"]
    assert points_of(batch["scores"]["exits"]) == {"ch01.mse": 0, "ch01.psnr": 2, "ch01.quantize": 0, "ch01.sample": 0}


def test_calling_the_reference_implementation_scores_zero_and_is_flagged(batch):
    ex = exercises_of(batch["scores"]["shortcut"])
    assert points_of(batch["scores"]["shortcut"]) == dict(POINTS, **{"ch01.mse": 0, "ch01.psnr": 0})
    for eid in ("ch01.mse", "ch01.psnr"):
        assert ex[eid]["status"] == "reference-used"
        assert any(f.startswith("used the reference implementation") for f in ex[eid]["flags"])
    assert any("your cell reaches" in f for f in ex["ch01.mse"]["flags"])          # seen statically
    assert [f for f in ex["ch01.psnr"]["flags"] if "reference" in f] == [
        "used the reference implementation (your function called it while being checked)."]  # only at run time


def test_a_check_call_left_in_an_exercise_cell_changes_nothing(batch):
    assert points_of(batch["scores"]["leftover_check"]) == POINTS


@pytest.mark.parametrize("name, words", [
    ("invalid_json", "invalid JSON"), ("empty", "empty"), ("not_a_notebook", "not a notebook"),
    ("old_format", "nbformat=3"), ("wrong_chapter", "wrong chapter"), ("misnamed", "wrong chapter"),
    ("nothing", "no notebooks"),
])
def test_bad_input_gets_one_clear_line(batch, name, words):
    score = batch["scores"][name]
    assert score["points"] == 0 and score["max_points"] == 0
    (problem,) = score["problems"]
    assert words in problem and "\n" not in problem and "Traceback" not in problem
    assert words in (batch["out"] / name / "score.md").read_text()


def test_submissions_are_never_modified(batch):
    assert fingerprint(batch["paths"]) == batch["before"]


def test_gradebook_has_a_row_per_notebook(batch):
    with open(batch["out"] / "gradebook.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert set(rows) == set(batch["paths"])
    assert rows["partly"]["ch01.quantize"] == "2" and rows["partly"]["points"] == "3"
    assert rows["full"]["points"] == "8" and rows["empty"]["status"] == "not-graded"
    assert {r["isolation"] for r in rows.values()} == {"sandbox"}


def test_score_json_follows_its_schema_and_records_the_environment(batch):
    import jsonschema

    from coursekit.grader.report import SCORE_SCHEMA

    for score in batch["scores"].values():
        jsonschema.validate(score, SCORE_SCHEMA)
    score = batch["scores"]["full"]
    assert score["schema_version"] == 2 and score["tool"]["name"] == "coursekit" and score["unsafe"] is False
    (nb,) = score["notebooks"]
    assert len(nb["sha256"]) == 64 and nb["chapter"] == "ch01"
    env = score["grading_environment"]
    assert "bubblewrap" in env["isolation"] and "network namespace" in env["network"] and env["timeout_s"] == 10


def test_the_master_copy_submitted_as_is_is_flagged_identical_and_still_scored(batch):
    (nb,) = batch["scores"]["verbatim"]["notebooks"]
    assert any("identical to the master copy" in f for f in nb["flags"]) and nb["points"] == 8


# ----------------------------------------------------------------------------- runs of their own

def _without_timings(score):
    """The score without run times and without the flags that depend on the classmates graded with it."""
    score = copy.deepcopy(score)
    for nb in score["notebooks"]:
        nb["flags"] = [f for f in nb["flags"] if not f.startswith("identical file submitted by")]
        for e in nb["exercises"]:
            e.pop("runtime_s")
            e["flags"] = [f for f in e["flags"] if not f.startswith("similar to")]
    return score


def test_grading_twice_gives_identical_scores(batch, tmp_path):
    partly = batch["paths"]["partly"]
    assert main(["grade", str(partly), "--out", str(tmp_path), "--timeout", "30"]) == 0
    again = json.loads((tmp_path / "score.json").read_text())
    first = copy.deepcopy(batch["scores"]["partly"])
    first["student"], first["grading_environment"]["timeout_s"] = "", 30.0
    assert _without_timings(again) == _without_timings(first)


PRIVATE_CHECK = f'''
"""Instructor-only check: tiny images. {SECRET}"""
import numpy as np
from coursekit.grading import Case, Check
from coursekit.metrics import image

def _tiny(rng):
    x = rng.random((3, 3))
    yield Case("tiny 3x3 images", (x, x + 1.0))  # {SECRET}

CHECKS = [Check("ch01.mse", cases=_tiny, reference=image.mse, atol=1e-12)]
'''


def test_private_checks_fail_a_wrong_answer_and_stay_private(tmp_path, capsys):
    checks = tmp_path / "private"
    checks.mkdir()
    (checks / "ch01_private.py").write_text(PRIVATE_CHECK)
    nb = load_notebook(ROOT / "solutions" / CH01)   # right on every public case, wrong on small images
    set_exercise(nb, "ch01.mse", "def mse(reference, test):\n    d = reference.astype(np.float64) - "
                                 "test.astype(np.float64)\n    return float(np.mean(d ** 2)) if d.size > 100 else 0.0\n")
    for name, content in (("honest", load_notebook(ROOT / "solutions" / CH01)), ("sly", nb)):
        (tmp_path / name).mkdir()
        (tmp_path / name / CH01).write_text(json.dumps(content))
    out = tmp_path / "out"
    assert main(["grade", str(tmp_path / "honest"), str(tmp_path / "sly"), "--out", str(out), "--jobs", "2",
                 "--checks", str(checks)]) == 0
    honest = json.loads((out / "honest" / "score.json").read_text())
    sly = json.loads((out / "sly" / "score.json").read_text())
    assert honest["points"] == 8 and sly["points"] == 7
    labels = [c["label"] for c in exercises_of(sly)["ch01.mse"]["cases"] if not c["passed"]]
    assert labels == ["additional check: tiny 3x3 images"]
    printed = capsys.readouterr()
    outputs = [printed.out, printed.err] + [p.read_text() for p in out.rglob("*") if p.is_file()]
    assert not any(SECRET in text or "def _tiny" in text for text in outputs)


def test_full_solutions_of_chapter_2_score_full_marks(tmp_path):
    assert main(["grade", str(ROOT / "solutions" / "02_image_processing.ipynb"), "--out", str(tmp_path),
                 "--jobs", "2"]) == 0
    score = json.loads((tmp_path / "score.json").read_text())
    master = json.loads((ROOT / "solutions" / "02_image_processing.ipynb").read_text())
    total = sum(c["metadata"]["exercise"]["points"] for c in master["cells"] if "check" in c["metadata"].get("tags", []))
    assert total >= 28                                        # the chapter's 15 exercises: 42 points
    assert score["points"] == score["max_points"] == total
    assert {e["status"] for e in score["notebooks"][0]["exercises"]} == {"passed"}


def test_python_m_coursekit_grade_exits_nonzero_when_nothing_is_gradeable(tmp_path):
    env = dict(os.environ, PYTHONPATH="")
    run = subprocess.run([sys.executable, "-m", "coursekit", "grade", str(FIXTURES / "empty.ipynb"),
                          str(FIXTURES / "invalid_json.ipynb"), "--out", str(tmp_path)],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert run.stdout.count("not graded:") == 2
    assert json.loads((tmp_path / "score.json").read_text())["points"] == 0


def test_grading_refuses_with_one_line_when_the_sandbox_is_unavailable(tmp_path):
    env = dict(os.environ, PATH=str(tmp_path))          # no bwrap on the PATH
    run = subprocess.run([sys.executable, "-m", "coursekit", "grade", str(ROOT / "solutions" / CH01),
                          "--out", str(tmp_path / "out")], capture_output=True, text=True, cwd=ROOT, env=env,
                         timeout=300)
    assert run.returncode == 3 and run.stdout == ""
    assert run.stderr.count("\n") == 1 and "refusing to run student code" in run.stderr and "bubblewrap" in run.stderr
    assert not (tmp_path / "out").exists()


def test_unsafe_no_sandbox_says_so_on_every_line(tmp_path, capsys):
    assert main(["grade", str(ROOT / "solutions" / CH01), "--out", str(tmp_path), "--unsafe-no-sandbox"]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed and all(line.startswith("UNSAFE (no sandbox)") for line in printed)
    score = json.loads((tmp_path / "score.json").read_text())
    assert score["unsafe"] is True and score["points"] == 8 and "UNSAFE" in score["grading_environment"]["isolation"]
    assert all(any(f.startswith("UNSAFE") for f in e["flags"]) for e in score["notebooks"][0]["exercises"])
    rows = [line for line in (tmp_path / "score.md").read_text().splitlines() if line.startswith("| `ch01")]
    assert len(rows) == 4 and all("UNSAFE" in row for row in rows)


def test_exercises_subcommand_still_works(tmp_path):
    assert main(["exercises", "--solutions", str(ROOT / "solutions"), "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.glob("*.ipynb")) == sorted(p.name for p in (ROOT / "solutions").glob("*.ipynb"))
