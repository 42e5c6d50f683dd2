"""Checks of the Chapter 2 exercises on frequency and geometry.

``ch02.dct_matrix``, ``ch02.zigzag_indices``, ``ch02.estimate_homography`` and ``ch02.bilinear_sample``: each
runs the student's function on seeded random inputs and on real images; the judgement compares with
:mod:`coursekit.image.dct`, :mod:`coursekit.image.entropy` and :mod:`coursekit.geometry`. Hints say how an
answer is off, never what it should be.
"""

from __future__ import annotations

import numpy as np

from coursekit import geometry, grading
from coursekit.data import load_image
from coursekit.grading import Case, Check
from coursekit.image import dct, entropy, jpeg

__all__ = ["CHECKS"]


# ----------------------------------------------------------------------------- dct_matrix

def _dct_hint(C) -> str:
    """Diagnose a wrong 8×8 DCT matrix by its properties, without revealing entries."""
    if not isinstance(C, np.ndarray) or C.shape != (8, 8) or C.dtype.kind not in "biuf":
        return ""
    C = C.astype(np.float64)
    norms = np.linalg.norm(C, axis=1)
    if np.allclose(C.T, dct.dct_matrix(8), atol=1e-6):
        return "your matrix is the transpose: row k should hold frequency k, column x the sample."
    if not np.allclose(norms, 1.0, atol=1e-6):
        bad = [int(k) for k in np.flatnonzero(~np.isclose(norms, 1.0, atol=1e-6))]
        return (f"rows {bad} do not have unit length, so C is not orthonormal; check the factor "
                "alpha_k (it differs for k = 0).")
    return "the rows are unit length but the cosines are off; check the argument pi (2x + 1) k / (2n)."


def _dct_cases(rng: np.random.Generator):
    """``dct_matrix(n)`` → the (n, n) orthonormal DCT-II matrix."""
    for n in [8, 1, 2, 5, int(rng.integers(9, 17))]:
        yield Case(f"n = {n}", (n,))
    # Real image: the student's matrix used as C B C^T on 8×8 blocks of camera (applied by the judge).
    cam = load_image("camera", size=64).astype(np.float64) - 128.0  # (64, 64)
    blocks = cam.reshape(8, 8, 8, 8).transpose(0, 2, 1, 3)           # (8, 8, 8, 8)
    yield Case("DCT of camera's 8×8 blocks via C B Cᵀ", (8,), context=blocks)


def _dct_judge(case: Case, got, expected) -> str:
    if case.context is None:
        return grading.compare(got, expected, atol=1e-9)
    b = case.context
    if not isinstance(got, np.ndarray) or got.shape != (8, 8) or got.dtype.kind not in "biuf":
        return grading.compare(got, expected, atol=1e-9)
    C = got.astype(np.float64)
    return grading.compare(C @ b @ C.T, expected @ b @ expected.T, atol=1e-6)


def _dct_review(outcomes) -> None:
    if all(o.result.passed for o in outcomes):
        return
    eight = next((o for o in outcomes if o.case.args == (8,) and o.case.context is None), None)
    extra = _dct_hint(eight.got) if eight is not None else ""
    for o in outcomes:
        if not o.result.passed and extra and o.answer.kind == "returned":
            o.result.hint += " Hint: " + extra


# ----------------------------------------------------------------------------- zigzag_indices

_ZIGZAG_HINT = ("walk the anti-diagonals s = row + col in order; odd s goes down-left (row increasing), "
                "even s up-right (row decreasing); return integer (row, col) rows.")


def _zigzag_cases(rng: np.random.Generator):
    """``zigzag_indices(n)`` → (n*n, 2) (row, col) pairs in JPEG zigzag order."""
    for n in [8, 1, 2, 3, int(rng.integers(4, 13))]:
        yield Case(f"n = {n}", (n,))
    # Real image: read camera's quantised 8×8 blocks in the student's order (done by the judge).
    cam = load_image("camera", size=128).astype(np.float64) - 128.0  # (128, 128)
    q = jpeg.quantize_coefficients(dct.block_dct(cam), jpeg.quality_table(50))  # (16, 16, 8, 8)
    yield Case("zigzag scan of camera's quantised blocks (quality 50)", (8,), context=q)


