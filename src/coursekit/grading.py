"""Checks for the graded exercises: cases, a reference and a judgement, registered together.

Every exercise notebook (``solutions/NN_slug.ipynb``, with its stub twin in ``exercises/``) ends each
exercise with a *check cell*::

    from coursekit import grading
    grading.check("ch02.gamma_correct", gamma_correct, points=2)

A check is a :class:`Check` in a module ``coursekit/checks/chNN_<topic>.py`` (listed in its ``CHECKS``):

* **cases** — ``cases(rng)`` yields :class:`Case` objects: the inputs, plain data made from the seeded
  ``rng`` and from real images;
* **reference** — the coursekit function that computes the expected answer;
* **judgement** — ``judge(case, got, expected) -> str``: ``""`` when the output ``got`` is right, else a
  hint that says how it is off, never the expected values. The default is :func:`compare`.

The student's function only ever sees the inputs, rebuilt from data (:mod:`coursekit.grading_wire`), and its
outputs come back as data. In a notebook (:func:`check`) both sides run in the student's own process, for
instant feedback. ``coursekit grade`` runs the student's side in a sandbox and the cases, the reference and
the judgement in the grader's own process, which the student's code cannot reach (``book/instructors.md``).
CONTRIBUTING.md shows a complete check.
"""

from __future__ import annotations

import enum
import importlib
import math
import numbers
import pkgutil
import re
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np

from coursekit import grading_wire as wire
from coursekit.grading_wire import Seeded, Tensor, Unsupported

__all__ = [
    "Status", "Case", "Check", "Answer", "Outcome", "CaseResult", "CheckResult", "CheckFailed", "ExerciseNotDone",
    "Seeded", "Tensor", "Unsupported", "check", "run_check", "find_check", "checks_in", "rng_for", "compare",
    "build_cases", "judge_answers", "answer_in_process", "compare_arrays", "matches", "review_with",
]

MAX_OUTPUT_MB = 16.0


class CheckFailed(AssertionError):
    """Raised by :func:`check` when an exercise does not earn full points."""


class ExerciseNotDone(CheckFailed):
    """Raised by :func:`check` when the student's function still raises ``NotImplementedError``."""


