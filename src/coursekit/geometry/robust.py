"""RANSAC: fitting a homography to matches of which many are wrong.

Chapter 2 (Image processing), section "RANSAC". Least squares lets every match pull on the answer, so one
wrong match far away can ruin it. RANSAC (Fischler and Bolles) instead fits the normalised DLT
(:func:`coursekit.geometry.transforms.estimate_homography`) to random minimal samples of four matches,
keeps the hypothesis that most matches agree with, and refits on those *inliers* alone.

Conventions (CONTRIBUTING.md): points are ``(N, 2)`` arrays of ``(x, y)`` = (column, row); ``H`` maps ``src``
to ``dst``; randomness comes only from the ``rng`` argument. ``cv2.findHomography(src, dst, cv2.RANSAC,
threshold)`` is the tests' oracle (same inlier rule: the transfer error ``‖H x - x'‖`` at most
``threshold`` pixels); OpenCV also polishes the final fit by Levenberg–Marquardt, where this refits by DLT.

References
----------
- M. A. Fischler and R. C. Bolles, "Random sample consensus: a paradigm for model fitting with
  applications to image analysis and automated cartography", Comm. ACM 24(6), 1981.
- R. Hartley and A. Zisserman, *Multiple View Geometry in Computer Vision*, 2nd ed. (2004), Alg. 4.4
  (adaptive number of samples) and Alg. 4.6 (RANSAC for a homography).
"""

from __future__ import annotations

import math

import numpy as np

from coursekit.core.validation import check_array, check_fraction, check_int, check_positive, check_rng, check_shape
from coursekit.geometry.transforms import apply_homography, estimate_homography

__all__ = ["transfer_error", "ransac_trials", "ransac_homography"]