def _zigzag_judge(case: Case, got, expected) -> str:
    if case.context is not None and isinstance(got, np.ndarray) and got.shape == (64, 2) \
            and got.dtype.kind in "iu" and got.min() >= 0 and got.max() <= 7:
        q = case.context
        hint = grading.compare(q[..., got[:, 0], got[:, 1]], q[..., expected[:, 0], expected[:, 1]], atol=0)
    else:
        hint = grading.compare(got, expected, atol=0)
    return hint + " Hint: " + _ZIGZAG_HINT if hint else ""


# ----------------------------------------------------------------------------- estimate_homography

#: Tolerances of the homography judgement, in pixels (see :func:`_homography_judge`).
EXACT_TOL_PX = 1e-6        # exact correspondences: reproduced to rounding error
AGREE_TOL_PX = 0.5         # noisy ones: a quarter of the 2 px noise between the two fits' predictions
RMS_TOL = 0.01             # noisy ones: reprojection RMS within 1 % of the normalised DLT's

_DLT_HINT = (" Hint: normalise both point sets (centroid to 0, mean or RMS distance √2), take the right "
             "singular vector of the smallest singular value, and undo the normalisation with "
             "H = T_dst⁻¹ H̃ T_src.")


def _homography_cases(rng: np.random.Generator):
    """``estimate_homography(src, dst)`` → (3, 3) H with dst ~ H src (normalised DLT), judged by what H does."""
    H_true = np.array([[0.9, 0.15, 20.0], [-0.1, 1.05, 10.0], [2e-4, 1e-4, 1.0]])
    H_true[:2, :2] += rng.normal(0, 0.05, size=(2, 2))
    for name in ("camera", "astronaut"):  # rectify the photo's corners onto a random quadrilateral
        h, w = load_image(name).shape[:2]
        corners = np.array([[0.0, 0.0], [w - 1.0, 0.0], [w - 1.0, h - 1.0], [0.0, h - 1.0]])
        quad = corners + rng.uniform(-60, 60, size=(4, 2))
        yield Case(f"{name}'s 4 corners → a quadrilateral (exact)", (corners, quad))
    src = rng.uniform(0, 640, size=(25, 2))
    yield Case("25 random points, noise-free", (src, geometry.apply_homography(H_true, src)))
    for n in (40, 60):
        src = rng.uniform(0, 640, size=(n, 2))
        noisy = geometry.apply_homography(H_true, src) + rng.normal(0, 2.0, size=(n, 2))
        yield Case(f"{n} random pixel-coordinate points with 2 px noise", (src, noisy))