class Status(str, enum.Enum):
    """The outcome of one exercise. The first four come from a check; the others only from the grader."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_DONE = "not-done"
    ERROR = "error"                    # the cell could not run, or the check itself failed
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    MISSING = "missing"
    DUPLICATED = "duplicated"
    REFERENCE_USED = "reference-used"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Case:
    """One input of a check.

    Attributes
    ----------
    label : str
        What is tested, shown to the student: ``"camera (512×512 uint8), gamma=2.2"``.
    args, kwargs : tuple, dict
        The inputs, plain data only (see :mod:`coursekit.grading_wire`); a generator the function must draw
        from is :class:`Seeded`, a torch tensor :class:`Tensor`.
    context : object
        Trusted-only data for the judge (never sent to the student's code).
    probe : bool
        Run only to diagnose mistakes (see :attr:`Check.review`): not scored, not listed.
    """

    label: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    context: Any = None
    probe: bool = False


@dataclass(frozen=True)
class Answer:
    """What the student's function did with one case.

    ``kind`` is ``"returned"`` (then ``value``), ``"raised"`` (then ``error``, ``"TypeError: ..."``),
    ``"not-done"`` or ``"reference"`` (it reached a reference the grader removed).
    """

    kind: str
    value: Any = None
    error: str = ""


@dataclass
class CaseResult:
    """The outcome of one case: its label, whether it passed and, if not, a hint (never the answer)."""

    label: str
    passed: bool
    hint: str = ""


@dataclass
class Outcome:
    """A judged case, as :attr:`Check.review` sees it.

    The case, the answer, the expected output and the result (whose ``hint`` the review may extend).
    """

    case: Case
    answer: Answer
    expected: Any
    result: CaseResult

    @property
    def got(self) -> Any:
        """The student's output, or ``None`` when the function did not return."""
        return self.answer.value if self.answer.kind == "returned" else None


@dataclass(frozen=True)
class Check:
    """The check of one exercise: cases, reference and judgement registered together.

    Parameters
    ----------
    exercise_id : str
        ``"chNN.name"``, as in the notebook's metadata.
    cases : callable
        ``cases(rng) -> iterable of Case``; ``rng`` is :func:`rng_for` the exercise.
    reference : callable, optional
        Computes the expected output from the same inputs; ``None`` when the judgement needs none.
    judge : callable, optional
        ``judge(case, got, expected) -> str``, ``""`` for a pass. Default: :func:`compare` with
        ``atol``, ``rtol``, ``check_dtype``, then ``hint`` appended to a failure.
    review : callable, optional
        ``review(outcomes)`` after every case is judged: may add hints (it sees the probes too).
    implements : tuple of callables, optional
        The coursekit functions or classes that are the answer. Default: the reference, if it is a public
        coursekit function. The grader removes their bodies and scores a call of one 0.
    forbidden : tuple of str
        Third-party calls that do the exercise's work (``"cv2.GaussianBlur"``): flagged for a human.
    max_output_mb : float
        Largest output of one case.
    """

    exercise_id: str
    cases: Callable[[np.random.Generator], Iterable[Case]]
    reference: Callable | None = None
    judge: Callable[[Case, Any, Any], str] | None = None
    review: Callable[[list[Outcome]], None] | None = None
    atol: float = 1e-6
    rtol: float = 0.0
    check_dtype: bool = False
    hint: str = ""
    implements: tuple = ()
    forbidden: tuple[str, ...] = ()
    max_output_mb: float = MAX_OUTPUT_MB

    def __post_init__(self):
        # A malformed check fails where it is written, not in the middle of grading a class.
        if not re.fullmatch(r"ch\d\d\.\w+", str(self.exercise_id)):
            raise ValueError(f"exercise_id must look like 'ch05.iou', got {self.exercise_id!r}")
        if isinstance(self.forbidden, str):
            raise TypeError(f"{self.exercise_id}: forbidden must be a tuple of dotted names, not one string")
        for name in self.forbidden:
            if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+", name):
                raise ValueError(f"{self.exercise_id}: forbidden entries are dotted names such as "
                                 f"'cv2.GaussianBlur' (module.attribute), got {name!r}")

    def implemented(self) -> tuple:
        """The coursekit objects that are this exercise's answer (see ``implements``)."""
        if self.implements:
            return tuple(self.implements)
        ref = self.reference
        name = getattr(ref, "__name__", "")
        if ref is not None and getattr(ref, "__module__", "").startswith("coursekit.") and not name.startswith("_"):
            return (ref,)
        return ()

    def implemented_names(self) -> tuple[str, ...]:
        """Dotted names (``"coursekit.image.filters.gaussian_kernel1d"``) of :meth:`implemented`."""
        return tuple(f"{obj.__module__}.{obj.__qualname__}" for obj in self.implemented())


@dataclass
class CheckResult:
    """The outcome of one exercise's check."""

    exercise_id: str
    points: float
    max_points: float
    cases: list[CaseResult] = field(default_factory=list)
    status: Status = Status.FAILED
    message: str = ""

    @property
    def passed(self) -> bool:
        """Whether every case passed."""
        return self.status is Status.PASSED

    def report(self) -> str:
        """A short human-readable report, one line per case."""
        n_ok = sum(c.passed for c in self.cases)
        head = f"Exercise {self.exercise_id}: {self.points:g}/{self.max_points:g} points"
        lines = [f"{head} ({n_ok} of {len(self.cases)} cases passed)" if self.cases else head]
        if self.message:
            lines.append("  " + self.message)
        for c in self.cases:
            line = f"  [{'PASS' if c.passed else 'FAIL'}] {c.label}"
            if not c.passed and c.hint:
                line += f" — {c.hint}"
            lines.append(line)
        return "\n".join(lines)


# ----------------------------------------------------------------------------- finding checks

def rng_for(exercise_id: str) -> np.random.Generator:
    """The seeded random generator of an exercise: the same cases on every run."""
    return np.random.default_rng(zlib.crc32(exercise_id.encode()))


def checks_in(module) -> dict[str, Check]:
    """The :class:`Check` objects a module registers in its ``CHECKS`` list, by exercise id."""
    found: dict[str, Check] = {}
    for chk in getattr(module, "CHECKS", ()):
        if not isinstance(chk, Check):
            raise TypeError(f"{module.__name__}.CHECKS holds a {type(chk).__name__}, not a grading.Check.")
        if chk.exercise_id in found:
            raise RuntimeError(f"exercise {chk.exercise_id!r} has two checks in {module.__name__}.")
        found[chk.exercise_id] = chk
    return found


def _split_id(exercise_id: str) -> tuple[str, str]:
    chapter, _, name = str(exercise_id).partition(".")
    if not chapter.startswith("ch") or not name:
        raise ValueError(f"exercise id must look like 'ch02.gamma_correct', got {exercise_id!r}.")
    return chapter, name


def find_check(exercise_id: str) -> Check:
    """The check of ``exercise_id`` (``"chNN.name"``).

    It is registered in the ``CHECKS`` list of one of the modules ``coursekit.checks.chNN*``.
    """
    chapter, _ = _split_id(exercise_id)
    import coursekit.checks as pkg

    found = []
    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name == chapter or mod.name.startswith(chapter + "_"):
            module = importlib.import_module(f"coursekit.checks.{mod.name}")
            registered = checks_in(module)
            if exercise_id in registered:
                found.append(registered[exercise_id])
    if not found:
        raise ValueError(f"no check is registered for exercise {exercise_id!r}.")
    if len(found) > 1:
        raise RuntimeError(f"exercise {exercise_id!r} has {len(found)} checks; ids must be unique.")
    return found[0]


# ----------------------------------------------------------------------------- the trusted side

class CheckError(RuntimeError):
    """The check itself (its cases, reference, judge or review) failed: a bug for the author to fix."""


def build_cases(chk: Check) -> list[Case]:
    """The cases of a check, made from its seeded generator; :class:`CheckError` if they are malformed."""
    try:
        cases = list(chk.cases(rng_for(chk.exercise_id)))
    except Exception as exc:
        raise CheckError(f"the cases of {chk.exercise_id} could not be built ({type(exc).__name__}: {exc})") from exc
    for c in cases:
        if not isinstance(c, Case) or not isinstance(c.args, tuple) or not isinstance(c.kwargs, dict):
            raise CheckError(f"{chk.exercise_id}: cases must be grading.Case objects with a tuple of args.")
    if not any(not c.probe for c in cases):
        raise CheckError(f"{chk.exercise_id}: a check needs at least one case that is not a probe.")
    return cases


def case_payload(cases: list[Case]) -> tuple[list, list[bytes]]:
    """The inputs of ``cases`` as data: ``[[args_tree, kwargs_tree], ...]`` plus the array blobs."""
    trees, blobs = [], []
    for c in cases:
        tree, b = wire.encode([c.args, c.kwargs], max_bytes=1 << 40)
        if _has_unsupported(tree):
            raise CheckError(f"the inputs of case {c.label!r} are not plain data (see grading.Case).")
        offset = len(blobs)
        trees.append(wire.shift_blobs(tree, offset)[1])                # [args_tree, kwargs_tree]
        blobs += b
    return trees, blobs


def _has_unsupported(tree) -> bool:
    if not isinstance(tree, list) or not tree:
        return False
    if tree[0] == "unsupported":
        return True
    return any(_has_unsupported(x) for x in tree if isinstance(x, list))


def expected_outputs(chk: Check, cases: list[Case]) -> list:
    """The reference's output for every case, in the same plain form as a student's output."""
    if chk.reference is None:
        return [None] * len(cases)
    out = []
    for c in cases:
        tree, blobs = wire.encode([c.args, c.kwargs], max_bytes=1 << 40)
        args, kwargs = wire.decode(tree, blobs, rebuild=True)          # a fresh copy, as the student gets
        try:
            value = chk.reference(*args, **kwargs)
            vt, vb = wire.encode(value, max_bytes=1 << 40, to_numpy=wire._torch_to_numpy)
            out.append(wire.decode(vt, vb))
        except Exception as exc:
            raise CheckError(f"the reference of {chk.exercise_id} failed on {c.label!r} "
                             f"({type(exc).__name__}: {exc})") from exc
    return out


def judge_answers(chk: Check, cases: list[Case], answers: list[Answer],
                  expected: list | None = None) -> tuple[Status, list[CaseResult], str]:
    """The trusted judgement of a check: ``(status, case results, message)`` from the answers alone.

    ``expected`` may be passed in when already computed (:func:`expected_outputs`). Raises
    :class:`CheckError` when the check's own code fails.
    """
    if len(answers) != len(cases):
        raise ValueError("one answer per case is required")
    if any(a.kind == "not-done" for a in answers):
        return Status.NOT_DONE, [], "not done yet: the function still raises NotImplementedError."
    if expected is None:
        expected = expected_outputs(chk, cases)
    outcomes = []
    for case, answer, exp in zip(cases, answers, expected):
        if answer.kind == "returned":
            try:
                hint = chk.judge(case, answer.value, exp) if chk.judge else _default_judge(chk, answer.value, exp)
            except Exception as exc:
                raise CheckError(f"the judgement of {chk.exercise_id} failed on {case.label!r} "
                                 f"({type(exc).__name__}: {exc})") from exc
            if not isinstance(hint, str):
                raise CheckError(f"the judge of {chk.exercise_id} returned {type(hint).__name__}; it must "
                                 "return a hint string ('' for a pass).")
            result = CaseResult(case.label, not hint, hint)
        elif answer.kind == "reference":
            result = CaseResult(case.label, False, "your function called the coursekit function this exercise "
                                                   "asks you to write.")
        else:
            result = CaseResult(case.label, False, f"your function raised {answer.error}")
        outcomes.append(Outcome(case, answer, exp, result))
    if chk.review is not None:
        try:
            chk.review(outcomes)
        except Exception as exc:
            raise CheckError(f"the review of {chk.exercise_id} failed ({type(exc).__name__}: {exc})") from exc
    results = [o.result for o in outcomes if not o.case.probe]
    status = Status.PASSED if all(r.passed for r in results) else Status.FAILED
    return status, results, ""


def _default_judge(chk: Check, got, expected) -> str:
    hint = compare(got, expected, atol=chk.atol, rtol=chk.rtol, check_dtype=chk.check_dtype)
    return hint + " Hint: " + chk.hint if hint and chk.hint else hint


# ----------------------------------------------------------------------------- the student's side, in process

def answer_in_process(student: Callable, cases: list[Case], max_output_mb: float = MAX_OUTPUT_MB) -> list[Answer]:
    """Run ``student`` on every case the way the sandbox does.

    Inputs are rebuilt from data and outputs sent back as data, so a notebook sees exactly what the grader
    will.
    """
    trees, blobs = case_payload(cases)
    answers = []
    for args_tree, kwargs_tree in trees:
        head, out = wire.call_case(student, args_tree, kwargs_tree, blobs, int(max_output_mb * 2**20))
        answers.append(answer_from_wire(head, out))
    return answers


def answer_from_wire(head: dict, blobs: list[bytes]) -> Answer:
    """An :class:`Answer` from one case's message (untrusted data; :class:`wire.WireError` if malformed)."""
    if not isinstance(head, dict):
        raise wire.WireError("malformed answer")
    kind = head.get("kind")
    if kind == "returned":
        return Answer("returned", wire.decode(head.get("value"), blobs))
    if kind == "raised":
        err = f"{_clip(head.get('type'), 60)}: {_clip(head.get('message'), 300)}"
        return Answer("raised", error=err)
    if kind == "reference":
        return Answer("reference", error=_clip(head.get("message"), 300))
    if kind == "not-done":
        return Answer("not-done")
    raise wire.WireError("malformed answer")


def _clip(text, n: int) -> str:
    text = text if isinstance(text, str) else "?"
    return text if len(text) <= n else text[:n] + " …"


# ----------------------------------------------------------------------------- in a notebook

def run_check(exercise_id: str, student: Callable, points: float = 1.0) -> CheckResult:
    """Run the check of ``exercise_id`` on ``student`` in this process.

    Never raises for what the student's code does.
    """
    points = float(points)
    chk = find_check(exercise_id)
    if not callable(student):
        return CheckResult(exercise_id, 0.0, points, status=Status.ERROR,
                           message=f"expected a function, got {type(student).__name__}.")
    try:
        cases = build_cases(chk)
        answers = answer_in_process(student, cases, chk.max_output_mb)
        status, results, message = judge_answers(chk, cases, answers)
    except CheckError as exc:
        return CheckResult(exercise_id, 0.0, points, status=Status.ERROR,
                           message=f"the check itself failed, tell your instructor: {exc}")
    return CheckResult(exercise_id, points if status is Status.PASSED else 0.0, points, results, status, message)


def check(exercise_id: str, student: Callable, points: float = 1.0) -> CheckResult:
    """Check one exercise in a notebook: print the report, raise unless every case passed.

    Parameters
    ----------
    exercise_id : str
        The id stored in the exercise cell's metadata, e.g. ``"ch02.gamma_correct"``.
    student : callable
        The student's function.
    points : float
        The points the exercise is worth, for the printed report (the grader reads them from the master
        notebook's metadata, never from here).

    Raises
    ------
    ExerciseNotDone
        The function is still a stub.
    CheckFailed
        At least one case failed; the printed report says which and why.
    """
    result = run_check(exercise_id, student, points)
    print(result.report())
    if result.status is Status.NOT_DONE:
        raise ExerciseNotDone(f"{exercise_id} is not done yet (0/{points:g} points).")
    if not result.passed:
        raise CheckFailed(f"{exercise_id}: 0/{points:g} points; see the report above.")
    return result


# ----------------------------------------------------------------------------- comparing answers

def matches(got: Any, expected: Any, atol: float = 1e-9) -> bool:
    """Whether ``got`` is an array (or number) of ``expected``'s shape and equal to it within ``atol``.

    The building block of :func:`review_with`: a check compares a failing answer with the output of a known
    mistake to name it. Anything that is not numbers simply does not match.

    Examples
    --------
    >>> matches([1.0, 2.0], np.array([1.0, 2.0 + 1e-12])), matches("a", np.zeros(1))
    (True, False)
    """
    try:
        arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return arr.shape == np.shape(expected) and bool(np.allclose(arr, expected, atol=atol))


def review_with(mistakes, atol: float = 1e-9, same: Callable[[Any, Any], bool] | None = None
                ) -> Callable[[list[Outcome]], None]:
    """A :attr:`Check.review` that names the first known mistake a failing answer reproduces.

    Parameters
    ----------
    mistakes : sequence of (callable, str)
        ``(wrong, advice)``: ``wrong(*case.args, **case.kwargs)`` computes what the mistake returns; when a
        failing answer :func:`matches` it, ``" Hint: " + advice`` is appended to the case's hint.
    atol : float
        Tolerance of the match.
    same : callable, optional
        ``same(got, wrong_output) -> bool`` instead of :func:`matches` (e.g. to compare up to a permutation).

    Returns
    -------
    callable
        ``review(outcomes)``, which edits the hints in place (passed cases and probes are left alone).
    """
    def review(outcomes: list[Outcome]) -> None:
        for o in outcomes:
            if o.result.passed or o.answer.kind != "returned" or o.case.probe:
                continue
            for wrong, advice in mistakes:
                try:
                    wrong_output = wrong(*o.case.args, **o.case.kwargs)
                    if same(o.got, wrong_output) if same else matches(o.got, wrong_output, atol):
                        o.result.hint += " Hint: " + advice
                        break
                except Exception:                 # a mistake that cannot run on this case says nothing
                    continue
    return review


def compare(got: Any, expected: Any, atol: float = 1e-6, rtol: float = 0.0, check_dtype: bool = False,
            what: str = "output") -> str:
    """Compare a student's output with the expected one; ``""`` if they match, else a hint.

    Arrays and numbers are compared within ``|got - expected| <= atol + rtol * |expected|``; tuples, lists
    and dicts element by element; strings, bools and ``None`` exactly. The hint names the kind of mistake
    (type, length, shape, dtype, how many values differ and the order of magnitude of the largest
    difference), never an expected value.
    """
    if isinstance(got, Unsupported):
        return f"your {what} is a {got.type_name}, which is not data the grader can read; return arrays or numbers."
    if isinstance(expected, Tensor):
        if not isinstance(got, Tensor):
            return f"your {what} is a {_kind(got)}; expected a torch tensor."
        return compare(got.array, expected.array, atol, rtol, check_dtype, what)
    if isinstance(got, Tensor):
        got = got.array
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return f"your {what} is a {_kind(got)}; expected a {type(expected).__name__} of {len(expected)} items."
        if len(got) != len(expected):
            return f"your {what} has {len(got)} items; expected {len(expected)}."
        for i, (g, e) in enumerate(zip(got, expected)):
            hint = compare(g, e, atol, rtol, check_dtype, what=f"{what} #{i + 1}" if what == "output" else f"{what}[{i}]")
            if hint:
                return hint
        return ""
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"your {what} is a {_kind(got)}; expected a dict."
        if set(got) != set(expected):
            missing = sorted(map(str, set(expected) - set(got)))[:5]
            return f"your {what} has other keys than expected" + (f" (missing: {', '.join(missing)})." if missing else ".")
        for k in expected:
            hint = compare(got[k], expected[k], atol, rtol, check_dtype, what=f"{what}[{k!r}]")
            if hint:
                return hint
        return ""
    if expected is None or isinstance(expected, (str, bool)):
        return "" if type(got) is type(expected) and got == expected else f"your {what} is not the expected {_kind(expected)}."
    if isinstance(got, (tuple, list)) and not isinstance(expected, (tuple, list)):
        return f"your {what} is a {type(got).__name__}; expected a single {_kind(expected)}."
    return compare_arrays(got, expected, atol, rtol, check_dtype, what)


def _kind(v) -> str:
    if isinstance(v, np.ndarray):
        return f"array of shape {v.shape}"
    if isinstance(v, Tensor):
        return "torch tensor"
    if isinstance(v, Unsupported):
        return v.type_name
    if isinstance(v, numbers.Number) and not isinstance(v, bool):
        return "number"
    return type(v).__name__


def compare_arrays(got: Any, expected: Any, atol: float, rtol: float = 0.0, check_dtype: bool = False,
                   what: str = "output") -> str:
    """Compare a student's array (or number) with the expected one; ``""`` if they match, else a hint.

    The hint names the shape/dtype mismatch or how many entries differ and by how much at most (only its
    order of magnitude); it never contains the expected values.
    """
    expected = np.asarray(expected)
    if isinstance(got, (tuple, list)) and expected.ndim == 0:
        return f"your {what} is a {type(got).__name__}; expected a single number."
    if got is None:
        return f"your {what} is None: did you forget to return it?"
    try:
        got_arr = np.asarray(got)
    except Exception:
        return f"your {what} could not be turned into an array (got {type(got).__name__})."
    if got_arr.shape != expected.shape:
        return f"your {what} has shape {got_arr.shape}, expected shape {expected.shape}."
    if got_arr.dtype.kind not in "biuf":
        return f"your {what} has dtype {got_arr.dtype}; expected numbers."
    if check_dtype and got_arr.dtype != expected.dtype:
        return f"your {what} has dtype {got_arr.dtype}, expected {expected.dtype}."
    g = got_arr.astype(np.float64)
    e = expected.astype(np.float64)
    if not np.all(np.isfinite(g)):
        if np.array_equal(np.isnan(g), np.isnan(e)) and np.array_equal(g[~np.isfinite(g)], e[~np.isfinite(g)],
                                                                   equal_nan=True):
            g, e = np.where(np.isfinite(g), g, 0.0), np.where(np.isfinite(e), e, 0.0)
        else:
            return f"your {what} contains NaN or inf."
    if not np.all(np.isfinite(e)):
        return f"your {what} should contain inf or NaN somewhere, and yours does not."
    bad = np.abs(g - e) > atol + rtol * np.abs(e)
    if bad.any():
        n = int(bad.sum())
        worst = float(np.abs(g - e).max())
        loc = np.unravel_index(int(np.argmax(np.abs(g - e))), g.shape) if g.ndim else ()
        # Only the order of magnitude: an exact difference would reveal the expected value.
        order = int(math.floor(math.log10(worst))) if worst > 0 else 0
        where = f" (at index {tuple(int(i) for i in loc)})" if g.ndim else ""
        whose = "" if what == "output" else f"in your {what}, "
        return (f"{whose}{n} of {g.size} values differ beyond the tolerance {atol:g}; the largest difference"
                f"{where} is of order 1e{order:+d}.")
    return ""
