"""The graded checks of Chapter 9: the reference earns full points, a stub is "not done", and typical
mistakes fail with a hint that names them (and no expected values)."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit import grading
from coursekit.checks import ch09_nerf_3dgs as ch09
from coursekit.grading import Status
from coursekit.rendering.volume import volume_weights


def _stub(*args, **kwargs):
    raise NotImplementedError


@pytest.mark.parametrize("eid,reference", [
    ("ch09.positional_encoding", ch09.positional_encoding_reference),
    ("ch09.volume_weights", volume_weights),
    ("ch09.sample_pdf", ch09.sample_pdf_reference),
    ("ch09.covariance_3d", ch09.covariance_reference),
    ("ch09.project_covariance", ch09.project_covariance_reference),
    ("ch09.composite_pixel", ch09.composite_pixel_reference),
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


def test_encoding_mistakes_are_named():
    _fails_with("ch09.positional_encoding", ch09._pe_no_pi, "multiply by π")
    _fails_with("ch09.positional_encoding", ch09._pe_grouped, "interleave")
    _fails_with("ch09.positional_encoding", ch09._pe_from_one, "k starts at 0")


def test_weight_mistakes_are_named():
    _fails_with("ch09.volume_weights", ch09._vw_inclusive, "before")
    _fails_with("ch09.volume_weights", ch09._vw_linear_alpha, "1 - exp")


def test_inverse_cdf_mistakes_are_named():
    _fails_with("ch09.sample_pdf", ch09._pdf_bins_only, "interpolate")
    _fails_with("ch09.sample_pdf", ch09._pdf_uniform, "CDF")


def test_covariance_mistakes_are_named():
    _fails_with("ch09.covariance_3d", ch09._cov_no_square, "squared scales")
    _fails_with("ch09.covariance_3d", ch09._cov_unnormalised, "normalise")
    _fails_with("ch09.covariance_3d", ch09._cov_transposed, "Rᵀ")


def test_projection_mistakes_are_named():
    _fails_with("ch09.project_covariance", ch09._proj_no_rotation, "camera frame")
    _fails_with("ch09.project_covariance", ch09._proj_affine_only, "perspective terms")


def test_compositing_mistakes_are_named():
    _fails_with("ch09.composite_pixel", ch09._pixel_unsorted, "sort")
    _fails_with("ch09.composite_pixel", ch09._pixel_back_to_front, "front to back")
    _fails_with("ch09.composite_pixel", ch09._pixel_no_background, "background")


def test_hints_never_show_expected_values():
    result = grading.run_check("ch09.volume_weights", ch09._vw_inclusive)
    expected = volume_weights(np.full((2, 10), 1.5), np.full((2, 10), 0.2))
    assert f"{expected[0, 0]:.4f}" not in result.report()