def _homography_judge(case: Case, got, expected) -> str:
    """Judge an estimated homography by the quality of the estimate, not by one normalisation convention.

    ``H`` is defined up to scale (and sign), so it is compared through the points it maps, which do not
    depend on the scale:

    * exact correspondences: ``H`` must reproduce them, and agree with the reference's predictions over
      the points' bounding box, within ``EXACT_TOL_PX`` = 1e-6 px;
    * noisy correspondences (2 px): the reprojection RMS ``sqrt(mean ‖π(H x̃) − x'‖²)`` must be within
      ``RMS_TOL`` = 1 % of the normalised DLT's, and the two fits' predictions over the bounding box must
      agree within ``AGREE_TOL_PX`` = 0.5 px.

    Any Hartley-style normalisation (mean distance √2, RMS distance √2, ...) lands within 0.05 px of the
    reference; the DLT without normalisation is off by 5–15 px on these cases, with a larger RMS.
    """
    src, dst = case.args
    if not isinstance(got, np.ndarray) or got.shape != (3, 3) or got.dtype.kind not in "biuf":
        return grading.compare(got, expected, atol=1e-7)
    H = got.astype(np.float64)
    if not np.all(np.isfinite(H)) or not np.any(H):
        return "your H has non-finite entries or is all zeros; a homography needs a non-zero 3×3 matrix."
    lo, hi = src.min(axis=0), src.max(axis=0)
    grid = np.stack(np.meshgrid(np.linspace(lo[0], hi[0], 9), np.linspace(lo[1], hi[1], 9)), -1).reshape(-1, 2)
    def rms(M: np.ndarray) -> float:                       # reprojection RMS on the case's matches, px
        return float(np.sqrt(np.mean(np.sum((geometry.apply_homography(M, src) - dst) ** 2, axis=1))))

    with np.errstate(all="ignore"):
        gap = np.max(np.linalg.norm(geometry.apply_homography(H, grid)
                                    - geometry.apply_homography(expected, grid), axis=1))
        ours, ref = rms(H), rms(expected)
    if not np.isfinite(gap):
        return "your H sends some of the points to infinity (third homogeneous coordinate 0)." + _DLT_HINT
    exact = "noise" not in case.label or "noise-free" in case.label
    if exact:
        if ours > EXACT_TOL_PX or gap > EXACT_TOL_PX:
            return (f"your H does not reproduce exact correspondences: the points land up to {max(ours, gap):.2g} "
                    "px from where they should." + _DLT_HINT)
        return ""
    if ours > ref * (1 + RMS_TOL) or gap > AGREE_TOL_PX:
        return (f"your H fits the noisy points worse than the normalised DLT (reprojection RMS "
                f"{100 * (ours / ref - 1):+.0f} % of it; predictions up to {gap:.1f} px apart). Without "
                "Hartley's normalisation the columns of A differ by 10⁵ in size and noise is amplified."
                + _DLT_HINT)
    return ""


# ----------------------------------------------------------------------------- bilinear_sample

def _bilinear_cases(rng: np.random.Generator):
    """``bilinear_sample(image, x, y)`` → values at real positions, zeros outside the image."""
    img = rng.random((12, 17))
    inside = (rng.uniform(0, 16, 200), rng.uniform(0, 11, 200))
    border = (rng.uniform(-1.5, 17.5, 300), rng.uniform(-1.5, 12.5, 300))
    cam = load_image("camera", size=128).astype(np.float64)
    ast = load_image("astronaut", gray=False, size=64).astype(np.float64)
    cam_pts = (rng.uniform(0, 127, 500), rng.uniform(0, 127, 500))
    yield Case("random 12×17 image, points inside", (img, *inside))
    yield Case("random 12×17 image, integer points (must return the pixels)",
               (img, rng.integers(0, 17, 50).astype(float), rng.integers(0, 12, 50).astype(float)))
    yield Case("random image, points across the border (outside pixels are 0)", (img, *border))
    yield Case("camera 128×128, 500 points", (cam, *cam_pts))
    yield Case("astronaut 64×64 colour, a 2-D grid of points",
               (ast, *np.meshgrid(np.linspace(-0.5, 63.5, 40), np.linspace(0.25, 62.75, 30))))


CHECKS = [
    Check("ch02.dct_matrix", cases=_dct_cases, reference=dct.dct_matrix, judge=_dct_judge, review=_dct_review,
          forbidden=("scipy.fft.dct", "scipy.fftpack.dct", "cv2.dct")),
    Check("ch02.zigzag_indices", cases=_zigzag_cases, reference=entropy.zigzag_indices, judge=_zigzag_judge),
    Check("ch02.estimate_homography", cases=_homography_cases, reference=geometry.estimate_homography,
          judge=_homography_judge,
          forbidden=("cv2.findHomography", "cv2.getPerspectiveTransform", "skimage.transform.ProjectiveTransform",
                     "skimage.transform.estimate_transform")),
    Check("ch02.bilinear_sample", cases=_bilinear_cases, reference=geometry.bilinear_sample, atol=1e-9,
          hint="a = x − floor(x) weighs the right neighbour, b = y − floor(y) the lower one; image rows are y; "
               "a neighbour outside the image contributes 0; colour images keep their channel axis.",
          forbidden=("scipy.ndimage.map_coordinates", "cv2.remap", "scipy.interpolate.RegularGridInterpolator")),
]
