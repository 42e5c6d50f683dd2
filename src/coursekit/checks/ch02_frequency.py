"""Checks of the Chapter 2 exercises on frequency and geometry.

``ch02.dct_matrix``, ``ch02.zigzag_indices``, ``ch02.estimate_homography`` and
``ch02.bilinear_sample``: each runs the student's function on seeded random inputs
and on real images and compares it with :mod:`coursekit.image.fourier`,
:mod:`coursekit.image.jpeg` and :mod:`coursekit.geometry`. Hints say how an answer is
off, never what it should be.
"""

from __future__ import annotations

import numpy as np

from coursekit import geometry
from coursekit.image import jpeg
from coursekit.image import dct
from coursekit.image import entropy
from coursekit.data import load_image
from coursekit.grading import CaseResult, compare_cases

__all__ = ["check_dct_matrix", "check_zigzag_indices", "check_estimate_homography", "check_bilinear_sample"]


def _first_failure(results: list[CaseResult]) -> CaseResult | None:
    return next((r for r in results if not r.passed), None)


# ----------------------------------------------------------------------------- dct_matrix


def _dct_hint(student) -> str:
    """Diagnose a wrong DCT matrix by its properties, without revealing entries."""
    try:
        C = np.asarray(student(8), dtype=np.float64)
    except Exception:  # the per-case messages already say what was raised
        return ""
    if C.shape != (8, 8):
        return ""
    norms = np.linalg.norm(C, axis=1)
    if np.allclose(C.T, dct.dct_matrix(8), atol=1e-6):
        return "your matrix is the transpose: row k should hold frequency k, column x the sample."
    if not np.allclose(norms, 1.0, atol=1e-6):
        bad = [int(k) for k in np.flatnonzero(~np.isclose(norms, 1.0, atol=1e-6))]
        return (f"rows {bad} do not have unit length, so C is not orthonormal; check the factor "
                "alpha_k (it differs for k = 0).")
    return "the rows are unit length but the cosines are off; check the argument pi (2x + 1) k / (2n)."


def check_dct_matrix(student, rng: np.random.Generator) -> list[CaseResult]:
    """``dct_matrix(n)`` → the (n, n) orthonormal DCT-II matrix."""
    sizes = [8, 1, 2, 5, int(rng.integers(9, 17))]
    cases = [(f"n = {n}", (n,), {}) for n in sizes]
    results = compare_cases(student, dct.dct_matrix, cases, atol=1e-9)

    # Real image: the student's matrix used as C B C^T on 8×8 blocks of camera.
    cam = load_image("camera", size=64).astype(np.float64) - 128.0  # (64, 64)
    blocks = cam.reshape(8, 8, 8, 8).transpose(0, 2, 1, 3)  # (8, 8, 8, 8)

    def coeffs_of(fn):
        def run(b):
            C = np.asarray(fn(8), dtype=np.float64)
            return C @ b @ C.T if C.shape == (8, 8) else C
        return run

    results += compare_cases(coeffs_of(student), coeffs_of(dct.dct_matrix),
                             [("DCT of camera's 8×8 blocks via C B Cᵀ", (blocks,), {})], atol=1e-6)
    if _first_failure(results) and not any(r.hint == "__not_done__" for r in results):
        extra = _dct_hint(student)
        for r in results:
            if not r.passed and extra and "raised" not in r.hint:
                r.hint += " Hint: " + extra
    return results


# ----------------------------------------------------------------------------- zigzag_indices


def check_zigzag_indices(student, rng: np.random.Generator) -> list[CaseResult]:
    """``zigzag_indices(n)`` → (n*n, 2) (row, col) pairs in JPEG zigzag order."""
    sizes = [8, 1, 2, 3, int(rng.integers(4, 13))]
    cases = [(f"n = {n}", (n,), {}) for n in sizes]
    hint = ("walk the anti-diagonals s = row + col in order; odd s goes down-left (row increasing), "
            "even s up-right (row decreasing); return integer (row, col) rows.")
    results = compare_cases(student, entropy.zigzag_indices, cases, atol=0, hint=hint)

    # Real image: read camera's quantised 8×8 blocks in the student's order.
    cam = load_image("camera", size=128).astype(np.float64) - 128.0  # (128, 128)
    q = jpeg.quantize_coefficients(dct.block_dct(cam), jpeg.quality_table(50))  # (16, 16, 8, 8)

    def scan_with(fn):
        def run(blocks):
            rc = np.asarray(fn(8))
            if rc.shape != (64, 2) or rc.dtype.kind not in "iu":
                return rc
            return blocks[..., rc[:, 0], rc[:, 1]]  # (16, 16, 64)
        return run

    results += compare_cases(scan_with(student), scan_with(entropy.zigzag_indices),
                             [("zigzag scan of camera's quantised blocks (quality 50)", (q,), {})],
                             atol=0, hint=hint)
    return results


