"""The graded checks of Chapter 16: the reference earns full points, a stub is "not done", and typical
mistakes fail with a hint that names them (and no expected values)."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit import grading
from coursekit.checks import ch16_video as ch16
from coursekit.grading import Status
from coursekit.metrics.flow import endpoint_error
from coursekit.video.fusion import late_fusion


def _stub(*args, **kwargs):
    raise NotImplementedError


@pytest.mark.parametrize("eid,reference", [
    ("ch16.endpoint_error", endpoint_error),
    ("ch16.late_fusion", late_fusion),
    ("ch16.inflate_conv2d_weight", ch16.inflate_reference),
    ("ch16.tubelets", ch16.tubelets_reference),
    ("ch16.lucas_kanade_step", ch16.lucas_kanade_reference),
    ("ch16.horn_schunck_step", ch16.horn_schunck_reference),
])
def test_reference_passes_and_stub_is_not_done(eid, reference):
    result = grading.run_check(eid, reference, points=3)
    assert result.status is Status.PASSED and result.points == 3 and len(result.cases) >= 3, result.report()
    assert grading.run_check(eid, _stub).status is Status.NOT_DONE


def _fails_with(eid, fn, words):
    result = grading.run_check(eid, fn)
    assert result.status is Status.FAILED, result.report()
    assert words in result.report(), result.report()
    return result


def test_endpoint_error_mistakes_are_named():
    _fails_with("ch16.endpoint_error", ch16._epe_squared, "square root")
    _fails_with("ch16.endpoint_error", ch16._epe_l1, "Euclidean")


def test_late_fusion_mistakes_are_named():
    _fails_with("ch16.late_fusion", ch16._fusion_logits_first, "probabilities")
    _fails_with("ch16.late_fusion", ch16._fusion_unnormalised, "sum to 1")


def test_inflation_mistakes_are_named():
    _fails_with("ch16.inflate_conv2d_weight", ch16._inflate_no_divide, "divide by K_T")
    _fails_with("ch16.inflate_conv2d_weight", ch16._inflate_centre, "every time slice")


def test_tubelet_mistakes_are_named():
    _fails_with("ch16.tubelets", ch16._tubelets_space_major, "time-major")
    _fails_with("ch16.tubelets", ch16._tubelets_time_first_inside, "(C, t, P, P)")


def test_lucas_kanade_mistakes_are_named():
    _fails_with("ch16.lucas_kanade_step", ch16._lk_sign_flipped, "sign")
    _fails_with("ch16.lucas_kanade_step", ch16._lk_swapped, "x first")


def test_horn_schunck_mistakes_are_named():
    _fails_with("ch16.horn_schunck_step", ch16._hs_alpha_not_squared, "alpha squared")
    _fails_with("ch16.horn_schunck_step", ch16._hs_one_sweep_less, "Jacobi sweeps")


def test_hints_never_contain_expected_values():
    result = grading.run_check("ch16.endpoint_error", lambda a, b: np.zeros(np.shape(a)[:-1]))
    assert result.status is Status.FAILED
    assert "5.0" not in result.report()
