"""coursekit.grading: honest scores, helpful hints, and never the reference's answer."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit import grading
from coursekit.grading import CaseResult, compare_arrays, compare_cases


def reference_double(x):
    return 2.0 * x


def _cases(rng):
    return [(f"random {n}", (rng.normal(size=(n, n)),), {}) for n in (3, 5)]


def check_double(student, rng):  # a check in the same form as coursekit.checks.chNN_*
    return compare_cases(student, reference_double, _cases(rng), atol=1e-12, hint="multiply by two")


@pytest.fixture
def registered(monkeypatch):
    monkeypatch.setattr(grading, "find_check", lambda eid: check_double)


def test_correct_student_earns_full_points(registered, capsys):
    result = grading.check("ch99.double", lambda x: x + x, points=3)
    assert result.points == 3 and result.passed
    assert "3/3 points" in capsys.readouterr().out


def test_wrong_student_earns_zero_and_gets_a_hint(registered, capsys):
    with pytest.raises(grading.CheckFailed):
        grading.check("ch99.double", lambda x: 3 * x, points=3)
    out = capsys.readouterr().out
    assert "0/3 points" in out and "multiply by two" in out and "FAIL" in out


def test_stub_is_reported_as_not_done(registered):
    def stub(x):
        raise NotImplementedError
    with pytest.raises(grading.ExerciseNotDone):
        grading.check("ch99.double", stub, points=1)
    assert grading.run_check("ch99.double", stub).status == "not-done"


def test_student_exception_costs_only_that_case(registered):
    def flaky(x):
        if x.shape[0] == 3:
            raise ZeroDivisionError("oops")
        return 2 * x
    result = grading.run_check("ch99.double", flaky, points=1)
    assert [c.passed for c in result.cases] == [False, True]
    assert "ZeroDivisionError" in result.cases[0].hint and result.points == 0


def test_non_callable_submission_is_an_error_not_a_crash(registered):
    assert grading.run_check("ch99.double", 42).status == "error"


def test_student_cannot_change_the_reference_input_in_place(registered):
    def vandal(x):
        x *= 0
        return 2 * x
    result = grading.run_check("ch99.double", vandal)
    assert not result.passed  # its own answer is wrong, and the reference still saw the real input


def test_hint_never_contains_expected_values():
    expected = np.array([[0.123456, 7.654321]])
    hint = compare_arrays(np.zeros((1, 2)), expected, atol=1e-6)
    assert hint and "0.123456" not in hint and "7.65" not in hint


@pytest.mark.parametrize("got, fragment", [
    (np.zeros((2, 2)), "shape"),
    (np.array([[np.nan, 0.0]]), "NaN"),
    ((np.zeros((1, 2)), np.zeros((1, 2))), "tuple"),
    (np.array([["a", "b"]]), "dtype"),
])
def test_hint_names_the_kind_of_mistake(got, fragment):
    assert fragment in compare_arrays(got, np.zeros((1, 2)), atol=1e-6)


def test_matching_arrays_give_no_hint():
    x = np.linspace(0, 1, 7)
    assert compare_arrays(x + 1e-9, x, atol=1e-6) == ""


def test_dtype_is_checked_only_when_asked():
    x = np.arange(4, dtype=np.uint8)
    assert compare_arrays(x.astype(np.int64), x, atol=0) == ""
    assert "dtype" in compare_arrays(x.astype(np.int64), x, atol=0, check_dtype=True)


def test_rng_for_is_deterministic_and_differs_between_exercises():
    a = grading.rng_for("ch02.a").random(3)
    assert np.array_equal(a, grading.rng_for("ch02.a").random(3))
    assert not np.array_equal(a, grading.rng_for("ch02.b").random(3))


@pytest.mark.parametrize("bad", ["gamma", "ch02.", "ch02.no_such_exercise"])
def test_unknown_exercise_ids_raise(bad):
    with pytest.raises(ValueError):
        grading.find_check(bad)


def test_report_lists_every_case():
    r = grading.CheckResult("ch99.x", 0, 2, [CaseResult("a", True), CaseResult("b", False, "off by one")])
    text = r.report()
    assert "[PASS] a" in text and "[FAIL] b — off by one" in text and not r.passed
