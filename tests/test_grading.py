"""coursekit.grading: cases, reference and judgement; honest scores, helpful hints, never the answer."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit import grading
from coursekit import grading_wire as wire
from coursekit.grading import Case, CaseResult, Check, Seeded, Status, Tensor, compare, compare_arrays


def reference_double(x):
    return 2.0 * x


def _double_cases(rng):
    for n in (3, 5):
        yield Case(f"random {n}×{n}", (rng.normal(size=(n, n)),))


def _probe_review(outcomes):
    probe = next(o for o in outcomes if o.case.probe)
    if probe.got is not None and np.allclose(probe.got, 3.0):
        for o in outcomes:
            if not o.result.passed:
                o.result.hint += " Hint: you multiplied by three."


DOUBLE = Check("ch99.double", cases=lambda rng: [*_double_cases(rng), Case("probe: ones", (np.ones(1),), probe=True)],
               reference=reference_double, atol=1e-12, hint="multiply by two", review=_probe_review)


def _draw_cases(rng):
    yield Case("three draws", (Seeded(int(rng.integers(1 << 30))), 3))


def _draw_reference(gen, n):
    return gen.random(n)


DRAW = Check("ch99.draw", cases=_draw_cases, reference=_draw_reference, atol=0)


@pytest.fixture
def registered(monkeypatch):
    table = {c.exercise_id: c for c in (DOUBLE, DRAW)}
    monkeypatch.setattr(grading, "find_check", lambda eid: table[eid])


def test_correct_student_earns_full_points(registered, capsys):
    result = grading.check("ch99.double", lambda x: x + x, points=3)
    assert result.points == 3 and result.status is Status.PASSED
    out = capsys.readouterr().out
    assert "3/3 points" in out and "2 of 2 cases passed" in out and "probe" not in out


def test_wrong_student_earns_zero_and_gets_a_hint_from_the_probe(registered, capsys):
    with pytest.raises(grading.CheckFailed):
        grading.check("ch99.double", lambda x: 3 * x, points=3)
    out = capsys.readouterr().out
    assert "0/3 points" in out and "multiply by two" in out and "multiplied by three" in out and "FAIL" in out


def test_stub_is_reported_as_not_done(registered):
    def stub(x):
        raise NotImplementedError
    with pytest.raises(grading.ExerciseNotDone):
        grading.check("ch99.double", stub, points=1)
    assert grading.run_check("ch99.double", stub).status is Status.NOT_DONE


def test_status_is_an_explicit_enum_that_still_reads_as_its_report_string():
    assert Status.NOT_DONE == "not-done" and str(Status.REFERENCE_USED) == "reference-used"


def test_student_exception_costs_only_that_case(registered):
    def flaky(x):
        if x.shape[0] == 3:
            raise ZeroDivisionError("oops")
        return 2 * x
    result = grading.run_check("ch99.double", flaky, points=1)
    assert [c.passed for c in result.cases] == [False, True]
    assert "ZeroDivisionError: oops" in result.cases[0].hint and result.points == 0


def test_non_callable_submission_is_an_error_not_a_crash(registered):
    assert grading.run_check("ch99.double", 42).status is Status.ERROR


def test_student_cannot_change_the_reference_input_in_place(registered):
    def vandal(x):
        x *= 0
        return 2 * x
    assert grading.run_check("ch99.double", vandal).status is Status.FAILED


def test_a_seeded_input_arrives_as_a_fresh_generator_with_the_same_draws(registered):
    assert grading.run_check("ch99.draw", lambda gen, n: gen.random(n)).status is Status.PASSED
    assert grading.run_check("ch99.draw", lambda gen, n: gen.random(n + 1)[1:]).status is Status.FAILED


def test_a_judge_that_forgets_to_return_is_a_check_error(monkeypatch):
    broken = Check("ch99.broken", cases=_double_cases, reference=reference_double, judge=lambda case, got, exp: None)
    monkeypatch.setattr(grading, "find_check", lambda eid: broken)
    result = grading.run_check("ch99.broken", reference_double)
    assert result.status is Status.ERROR and "must return a hint string" in result.message


def test_judge_sees_only_the_output_and_never_calls_the_student(registered):
    calls = []

    def counted(x):
        calls.append(1)
        return 3 * x
    grading.run_check("ch99.double", counted)
    assert len(calls) == 3                                    # two cases and one probe, each run once


def test_hint_never_contains_expected_values():
    expected = np.array([[0.123456, 7.654321]])
    hint = compare_arrays(np.zeros((1, 2)), expected, atol=1e-6)
    assert hint and "0.123456" not in hint and "7.65" not in hint


@pytest.mark.parametrize("got, fragment", [
    (np.zeros((2, 2)), "shape"),
    (np.array([[np.nan, 0.0]]), "NaN"),
    ((np.zeros((1, 2)), np.zeros((1, 2))), "tuple"),
    (np.array([["a", "b"]]), "dtype"),
    (None, "None"),
    (wire.Unsupported("generator"), "generator"),
])
def test_hint_names_the_kind_of_mistake(got, fragment):
    assert fragment in compare(got, np.zeros((1, 2)), atol=1e-6)


def test_compare_walks_tuples_and_dicts_and_names_the_wrong_item():
    exp = (np.zeros(3), {"w": np.ones(2), "b": 0.5})
    assert compare((np.zeros(3), {"w": np.ones(2), "b": 0.5}), exp) == ""
    assert "output #2['b']" in compare((np.zeros(3), {"w": np.ones(2), "b": 0.7}), exp)
    assert "2 items" in compare((np.zeros(3), 1, 2)[:2], (np.zeros(3), 1, 2))


def test_compare_unwraps_torch_outputs_and_asks_for_a_tensor_when_one_is_expected():
    t = Tensor(np.arange(3.0))
    assert compare(Tensor(np.arange(3.0)), t) == ""
    assert "torch tensor" in compare(np.arange(3.0), t)


def test_matching_arrays_give_no_hint():
    x = np.linspace(0, 1, 7)
    assert compare_arrays(x + 1e-9, x, atol=1e-6) == ""
    assert compare(float("inf"), float("inf")) == ""


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


def test_inputs_that_are_not_plain_data_are_a_check_error():
    with pytest.raises(grading.CheckError):
        grading.case_payload([Case("a lambda", (lambda: 1,))])


# ----------------------------------------------------------------------------- the wire format

def test_plain_data_survives_the_wire_with_its_types():
    value = (np.arange(6, dtype=np.int16).reshape(2, 3), [1, 2.5, "s", None, True], {"k": np.float32(1.5), 3: (1,)},
             float("nan"), 10**40, np.bool_(True))
    tree, blobs = wire.encode(value)
    back = wire.decode(tree, blobs)
    assert back[0].dtype == np.int16 and np.array_equal(back[0], value[0])
    assert back[1] == [1, 2.5, "s", None, True] and isinstance(back[2]["k"], np.float32) and back[2][3] == (1,)
    assert np.isnan(back[3]) and back[4] == 10**40 and back[5] is np.True_


def test_values_that_are_not_data_arrive_as_unsupported_and_never_execute():
    tree, blobs = wire.encode([lambda: 1, np.array([object()], dtype=object), iter([1])])
    back = wire.decode(tree, blobs)
    assert all(isinstance(v, wire.Unsupported) for v in back)


@pytest.mark.parametrize("tree, blobs", [
    (["nd", 0], [b"\x93NUMPY\x01\x00" + b"{'descr': '|O', 'fortran_order': False, 'shape': (1,), }".ljust(118) + b"\n"]),
    (["list", [["none"]] * 3], []),
    (["nd", 5], []),
    (["int", "1" * 5000], []),
    (["bogus"], []),
    ("not a list", []),
])
def test_hostile_messages_are_refused_with_a_wire_error(tree, blobs):
    if tree == ["list", [["none"]] * 3]:                      # nested far too deep
        for _ in range(100):
            tree = ["list", [tree]]
    with pytest.raises(wire.WireError):
        wire.decode(tree, blobs)


def test_outputs_above_the_size_limit_are_refused():
    with pytest.raises(wire.WireError):
        wire.encode(np.zeros(2**20), max_bytes=2**20)


def test_frames_are_length_checked():
    frame = wire.pack({"op": "x"}, [b"abc"])
    assert wire.unpack(frame, 1000) == ({"op": "x", "n_blobs": 1}, [b"abc"])
    for bad in (frame[:-1], frame + b"!", frame[:8] + b"[" * 20):
        with pytest.raises(wire.WireError):
            wire.unpack(bad, 1000)
    with pytest.raises(wire.WireError):
        wire.unpack(frame, 10)


@pytest.mark.parametrize("kwargs, message", [
    (dict(exercise_id="iou"), "exercise_id"),
    (dict(exercise_id="ch05.iou", forbidden="cv2.GaussianBlur"), "tuple of dotted names"),
    (dict(exercise_id="ch05.iou", forbidden=("GaussianBlur",)), "dotted names"),
    (dict(exercise_id="ch05.iou", forbidden=("cv2.",)), "dotted names"),
])
def test_a_malformed_check_fails_where_it_is_written(kwargs, message):
    with pytest.raises((TypeError, ValueError), match=message):
        Check(cases=lambda rng: [], **kwargs)


def test_nan_in_the_same_places_is_equal_and_elsewhere_is_not():
    expected = np.array([1.0, np.nan, 3.0])
    assert compare_arrays(expected.copy(), expected, atol=1e-9) == ""
    assert compare_arrays(np.array([1.0, 2.0, 3.0]), expected, atol=1e-9) != ""
    assert compare_arrays(np.array([np.nan, np.nan, 3.0]), expected, atol=1e-9) != ""
