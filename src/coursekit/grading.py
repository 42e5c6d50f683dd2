"""Checks for the graded exercises: run a student's function, compare, explain.

Every exercise notebook (``solutions/NN_slug.ipynb``, with its stub twin in
``exercises/``) ends each exercise with a *check cell* such as::

    from coursekit import grading
    grading.check("ch02.gamma_correct", gamma_correct, points=2)

:func:`check` looks up the exercise's check function in
``coursekit.checks.chNN*`` modules, runs the student's function on seeded
random inputs and on real images, compares each result with the coursekit
reference, prints one line per case and the points earned, and raises
:class:`CheckFailed` when any case fails (so a notebook test runner sees the
failure). It never prints the reference's output: a hint says *how* the
student's answer is off (shape, dtype, where and by how much), not what the
answer is.

Writing a check
---------------
A check is a function ``check_<name>(student, rng)`` in a module
``coursekit/checks/chNN_<topic>.py`` that returns a list of
:class:`CaseResult`. Most checks are one call to :func:`compare_cases`.
"""

from __future__ import annotations

import importlib
import pkgutil
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np

__all__ = [
    "CaseResult",
    "CheckResult",
    "CheckFailed",
    "ExerciseNotDone",
    "check",
    "run_check",
    "compare_cases",
    "compare_arrays",
    "call_student",
    "find_check",
    "rng_for",
]


class CheckFailed(AssertionError):
    """Raised by :func:`check` when an exercise does not earn full points."""


class ExerciseNotDone(CheckFailed):
    """Raised by :func:`check` when the student's function still raises ``NotImplementedError``."""


@dataclass
class CaseResult:
    """The outcome of one test case of a check.

    Attributes
    ----------
    label : str
        What was tested, e.g. ``"camera (512×512 uint8), gamma=2.2"``.
    passed : bool
        Whether the student's answer matched.
    hint : str
        On failure, how the answer is off (never the expected values).
    """

    label: str
    passed: bool
    hint: str = ""


@dataclass
class CheckResult:
    """The outcome of one exercise's check."""

    exercise_id: str
    points: float
    max_points: float
    cases: list[CaseResult] = field(default_factory=list)
    status: str = "graded"  # "graded" | "not-done" | "error"
    message: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "graded" and all(c.passed for c in self.cases)

    def report(self) -> str:
        """A short human-readable report, one line per case."""
        head = f"Exercise {self.exercise_id}: {self.points:g}/{self.max_points:g} points"
        lines = [head]
        if self.message:
            lines.append("  " + self.message)
        for c in self.cases:
            mark = "PASS" if c.passed else "FAIL"
            line = f"  [{mark}] {c.label}"
            if not c.passed and c.hint:
                line += f" — {c.hint}"
            lines.append(line)
        return "\n".join(lines)


def rng_for(exercise_id: str) -> np.random.Generator:
    """The seeded random generator of an exercise: the same cases on every run."""
    return np.random.default_rng(zlib.crc32(exercise_id.encode()))


def find_check(exercise_id: str) -> Callable:
    """Return the check function for ``exercise_id`` (``"chNN.name"``).

    Searches the modules ``coursekit.checks.chNN*`` for ``check_<name>``.
    """
    try:
        chapter, name = exercise_id.split(".", 1)
    except ValueError:
        raise ValueError(f"exercise id must look like 'ch02.gamma_correct', got {exercise_id!r}.") from None
    import coursekit.checks as pkg

    found = []
    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name == chapter or mod.name.startswith(chapter + "_"):
            module = importlib.import_module(f"coursekit.checks.{mod.name}")
            fn = getattr(module, f"check_{name}", None)
            if fn is not None:
                found.append(fn)
    if not found:
        raise ValueError(f"no check is registered for exercise {exercise_id!r}.")
    if len(found) > 1:
        raise RuntimeError(f"exercise {exercise_id!r} has {len(found)} checks; ids must be unique.")
    return found[0]


def run_check(exercise_id: str, student: Callable, points: float = 1.0) -> CheckResult:
    """Run the check of ``exercise_id`` on ``student`` and return the result (never raises for
    anything the student's code does)."""
    points = float(points)
    check_fn = find_check(exercise_id)
    if not callable(student):
        return CheckResult(exercise_id, 0.0, points, status="error",
                           message=f"expected a function, got {type(student).__name__}.")
    try:
        cases = list(check_fn(student, rng_for(exercise_id)))
    except NotImplementedError:
        return CheckResult(exercise_id, 0.0, points, status="not-done",
                           message="not done yet: the function still raises NotImplementedError.")
    except Exception as exc:  # a student's error outside any single case
        return CheckResult(exercise_id, 0.0, points, status="error",
                           message=f"your code raised {type(exc).__name__}: {exc}")
    if any(c.hint == _NOT_DONE for c in cases):
        return CheckResult(exercise_id, 0.0, points, status="not-done",
                           message="not done yet: the function still raises NotImplementedError.")
    earned = points if cases and all(c.passed for c in cases) else 0.0
    return CheckResult(exercise_id, earned, points, cases=cases)