# ----------------------------------------------------------------------------- estimate_homography


def _up_to_scale(fn):
    """Wrap a homography estimator so that its output is scaled to unit norm with H[2, 2] >= 0."""
    def run(src, dst):
        H = fn(src, dst)
        arr = np.asarray(H, dtype=np.float64) if isinstance(H, np.ndarray) else H
        if not isinstance(arr, np.ndarray) or arr.shape != (3, 3) or not np.all(np.isfinite(arr)):
            return arr
        norm = np.linalg.norm(arr)
        if norm == 0:
            return arr
        return arr / norm * (1.0 if arr[2, 2] >= 0 else -1.0)
    return run


def check_estimate_homography(student, rng: np.random.Generator) -> list[CaseResult]:
    """``estimate_homography(src, dst)`` → (3, 3) H with dst ~ H src (normalised DLT), compared up to scale."""
    H_true = np.array([[0.9, 0.15, 20.0], [-0.1, 1.05, 10.0], [2e-4, 1e-4, 1.0]])
    H_true[:2, :2] += rng.normal(0, 0.05, size=(2, 2))
    cases = []
    for name in ("camera", "astronaut"):  # rectify the photo's corners onto a random quadrilateral
        h, w = load_image(name).shape[:2]
        corners = np.array([[0.0, 0.0], [w - 1.0, 0.0], [w - 1.0, h - 1.0], [0.0, h - 1.0]])
        quad = corners + rng.uniform(-60, 60, size=(4, 2))
        cases.append((f"{name}'s 4 corners → a quadrilateral (exact)", (corners, quad), {}))
    src = rng.uniform(0, 640, size=(25, 2))
    cases.append(("25 random points, noise-free", (src, geometry.apply_homography(H_true, src)), {}))
    src = rng.uniform(0, 640, size=(40, 2))
    noisy = geometry.apply_homography(H_true, src) + rng.normal(0, 2.0, size=(40, 2))
    cases.append(("40 random pixel-coordinate points with 2 px noise", (src, noisy), {}))
    hint = ("compared up to scale. Exact correspondences must be reproduced; on noisy ones the "
            "normalised DLT's answer is expected: normalise both point sets (centroid to 0, mean "
            "distance √2), take the right singular vector of the smallest singular value, and undo "
            "the normalisation with H = T_dst⁻¹ H̃ T_src.")
    return compare_cases(_up_to_scale(student), _up_to_scale(geometry.estimate_homography), cases,
                         atol=1e-7, hint=hint)


# ----------------------------------------------------------------------------- bilinear_sample


def check_bilinear_sample(student, rng: np.random.Generator) -> list[CaseResult]:
    """``bilinear_sample(image, x, y)`` → values at real positions, zeros outside the image."""
    img = rng.random((12, 17))
    inside = (rng.uniform(0, 16, 200), rng.uniform(0, 11, 200))
    border = (rng.uniform(-1.5, 17.5, 300), rng.uniform(-1.5, 12.5, 300))
    cam = load_image("camera", size=128).astype(np.float64)
    ast = load_image("astronaut", gray=False, size=64).astype(np.float64)
    cam_pts = (rng.uniform(0, 127, 500), rng.uniform(0, 127, 500))
    cases = [
        ("random 12×17 image, points inside", (img, *inside), {}),
        ("random 12×17 image, integer points (must return the pixels)",
         (img, rng.integers(0, 17, 50).astype(float), rng.integers(0, 12, 50).astype(float)), {}),
        ("random image, points across the border (outside pixels are 0)", (img, *border), {}),
        ("camera 128×128, 500 points", (cam, *cam_pts), {}),
        ("astronaut 64×64 colour, a 2-D grid of points",
         (ast, *np.meshgrid(np.linspace(-0.5, 63.5, 40), np.linspace(0.25, 62.75, 30))), {}),
    ]
    hint = ("a = x − floor(x) weighs the right neighbour, b = y − floor(y) the lower one; image rows "
            "are y; a neighbour outside the image contributes 0; colour images keep their channel axis.")
    return compare_cases(student, geometry.bilinear_sample, cases, atol=1e-9, hint=hint)


# The coursekit function each exercise re-implements: the grader gives 0 to a student's function that
# calls it ("used the reference implementation"). Exercise id -> dotted name (or a tuple of names).
REFERENCES = {
    "ch02.dct_matrix": "coursekit.image.dct.dct_matrix",
    "ch02.zigzag_indices": "coursekit.image.entropy.zigzag_indices",
    "ch02.estimate_homography": "coursekit.geometry.transforms.estimate_homography",
    "ch02.bilinear_sample": "coursekit.geometry.warp.bilinear_sample",
}