def transfer_error(H: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The distance, in pixels, between each ``dst`` point and where ``H`` sends its ``src`` point.

    Defined in :ref:`sec-ransac` (Eq. :eq:`eq-ransac-inliers`).

    Parameters
    ----------
    H : (3, 3) ndarray
        The homography, ``src`` → ``dst``.
    src, dst : (N, 2) ndarray
        Matched points ``(x, y)`` = (column, row).

    Returns
    -------
    (N,) ndarray of float64
        ``‖π(H x̃_i) − x'_i‖``; ``inf`` where ``H`` sends a point to infinity.

    Notes
    -----
    The one-way error in the destination image, the quantity ``cv2.findHomography``'s RANSAC compares with
    its ``ransacReprojThreshold`` (Hartley and Zisserman also use the symmetric and the Sampson errors).

    Examples
    --------
    >>> transfer_error(np.eye(3), np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([[3.0, 4.0], [1.0, 1.0]]))
    array([5., 0.])
    """
    err = np.linalg.norm(apply_homography(H, src) - dst, axis=1)          # (N,)
    return np.where(np.isfinite(err), err, np.inf)


def ransac_trials(inlier_ratio: float, sample_size: int = 4, confidence: float = 0.99) -> int:
    """How many random samples make it ``confidence`` likely that one of them is all inliers.

    Defined in :ref:`sec-ransac` (Eq. :eq:`eq-ransac-trials`).

    Parameters
    ----------
    inlier_ratio : float
        ``w``, the fraction of matches that are right, in [0, 1].
    sample_size : int
        ``m``, matches per sample (4 for a homography).
    confidence : float
        ``p``, in [0, 1).

    Returns
    -------
    int
        ``ceil(log(1 - p) / log(1 - w^m))``: a sample is clean with probability ``w^m``, so ``k``
        samples all miss with probability ``(1 - w^m)^k``; 1 when ``w = 1`` and a very large number
        (``2**31 - 1``) when ``w^m`` is 0.

    Notes
    -----
    The count grows fast with the outlier ratio and the sample size: at w = 0.5 a homography (m = 4) needs
    72 samples for p = 0.99, a fundamental matrix from 8 points 1177. That is why RANSAC fits *minimal*
    samples.

    References
    ----------
    R. Hartley and A. Zisserman, *Multiple View Geometry in Computer Vision*, 2nd ed., Alg. 4.5.

    Examples
    --------
    >>> ransac_trials(0.5), ransac_trials(0.8), ransac_trials(0.5, confidence=0.999)
    (72, 9, 108)
    """
    w = check_fraction(inlier_ratio, "inlier_ratio")
    m = check_int(sample_size, "sample_size", 1)
    p = check_fraction(confidence, "confidence", 0.0, 1.0 - 1e-12)
    clean = w ** m                                         # one sample is all inliers
    if clean >= 1.0:
        return 1
    if clean <= 0.0:
        return 2 ** 31 - 1
    return max(1, math.ceil(math.log(1.0 - p) / math.log(1.0 - clean)))


def ransac_homography(src: np.ndarray, dst: np.ndarray, rng: np.random.Generator, threshold: float = 3.0, *,
                      max_trials: int = 2000, confidence: float = 0.99) -> tuple[np.ndarray, np.ndarray]:
    """RANSAC around the normalised DLT: the homography most matches agree with, and those matches.

    Defined in :ref:`sec-ransac` (Eqs. :eq:`eq-ransac-inliers` and :eq:`eq-ransac-trials`).

    Parameters
    ----------
    src, dst : (N, 2) ndarray
        Matched points ``(x, y)`` = (column, row), N >= 4; any real dtype.
    rng : np.random.Generator
        Draws the samples (the only randomness).
    threshold : float
        A match is an inlier when its transfer error is at most this many pixels (> 0).
    max_trials : int
        Upper bound on the number of samples, >= 1.
    confidence : float
        Stop once ``ransac_trials(w, 4, confidence)`` samples have been drawn, ``w`` being the best
        inlier ratio so far (Hartley and Zisserman's adaptive rule).

    Returns
    -------
    H : (3, 3) ndarray of float64
        The DLT refit on the inliers of the best sample, scaled so that ``H[2, 2] == 1``.
    inliers : (N,) ndarray of bool
        The matches within ``threshold`` of that refit.

    Notes
    -----
    1. Draw 4 distinct matches and fit ``H_k`` to them by the normalised DLT (skip a degenerate sample).
    2. Its inliers: matches with ``‖π(H_k x̃_i) − x'_i‖ <= threshold``. Keep the largest set seen.
    3. Update the number of samples needed from the best inlier ratio; stop when it is reached.
    4. Refit by DLT on the best inliers, and recount them.

    References
    ----------
    M. A. Fischler and R. C. Bolles, "Random sample consensus", Comm. ACM 24(6), 1981; Hartley and
    Zisserman, *Multiple View Geometry*, 2nd ed., Alg. 4.4.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> src = rng.uniform(0, 100, (30, 2))
    >>> dst = src + [5.0, -3.0]
    >>> dst[:6] = rng.uniform(0, 100, (6, 2))             # 6 wrong matches of 30
    >>> H, inliers = ransac_homography(src, dst, rng)
    >>> int(inliers.sum()), np.round(H[:2, 2], 6) + 0.0
    (24, array([ 5., -3.]))
    """
    for name, pts in (("src", src), ("dst", dst)):
        check_array(pts, name, ndim=2, dtype_kind="biuf")
        check_shape(pts, "N 2", name)
    if src.shape != dst.shape or len(src) < 4:
        raise ValueError(f"src and dst must hold the same number (>= 4) of matched (x, y) points, got "
                         f"{src.shape} and {dst.shape}.")
    rng = check_rng(rng)
    threshold = check_positive(threshold, "threshold")
    max_trials = check_int(max_trials, "max_trials", 1)
    src, dst = src.astype(np.float64), dst.astype(np.float64)
    N = len(src)
    best = np.zeros(N, dtype=bool)
    needed, trial = max_trials, 0
    while trial < min(needed, max_trials):
        trial += 1
        sample = rng.choice(N, size=4, replace=False)                     # 1. a minimal sample
        try:
            H_k = estimate_homography(src[sample], dst[sample])
        except ValueError:                                                #    three of the four collinear
            continue
        inliers = transfer_error(H_k, src, dst) <= threshold              # 2. who agrees with it
        if inliers.sum() > best.sum():
            best = inliers
            needed = ransac_trials(best.mean(), 4, confidence)            # 3. adaptive stopping
    if best.sum() < 4:
        raise ValueError("no sample of 4 matches could be fitted (all degenerate, e.g. collinear points); "
                         "check the matches or raise max_trials.")
    H = estimate_homography(src[best], dst[best])                         # 4. refit on all inliers
    return H, transfer_error(H, src, dst) <= threshold