def check(exercise_id: str, student: Callable, points: float = 1.0) -> CheckResult:
    """Grade one exercise in a notebook: print the report, raise unless full marks.

    Parameters
    ----------
    exercise_id : str
        The id stored in the exercise cell's metadata, e.g. ``"ch02.gamma_correct"``.
    student : callable
        The student's function.
    points : float
        The points the exercise is worth (the same number as in the cell metadata).

    Returns
    -------
    CheckResult
        Only when every case passed.

    Raises
    ------
    ExerciseNotDone
        The function is still a stub.
    CheckFailed
        At least one case failed; the printed report says which and why.
    """
    result = run_check(exercise_id, student, points)
    print(result.report())
    if result.status == "not-done":
        raise ExerciseNotDone(f"{exercise_id} is not done yet (0/{points:g} points).")
    if not result.passed:
        raise CheckFailed(f"{exercise_id}: 0/{points:g} points; see the report above.")
    return result


# ----------------------------------------------------------------------------- comparing answers

_NOT_DONE = "__not_done__"


def call_student(student: Callable, *args, **kwargs) -> tuple[Any, str]:
    """Call the student's function on copies of the array arguments.

    Returns ``(value, "")``, or ``(None, hint)`` when the function raised (the hint names the exception,
    so one buggy case does not hide the others). ``NotImplementedError`` passes through: it means the
    exercise is still a stub.
    """
    copies = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
    try:
        return student(*copies, **kwargs), ""
    except NotImplementedError:
        raise
    except Exception as exc:
        return None, f"your function raised {type(exc).__name__}: {exc}"


def compare_arrays(got: Any, expected: np.ndarray, atol: float, rtol: float = 0.0,
                   check_dtype: bool = False, what: str = "output") -> str:
    """Compare a student's array with the reference; return ``""`` if they match, else a hint.

    The hint names the shape/dtype mismatch or how many entries differ and by how
    much at most; it never contains the expected values.
    """
    expected = np.asarray(expected)
    if isinstance(got, tuple) and not isinstance(expected, tuple):
        return f"your {what} is a tuple; expected a single array."
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
        return f"your {what} contains NaN or inf."
    bad = np.abs(g - e) > atol + rtol * np.abs(e)
    if bad.any():
        n = int(bad.sum())
        worst = float(np.abs(g - e).max())
        loc = np.unravel_index(int(np.argmax(np.abs(g - e))), g.shape) if g.ndim else ()
        # Only the order of magnitude: an exact difference would reveal the expected value.
        order = int(np.floor(np.log10(worst))) if worst > 0 else 0
        return (f"{n} of {g.size} values differ beyond the tolerance {atol:g}; the largest difference "
                f"(at index {tuple(int(i) for i in loc)}) is of order 1e{order:+d}.")
    return ""


def compare_cases(student: Callable, reference: Callable, cases: Iterable[tuple[str, tuple, dict]],
                  atol: float = 1e-6, rtol: float = 0.0, check_dtype: bool = False,
                  hint: str = "") -> list[CaseResult]:
    """Run ``student`` and ``reference`` on each case and compare their array outputs.

    Parameters
    ----------
    student, reference : callable
        The student's function and the coursekit reference, same signature.
    cases : iterable of (label, args, kwargs)
        What to call them with. Inputs are copied for the student, so an
        in-place modification cannot change the reference's input.
    atol, rtol : float
        Tolerance of the comparison (``|got - expected| <= atol + rtol * |expected|``).
    check_dtype : bool
        Also require the same dtype.
    hint : str
        Extra advice appended to a failure's message.

    Returns
    -------
    list of CaseResult
    """
    results = []
    for label, args, kwargs in cases:
        expected = reference(*args, **kwargs)
        s_args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
        try:
            got = student(*s_args, **kwargs)
        except NotImplementedError:
            return [CaseResult(label, False, _NOT_DONE)]
        except Exception as exc:
            results.append(CaseResult(label, False, f"your function raised {type(exc).__name__}: {exc}"))
            continue
        if isinstance(expected, tuple):
            if not isinstance(got, tuple) or len(got) != len(expected):
                results.append(CaseResult(label, False, f"expected a tuple of {len(expected)} arrays."))
                continue
            msg = ""
            for i, (g, e) in enumerate(zip(got, expected)):
                msg = compare_arrays(g, e, atol, rtol, check_dtype, what=f"output #{i + 1}")
                if msg:
                    break
        else:
            msg = compare_arrays(got, expected, atol, rtol, check_dtype)
        if msg and hint:
            msg += " Hint: " + hint
        results.append(CaseResult(label, not msg, msg))
    return results
