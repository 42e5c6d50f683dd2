"""The checks of Chapter 2's exercises after the detectors: the reference (and other correct answers)
earn full points, typical mistakes fail with a hint that names them, a stub is "not done"."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from coursekit import geometry, grading
from coursekit.image.components import connected_components
from coursekit.image.pyramids import pyr_down
from coursekit.image.thresholds import isodata_threshold

REFERENCES = {
    "ch02.isodata_threshold": isodata_threshold,
    "ch02.pyr_down": pyr_down,
    "ch02.connected_components": connected_components,
    "ch02.estimate_similarity": geometry.estimate_similarity,
    "ch02.ransac_homography": lambda src, dst, rng, t: geometry.ransac_homography(src, dst, rng, t),
}


@pytest.mark.parametrize("eid", list(REFERENCES))
def test_reference_earns_full_points(eid):
    result = grading.run_check(eid, REFERENCES[eid], points=3)
    assert result.passed and result.points == 3, result.report()
    assert len(result.cases) >= 2


@pytest.mark.parametrize("eid", list(REFERENCES))
def test_stub_is_reported_as_not_done(eid):
    def stub(*args, **kwargs):
        raise NotImplementedError("Exercise: replace this line with your code.")

    assert grading.run_check(eid, stub, points=2).status == "not-done"


def test_connected_components_are_judged_up_to_a_renumbering():
    def scipy_then_shuffled(mask):                       # a correct partition, numbered in another order
        labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
        perm = np.concatenate([[0], np.random.default_rng(0).permutation(n) + 1])
        return perm[labels], n

    assert grading.run_check("ch02.connected_components", scipy_then_shuffled, points=3).passed


def test_four_connected_components_get_the_connectivity_hint():
    result = grading.run_check("ch02.connected_components",
                               lambda m: ndimage.label(m), points=3)          # scipy's default: 4-connectivity
    assert not result.passed
    assert any("8-connectivity" in c.hint for c in result.cases if not c.passed), result.report()


def test_isodata_returning_a_later_fixed_point_is_told_to_take_the_first():
    def last_fixed_point(image):
        x = image.astype(float)
        found = [t for t in range(int(x.min()), int(x.max()))
                 if t <= (x[x <= t].mean() + x[x > t].mean()) / 2 < t + 1]
        return found[-1]

    result = grading.run_check("ch02.isodata_threshold", last_fixed_point, points=2)
    failed = [c for c in result.cases if not c.passed]
    assert failed and all("first" in c.hint for c in failed)   # it passes where the fixed point is unique


def test_pyr_down_without_blur_gets_the_blur_hint():
    result = grading.run_check("ch02.pyr_down", lambda im: np.asarray(im, float)[::2, ::2], points=2)
    assert not result.passed and all("blur" in c.hint for c in result.cases if not c.passed)


def test_similarity_that_allows_a_reflection_is_named():
    def procrustes_with_reflection(src, dst):
        mx, my = src.mean(0), dst.mean(0)
        U, D, Vt = np.linalg.svd((dst - my).T @ (src - mx) / len(src))
        R = U @ Vt                                        # no det correction
        s = D.sum() / np.mean(np.sum((src - mx) ** 2, 1))
        M = np.eye(3)
        M[:2, :2], M[:2, 2] = s * R, my - s * R @ mx
        return M

    result = grading.run_check("ch02.estimate_similarity", procrustes_with_reflection, points=3)
    assert not result.passed and any("reflection" in c.hint for c in result.cases if not c.passed)


def test_ransac_is_judged_by_the_fit_not_the_random_samples():
    # another correct RANSAC (other draws, OpenCV's own): full points; a least-squares fit: 0
    import cv2

    def opencv(src, dst, rng, t):
        H, mask = cv2.findHomography(src, dst, cv2.RANSAC, t)
        return H, mask.ravel().astype(bool)

    assert grading.run_check("ch02.ransac_homography", opencv, points=4).passed

    def least_squares(src, dst, rng, t):
        H = geometry.estimate_homography(src, dst)
        return H, geometry.transfer_error(H, src, dst) <= t

    result = grading.run_check("ch02.ransac_homography", least_squares, points=4)
    assert not result.passed and result.points == 0


def test_ransac_without_the_final_refit_is_caught():
    def no_refit(src, dst, rng, t):
        best, best_H = None, None
        for _ in range(300):
            s = rng.choice(len(src), 4, replace=False)
            try:
                H = geometry.estimate_homography(src[s], dst[s])
            except ValueError:
                continue
            inl = geometry.transfer_error(H, src, dst) <= t
            if best is None or inl.sum() > best.sum():
                best, best_H = inl, H
        return best_H, best

    result = grading.run_check("ch02.ransac_homography", no_refit, points=4)
    # a minimal-sample H carries the noise of 4 matches: its error on the right matches is clearly larger
    assert not result.passed and any("refit" in c.hint or "keep only" in c.hint for c in result.cases)
