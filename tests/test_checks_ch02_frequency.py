"""The Chapter 2 frequency/geometry checks: the reference earns full points, typical mistakes fail with a
hint that explains without revealing values, and a stub is reported as not done."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit import geometry, grading
from coursekit.image import dct
from coursekit.image import entropy

REFERENCES = {
    "ch02.dct_matrix": dct.dct_matrix,
    "ch02.zigzag_indices": entropy.zigzag_indices,
    "ch02.estimate_homography": geometry.estimate_homography,
    "ch02.bilinear_sample": geometry.bilinear_sample,
}


@pytest.mark.parametrize("eid", list(REFERENCES))
def test_reference_earns_full_points(eid):
    result = grading.run_check(eid, REFERENCES[eid], points=3)
    assert result.passed and result.points == 3, result.report()
    assert len(result.cases) >= 4


def _dct_without_alpha0(n):  # forgets that alpha_0 = sqrt(1/n)
    k, x = np.arange(n)[:, None], np.arange(n)[None, :]
    return np.sqrt(2.0 / n) * np.cos(np.pi * (2 * x + 1) * k / (2 * n))


def _zigzag_transposed(n):  # starts downwards instead of to the right
    return entropy.zigzag_indices(n)[:, ::-1].copy()


def _unnormalised_dlt(src, dst):  # the DLT without Hartley's normalisation
    x, y, u, v = src[:, 0], src[:, 1], dst[:, 0], dst[:, 1]
    o, z = np.ones_like(x), np.zeros_like(x)
    A = np.vstack([np.stack([-x, -y, -o, z, z, z, u * x, u * y, u], 1),
                   np.stack([z, z, z, -x, -y, -o, v * x, v * y, v], 1)])
    return np.linalg.svd(A)[2][-1].reshape(3, 3)


def _bilinear_clamped(image, x, y):  # clamps to the edge instead of treating outside pixels as 0
    pad = [(1, 1), (1, 1)] + [(0, 0)] * (image.ndim - 2)
    return geometry.bilinear_sample(np.pad(image, pad, mode="edge"), x + 1, y + 1)


WRONG = {
    "ch02.dct_matrix": (_dct_without_alpha0, "alpha_k"),
    "ch02.zigzag_indices": (_zigzag_transposed, "anti-diagonals"),
    "ch02.estimate_homography": (_unnormalised_dlt, "normalise both point sets"),
    "ch02.bilinear_sample": (_bilinear_clamped, "outside the image contributes 0"),
}


@pytest.mark.parametrize("eid", list(WRONG))
def test_typical_mistake_fails_with_a_helpful_hint(eid):
    wrong, phrase = WRONG[eid]
    result = grading.run_check(eid, wrong, points=2)
    assert result.status == "failed" and result.points == 0
    failed = [c for c in result.cases if not c.passed]
    assert failed and all(phrase in c.hint for c in failed), result.report()


def _dlt(src, dst, distance):
    """The normalised DLT with Hartley's scaling to a mean (the chapter's) or an RMS distance of √2."""
    def normalise(p):
        c = p.mean(axis=0)
        d = np.linalg.norm(p - c, axis=1)
        s = np.sqrt(2.0) / (d.mean() if distance == "mean" else np.sqrt(np.mean(d ** 2)))
        return (p - c) * s, np.array([[s, 0, -s * c[0]], [0, s, -s * c[1]], [0, 0, 1.0]])

    p, T_s = normalise(src)
    q, T_d = normalise(dst)
    H = np.linalg.inv(T_d) @ _unnormalised_dlt(p, q) @ T_s
    return H / np.linalg.norm(H)          # a unit-norm H: any scale must do


@pytest.mark.parametrize("distance", ["mean", "rms"])
def test_dlt_with_mean_or_rms_normalisation_earns_full_points(distance):
    # the check judges the estimate (reprojection error, agreement up to scale), not one convention
    result = grading.run_check("ch02.estimate_homography", lambda s, d: _dlt(s, d, distance), points=4)
    assert result.passed and result.points == 4, result.report()


def test_dlt_hint_states_how_far_off_the_fit_is_not_the_answer():
    result = grading.run_check("ch02.estimate_homography", _unnormalised_dlt, points=4)
    noisy = [c for c in result.cases if "noise" in c.label and "noise-free" not in c.label]
    assert noisy and all(not c.passed and "reprojection RMS" in c.hint for c in noisy)


def test_transposed_dct_matrix_is_named_as_such():
    result = grading.run_check("ch02.dct_matrix", lambda n: dct.dct_matrix(n).T, points=2)
    assert not result.passed
    assert any("transpose" in c.hint for c in result.cases)


def test_unnormalised_dlt_still_passes_the_exact_cases():
    # The check separates "cannot solve the DLT" from "did not normalise".
    result = grading.run_check("ch02.estimate_homography", _unnormalised_dlt, points=4)
    assert [c.passed for c in result.cases if "exact" in c.label or "noise-free" in c.label] == [True] * 3


def test_hints_do_not_reveal_reference_values():
    result = grading.run_check("ch02.dct_matrix", _dct_without_alpha0, points=2)
    text = result.report()
    for value in dct.dct_matrix(8).ravel()[:8]:
        assert f"{value:.4f}" not in text


@pytest.mark.parametrize("eid", list(REFERENCES))
def test_stub_is_reported_as_not_done(eid):
    def stub(*args, **kwargs):
        raise NotImplementedError("Exercise: replace this line with your code.")

    result = grading.run_check(eid, stub, points=2)
    assert result.status == "not-done" and result.points == 0
    with pytest.raises(grading.ExerciseNotDone):
        grading.check(eid, stub, points=2)


def test_a_crashing_answer_is_reported_not_raised():
    def crashes(*args):
        raise IndexError("index 8 is out of bounds")

    result = grading.run_check("ch02.zigzag_indices", crashes, points=2)
    assert not result.passed and "IndexError" in result.report()
