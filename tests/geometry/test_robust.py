"""Tests of coursekit.geometry.robust (RANSAC around the normalised DLT) against
cv2.findHomography(..., cv2.RANSAC) on the same matches (Chapter 2, RANSAC)."""

import cv2
import numpy as np
import pytest

from coursekit.geometry.robust import ransac_homography, ransac_trials, transfer_error
from coursekit.geometry.transforms import apply_homography, estimate_homography

H_TRUE = np.array([[0.9, 0.15, 20.0], [-0.1, 1.05, 10.0], [2e-4, 1e-4, 1.0]])


def _matches(seed, n=200, outliers=0.4, noise=1.0):
    """n matches of random points under H_TRUE with `noise` px of Gaussian noise; a fraction are random."""
    rng = np.random.default_rng(seed)
    src = rng.uniform(0, 512, (n, 2))
    dst = apply_homography(H_TRUE, src) + rng.normal(0, noise, (n, 2))
    wrong = rng.random(n) < outliers
    dst[wrong] = rng.uniform(0, 512, (wrong.sum(), 2))
    return src, dst, ~wrong


@pytest.mark.parametrize("seed, outliers", [(0, 0.2), (1, 0.4), (2, 0.5), (3, 0.6)])
def test_inlier_rate_matches_opencv_ransac_on_the_same_matches(seed, outliers):
    src, dst, good = _matches(seed, outliers=outliers)
    H, inliers = ransac_homography(src, dst, np.random.default_rng(seed), 3.0)
    H_cv, mask = cv2.findHomography(src, dst, cv2.RANSAC, 3.0)
    mask = mask.ravel().astype(bool)
    # the same inlier rule (transfer error <= 3 px); the sampling differs and OpenCV polishes by
    # Levenberg-Marquardt where we refit by DLT, so a match near the threshold can fall either way:
    # the inlier rates agree within 2 points and the two masks on 97 % of the matches
    assert abs(inliers.mean() - mask.mean()) <= 0.02
    assert np.mean(inliers == mask) >= 0.97
    # and both recover the truth: no wrong match accepted, >= 95 % of the right ones kept
    assert not np.any(inliers & ~good) and (inliers & good).sum() >= 0.95 * good.sum()
    # the fit is as good as OpenCV's on the true inliers (1 px noise: mean transfer error about 1.25 px)
    assert transfer_error(H, src[good], dst[good]).mean() <= transfer_error(H_cv, src[good], dst[good]).mean() + 0.05


def test_ransac_beats_least_squares_on_contaminated_matches():
    src, dst, good = _matches(4, outliers=0.3)
    plain = transfer_error(estimate_homography(src, dst), src[good], dst[good]).mean()
    robust = transfer_error(ransac_homography(src, dst, np.random.default_rng(0))[0], src[good], dst[good]).mean()
    assert robust < 1.5 < 10.0 < plain


def test_same_generator_same_answer_and_the_callers_generator_only():
    src, dst, _ = _matches(5)
    state = np.random.get_state()
    a = ransac_homography(src, dst, np.random.default_rng(11))
    b = ransac_homography(src, dst, np.random.default_rng(11))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert all(np.array_equal(x, y) for x, y in zip(state[1:2], np.random.get_state()[1:2]))


def test_number_of_trials_formula():
    assert ransac_trials(0.5) == int(np.ceil(np.log(0.01) / np.log(1 - 0.5 ** 4)))   # 72
    assert ransac_trials(1.0) == 1
    assert ransac_trials(0.0) == 2 ** 31 - 1
    assert ransac_trials(0.6, 4, 0.999) > ransac_trials(0.6, 4, 0.99) > ransac_trials(0.8, 4, 0.99)


def test_exact_matches_without_outliers_give_the_dlt():
    src, dst, _ = _matches(6, outliers=0.0, noise=0.0)
    H, inliers = ransac_homography(src, dst, np.random.default_rng(0), 1.0)
    assert inliers.all()
    np.testing.assert_allclose(H, H_TRUE, atol=1e-8)


def test_bad_inputs_are_refused():
    src, dst, _ = _matches(7, n=10)
    with pytest.raises(ValueError, match="rng"):
        ransac_homography(src, dst, 0)
    with pytest.raises(ValueError, match="threshold"):
        ransac_homography(src, dst, np.random.default_rng(0), threshold=0.0)
    with pytest.raises(ValueError, match=">= 4"):
        ransac_homography(src[:3], dst[:3], np.random.default_rng(0))
    line = np.column_stack([np.arange(10.0), 2 * np.arange(10.0)])      # every sample is degenerate
    with pytest.raises(ValueError, match="no sample"):
        ransac_homography(line, dst, np.random.default_rng(0), max_trials=5)
