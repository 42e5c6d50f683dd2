"""Checks of Chapter 2's exercises on what comes after the detectors.

``ch02.isodata_threshold``, ``ch02.pyr_down``, ``ch02.connected_components``, ``ch02.estimate_similarity`` and
``ch02.ransac_homography``: each runs the student's function on real photographs and seeded random inputs;
the judgement compares with :mod:`coursekit.image.thresholds`, :mod:`coursekit.image.pyramids`,
:mod:`coursekit.image.components` and :mod:`coursekit.geometry` — for labels up to a renumbering, for RANSAC
by the quality of the fit, since the student's random samples differ from the reference's. Hints say how an
answer is off, never what it should be.
"""

from __future__ import annotations

import numbers

import numpy as np

from coursekit import geometry
from coursekit.data.images import load_image
from coursekit.grading import Case, Check, Seeded, compare, compare_arrays
from coursekit.image.components import connected_components
from coursekit.image.pyramids import pyr_down
from coursekit.image.thresholds import isodata_threshold

__all__ = ["CHECKS"]


def _mixture(rng: np.random.Generator, shape=(40, 50)) -> np.ndarray:
    """A uint8 image drawn from two or three clipped normals."""
    k = int(rng.integers(2, 4))
    centres, spreads = rng.uniform(20, 235, k), rng.uniform(4, 25, k)
    comp = rng.integers(0, k, shape)
    return np.clip(np.rint(rng.normal(centres[comp], spreads[comp])), 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------- ch02.isodata_threshold

def _isodata_cases(rng: np.random.Generator):
    """``isodata_threshold(image)`` → the first level t with t <= (mu_0 + mu_1) / 2 < t + 1."""
    for name in ("camera", "coins", "moon"):
        yield Case(f"{name} (uint8)", (load_image(name),))
    for i in range(3):
        yield Case(f"random two- or three-mode image #{i + 1} (40×50)", (_mixture(rng),))


def _isodata_judge(case: Case, got, expected) -> str:
    """Exact agreement with :func:`coursekit.image.thresholds.isodata_threshold`, with a hint on the rule."""
    if not isinstance(got, (numbers.Number, np.number)) or isinstance(got, bool) or got != np.round(got):
        return "return one whole grey level t (an int); the foreground is image > t."
    if int(got) == expected:
        return ""
    x = case.args[0].astype(np.float64)
    t = int(got)
    if not (x.min() <= t < x.max()):
        return "the threshold must lie between the darkest level and the brightest level minus one."
    mid = (x[x <= t].mean() + x[x > t].mean()) / 2.0
    if t <= mid < t + 1:
        return ("your level is a fixed point of t = (mu_0 + mu_1) / 2, but not the first one: scan the levels "
                "from the darkest up and return the first that satisfies t <= (mu_0 + mu_1) / 2 < t + 1.")
    return ("your level is not a fixed point: the class of the levels <= t and the class > t have means "
            "whose midpoint is not within [t, t + 1). Put the level t itself in the lower class.")


# ----------------------------------------------------------------------------- ch02.pyr_down

def _pyr_cases(rng: np.random.Generator):
    """``pyr_down(image)`` → the 5-tap binomial blur (border reflect-101), then the even rows and columns."""
    yield Case("camera (512×512 uint8)", (load_image("camera"),))
    yield Case("coins (303×384 uint8): odd and even sizes", (load_image("coins"),))
    yield Case("random 9×12 float image", (rng.random((9, 12)),))
    yield Case("random 10×7 float image", (rng.random((10, 7)),))
    yield Case("random 5×5 float image", (rng.random((5, 5)),))


def _pyr_judge(case: Case, got, expected) -> str:
    hint = compare_arrays(got, expected, atol=1e-9)
    if not hint or not isinstance(got, np.ndarray):
        return hint
    (image,) = case.args
    if got.shape != expected.shape:
        return hint + (" Hint: keep rows and columns 0, 2, 4, ... of the blurred image: the result has "
                       "ceil(H / 2) rows and ceil(W / 2) columns.")
    g = got.astype(np.float64) if got.dtype.kind in "biuf" else None
    if g is not None and np.allclose(g[1:-1, 1:-1], expected[1:-1, 1:-1], atol=1e-9):
        return hint + (" Hint: the inside is right; at the border reflect without repeating the edge pixel "
                       "(dcb|abcd, OpenCV's BORDER_REFLECT_101).")
    if g is not None and np.allclose(g, np.asarray(image, np.float64)[::2, ::2], atol=1e-9):
        return hint + " Hint: blur with [1, 4, 6, 4, 1] / 16 along both axes before you drop pixels."
    return hint + " Hint: the kernel is [1, 4, 6, 4, 1] / 16 down the columns and along the rows."


# ----------------------------------------------------------------------------- ch02.connected_components

def _cc_cases(rng: np.random.Generator):
    """``connected_components(mask)`` → (labels, n), 8-connectivity; judged up to a renumbering."""
    yield Case("coins > 107 (303×384)", (load_image("coins") > 107,))
    yield Case("camera (256×256) < 60", (load_image("camera", size=256) < 60,))
    yield Case("random mask 37×53, density 0.45", (rng.random((37, 53)) < 0.45,))
    yield Case("a diagonal line (joined only through corners)", (np.eye(12, dtype=bool),))
    yield Case("a U shape (two arms that meet at the bottom)",
               (np.array([[1, 0, 0, 1], [1, 0, 0, 1], [1, 1, 1, 1]], dtype=bool),))
    yield Case("an empty mask 6×7", (np.zeros((6, 7), dtype=bool),))


def _cc_judge(case: Case, got, expected) -> str:
    """The labels must partition the True pixels exactly as the reference does (any numbering 1..n)."""
    labels_ref, n_ref = expected
    (mask,) = case.args
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return "return a pair (labels, n): the (H, W) integer label image and the number of components."
    labels, n = got
    if not isinstance(labels, np.ndarray) or labels.shape != mask.shape or labels.dtype.kind not in "iu":
        return f"labels must be an integer array of the mask's shape {mask.shape}."
    if not isinstance(n, (numbers.Integral, np.integer)) or isinstance(n, bool):
        return "n must be an int, the number of components."
    if np.any((labels != 0) != mask):
        return "label 0 must mark exactly the background (False pixels), and every True pixel needs a label > 0."
    if int(n) != n_ref:
        more = int(n) > n_ref
        hint = f"you found {int(n)} components where there are {'fewer' if more else 'more'}"
        if more and int(n) == connected_components(mask, connectivity=1)[1]:
            return hint + ": you use 4-connectivity; diagonal neighbours belong together too (8-connectivity)."
        return hint + ". Two True pixels whose rows and columns differ by at most 1 belong together."
    if set(np.unique(labels[mask]).tolist()) != set(range(1, int(n) + 1)):
        return "number the components 1..n, each number used (0 is the background)."
    pairs = np.unique(np.stack([labels[mask], labels_ref[mask]]), axis=1)   # (2, k) label pairs that occur
    if pairs.shape[1] != n_ref:
        return ("your components do not match: some of your labels mix pixels of different components, "
                "or split one; check that a label spreads to every 8-neighbour and stops at the background.")
    return ""


# ----------------------------------------------------------------------------- ch02.estimate_similarity

def _similarity_cases(rng: np.random.Generator):
    """``estimate_similarity(src, dst)`` → the least-squares 3×3 similarity (Umeyama)."""
    def similarity(theta, s, t):
        return geometry.affine_matrix(theta=theta, scale=s, translation=t)

    src = rng.uniform(0, 512, (2, 2))
    yield Case("2 points, exact", (src, geometry.apply_homography(similarity(0.6, 1.7, (30, -10)), src)))
    src = rng.uniform(0, 512, (30, 2))
    M = similarity(rng.uniform(-3, 3), rng.uniform(0.5, 2.0), rng.uniform(-50, 50, 2))
    yield Case("30 points, 3 px noise", (src, geometry.apply_homography(M, src) + rng.normal(0, 3.0, (30, 2))))
    corners = np.array([[0.0, 0.0], [511.0, 0.0], [511.0, 511.0], [0.0, 511.0]])    # camera's corners
    yield Case("camera's corners, rotated by 170° and shrunk", (corners, geometry.apply_homography(
        similarity(np.deg2rad(170), 0.5, (400, 380)), corners) + rng.normal(0, 1.0, (4, 2))))
    src = rng.uniform(0, 100, (20, 2))
    yield Case("20 points and their mirror image (the answer is still a rotation)",
               (src, src * [-1.0, 1.0] + rng.normal(0, 0.5, (20, 2))))


def _similarity_judge(case: Case, got, expected) -> str:
    hint = compare(got, expected, atol=1e-6 * np.abs(expected).max())   # float64 rounding of one 2×2 SVD
    if not hint or not isinstance(got, np.ndarray) or got.shape != (3, 3) or got.dtype.kind not in "biuf":
        return hint
    A = got[:2, :2].astype(np.float64)
    if np.linalg.det(A) < 0:
        return hint + (" Hint: your matrix contains a reflection (negative determinant); use "
                       "S = diag(1, det(U) det(V)) in R = U S Vᵀ.")
    src, dst = case.args
    R = A / np.sqrt(abs(np.linalg.det(A))) if np.linalg.det(A) else A
    if np.allclose(R, expected[:2, :2] / np.sqrt(np.linalg.det(expected[:2, :2])), atol=1e-6):
        return hint + (" Hint: the rotation is right; check the scale s = tr(D S) / sigma_x² (sigma_x² is the "
                       "mean squared distance of the src points from their centroid) and t = mu_y − s R mu_x.")
    if np.allclose(R.T, expected[:2, :2] / np.sqrt(np.linalg.det(expected[:2, :2])), atol=1e-6):
        return hint + " Hint: your rotation is the inverse: Sigma = (1/N) sum (y − mu_y)(x − mu_x)ᵀ, dst first."
    return hint + " Hint: centre both point sets, take the SVD of their cross-covariance, R = U S Vᵀ."


# ----------------------------------------------------------------------------- ch02.ransac_homography

H_RANSAC = np.array([[0.9, 0.15, 20.0], [-0.1, 1.05, 10.0], [2e-4, 1e-4, 1.0]])


def _ransac_cases(rng: np.random.Generator):
    """``ransac_homography(src, dst, rng, threshold)`` → (H, inliers), judged against the true matches."""
    for n, wrong_frac in [(150, 0.3), (200, 0.5)]:
        src = rng.uniform(0, 512, (n, 2))
        dst = geometry.apply_homography(H_RANSAC, src) + rng.normal(0, 1.0, (n, 2))
        wrong = rng.random(n) < wrong_frac
        dst[wrong] = rng.uniform(0, 512, (int(wrong.sum()), 2))
        yield Case(f"{n} matches, {int(wrong.sum())} of them wrong, 1 px noise, threshold 3 px",
                   (src, dst, Seeded(int(rng.integers(1 << 30))), 3.0), context=~wrong)


def _ransac_reference(src, dst, rng, threshold):
    return geometry.ransac_homography(src, dst, rng, threshold)


def _ransac_judge(case: Case, got, expected) -> str:
    """Judge the fit, not the samples: the student's random draws differ from the reference's.

    Pass when (1) ``inliers`` is a bool mask that accepts no more than 2 % of the wrong matches and keeps at
    least 90 % of the right ones, and (2) the mean transfer error of ``H`` on the right matches is within
    0.25 px of the reference's (1 px noise gives about 1.25 px).
    """
    good = case.context
    src, dst = case.args[0], case.args[1]
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return "return a pair (H, inliers): the (3, 3) homography and the (N,) bool mask of inliers."
    H, inliers = got
    if not isinstance(H, np.ndarray) or H.shape != (3, 3) or H.dtype.kind not in "biuf" or not np.all(np.isfinite(H)):
        return "H must be a finite (3, 3) array."
    if not isinstance(inliers, np.ndarray) or inliers.shape != (len(src),) or inliers.dtype != bool:
        return f"inliers must be a bool array of shape ({len(src)},), True for the matches H agrees with."
    kept, accepted = inliers[good].mean(), inliers[~good].mean()
    if accepted > 0.02:
        return (f"your inliers include {100 * accepted:.0f} % of the wrong matches: count a match only when "
                "its transfer error ‖π(H x̃) − x'‖ is at most the threshold, for the best hypothesis.")
    if kept < 0.9:
        return (f"your inliers keep only {100 * kept:.0f} % of the right matches: draw enough samples "
                "(N = log(1 − p) / log(1 − w⁴)), keep the hypothesis with the most inliers, and refit on them.")
    def err(M: np.ndarray) -> float:                         # mean transfer error on the right matches, px
        return float(np.mean(np.linalg.norm(geometry.apply_homography(M, src[good]) - dst[good], axis=1)))

    with np.errstate(all="ignore"):
        ours, ref = err(H.astype(np.float64)), err(expected[0])
    if not np.isfinite(ours) or ours > ref + 0.25:
        return ("your H fits the right matches worse than a refit on all inliers would: after choosing the "
                "inliers, estimate H once more from all of them with the normalised DLT.")
    return ""


CHECKS = [
    Check("ch02.isodata_threshold", cases=_isodata_cases, reference=isodata_threshold, judge=_isodata_judge,
          forbidden=("skimage.filters.threshold_isodata",)),
    Check("ch02.pyr_down", cases=_pyr_cases, reference=pyr_down, judge=_pyr_judge,
          forbidden=("cv2.pyrDown", "skimage.transform.pyramid_reduce", "skimage.transform.pyramid_gaussian")),
    Check("ch02.connected_components", cases=_cc_cases, reference=connected_components, judge=_cc_judge,
          forbidden=("scipy.ndimage.label", "skimage.measure.label", "cv2.connectedComponents",
                     "scipy.sparse.csgraph.connected_components")),
    Check("ch02.estimate_similarity", cases=_similarity_cases, reference=geometry.estimate_similarity,
          judge=_similarity_judge,
          forbidden=("skimage.transform.SimilarityTransform", "skimage.transform.estimate_transform",
                     "cv2.estimateAffinePartial2D")),
    Check("ch02.ransac_homography", cases=_ransac_cases, reference=_ransac_reference, judge=_ransac_judge,
          implements=(geometry.ransac_homography,),
          forbidden=("cv2.findHomography", "skimage.measure.ransac")),
]
