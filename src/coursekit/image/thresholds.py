"""More global thresholds from the histogram: multi-Otsu, ISODATA, Li's minimum cross-entropy, triangle.

Chapter 2 (Image processing), section "More thresholds". Otsu's threshold
(:func:`coursekit.image.intensity.otsu_threshold`) splits the histogram in two by the between-class
variance; the rules here split it into more classes, or choose the split by another criterion. Each is an
8-bit algorithm (CONTRIBUTING.md, "Conventions", rule 3): it takes a ``uint8`` image and works on its 256-bin
histogram, and the foreground of a threshold ``t`` is ``image > t``, as in scikit-image's
``threshold_multiotsu``, ``threshold_isodata``, ``threshold_li`` and ``threshold_triangle`` (the tests'
oracles), which for a uint8 image also use one bin per grey level between its darkest and brightest value.

References
----------
- P.-S. Liao, T.-S. Chen and P.-C. Chung, "A fast algorithm for multilevel thresholding", J. Inf. Sci.
  Eng. 17(5), 2001 (multi-Otsu).
- T. W. Ridler and S. Calvard, "Picture thresholding using an iterative selection method", IEEE Trans.
  SMC 8(8), 1978 (ISODATA).
- C. H. Li and P. K. S. Tam, "An iterative algorithm for minimum cross entropy thresholding", Pattern
  Recognition Letters 19(8), 1998.
- G. W. Zack, W. E. Rogers and S. A. Latt, "Automatic measurement of sister chromatid exchange
  frequency", J. Histochem. Cytochem. 25(7), 1977 (triangle).
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_int
from coursekit.image.intensity import histogram

__all__ = ["multi_otsu_thresholds", "isodata_threshold", "li_threshold", "triangle_threshold"]


def _levels_present(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The histogram trimmed to the image's range: ``(counts, levels)``, both ``(n,)``, ``n >= 1``."""
    h = histogram(image)                                   # (256,) validates: uint8 only
    lo, hi = np.flatnonzero(h)[[0, -1]]
    return h[lo:hi + 1].astype(np.float64), np.arange(lo, hi + 1)


def multi_otsu_thresholds(image: np.ndarray, classes: int = 3) -> np.ndarray:
    """Multi-Otsu: the ``classes - 1`` thresholds that maximise the between-class variance.

    Defined in :ref:`sec-more-thresholds` (Eq. :eq:`eq-multi-otsu`).

    Parameters
    ----------
    image : (H, W) ndarray of uint8
        An 8-bit image with at least ``classes`` distinct grey levels.
    classes : int
        Number of classes K, >= 2 (2 gives Otsu's threshold).

    Returns
    -------
    (K - 1,) ndarray of int64
        Increasing thresholds ``t_1 < ... < t_{K-1}``; class k holds the levels in ``(t_k, t_{k+1}]``
        (with ``t_0 = -1``, ``t_K = 255``), so a pixel's class is the number of thresholds it exceeds.

    Notes
    -----
    The between-class variance ``sum_k w_k (mu_k - mu_T)^2`` equals ``sum_k M_k^2 / w_k - mu_T^2``, with
    ``w_k`` the weight and ``M_k`` the first moment of class k: a sum of one term per class. So the best
    K-way split of the levels ``0..j-1`` is the best ``(K-1)``-way split of ``0..i-1`` plus the class
    ``i..j-1``, for the best ``i`` — dynamic programming over the cumulative sums, ``O(K L^2)`` for ``L``
    levels instead of the ``O(L^(K-1))`` combinations of an exhaustive search:

    1. ``P`` and ``S``: cumulative weights and first moments, with a leading 0.
    2. ``C[i, j] = (S[j] - S[i])^2 / (P[j] - P[i])``, the score of the class of levels ``i..j-1``.
    3. ``best_1[j] = C[0, j]``; ``best_k[j] = max_i best_{k-1}[i] + C[i, j]``, remembering the argmax.
    4. Walk the argmaxes back from ``best_K[L]``; a cut before level ``c`` is the threshold ``c - 1``.

    References
    ----------
    P.-S. Liao, T.-S. Chen and P.-C. Chung, "A fast algorithm for multilevel thresholding", J. Inf. Sci.
    Eng. 17(5), 2001.

    Examples
    --------
    >>> img = np.repeat(np.array([10, 12, 100, 104, 200, 201], dtype=np.uint8), 5)[None, :]
    >>> multi_otsu_thresholds(img, classes=3)
    array([ 12, 104])
    """
    counts, levels = _levels_present(image)                # (L,) the trimmed histogram
    K = check_int(classes, "classes", 2)
    if np.count_nonzero(counts) < K:
        raise ValueError(f"the image has only {np.count_nonzero(counts)} distinct levels, so it cannot be "
                         f"split into {K} classes; lower `classes`.")
    p = counts / counts.sum()
    L = p.size
    P = np.concatenate([[0.0], np.cumsum(p)])              # (L + 1,) 1. weight of levels < j
    S = np.concatenate([[0.0], np.cumsum(levels * p)])     # (L + 1,)    first moment of levels < j
    w = P[None, :] - P[:, None]                            # (L + 1, L + 1) weight of levels i..j-1
    with np.errstate(divide="ignore", invalid="ignore"):
        C = np.where(w > 1e-12, (S[None, :] - S[:, None]) ** 2 / w, 0.0)   # 2. class score, M^2 / w
    C[np.tril_indices(L + 1)] = -np.inf                    # a class holds at least one level: i < j
    best, back = C[0], []                                  # 3. best_1[j]: one class for levels < j
    for _ in range(K - 1):
        total = best[:, None] + C                          # (L + 1, L + 1) best_{k-1}[i] + C[i, j]
        back.append(np.argmax(total, axis=0))              # (L + 1,) the best last cut i for each j
        best = total[back[-1], np.arange(L + 1)]
    cuts, j = [], L                                        # 4. walk back from all L levels
    for arg in reversed(back):
        j = int(arg[j])
        cuts.append(j)
    return levels[np.array(cuts[::-1]) - 1].astype(np.int64)   # cut before c -> threshold at level c - 1


def isodata_threshold(image: np.ndarray) -> int:
    """ISODATA (Ridler and Calvard): the threshold halfway between the means of the two classes it makes.

    Defined in :ref:`sec-more-thresholds` (Eq. :eq:`eq-isodata`).

    Parameters
    ----------
    image : (H, W) ndarray of uint8
        An 8-bit image with at least two distinct grey levels.

    Returns
    -------
    int
        The smallest level ``t`` with ``t <= (mu_0(t) + mu_1(t)) / 2 < t + 1``, where ``mu_0`` is the mean
        of the levels ``<= t`` and ``mu_1`` that of the levels ``> t``; the foreground is ``image > t``.

    Notes
    -----
    Ridler and Calvard iterate ``t <- (mu_0(t) + mu_1(t)) / 2`` from a first guess until ``t`` stops
    moving. Cumulative sums give both means for every ``t`` at once, so instead of iterating we take the
    first level that is a fixed point (within one level), as ``skimage.filters.threshold_isodata`` does;
    one always exists, because the gap ``(mu_0 + mu_1) / 2 - t`` starts positive, ends below 1 and falls
    by at most 1 per level.

    References
    ----------
    T. W. Ridler and S. Calvard, "Picture thresholding using an iterative selection method", IEEE Trans.
    SMC 8(8), 1978.

    Examples
    --------
    >>> isodata_threshold(np.array([[10, 10, 20, 200, 210, 210]], dtype=np.uint8))
    110
    """
    counts, levels = _levels_present(image)                # (L,)
    if counts.size < 2:
        raise ValueError("the image has a single grey level; there is nothing to threshold.")
    n0 = np.cumsum(counts)[:-1]                            # (L - 1,) pixels <= t, for t below the top level
    s0 = np.cumsum(counts * levels)[:-1]                   # (L - 1,) their sum
    n1, s1 = counts.sum() - n0, (counts * levels).sum() - s0   # pixels > t and their sum (never empty)
    midpoint = (s0 / n0 + s1 / n1) / 2.0                   # (L - 1,) (mu_0(t) + mu_1(t)) / 2
    gap = midpoint - levels[:-1]
    return int(levels[:-1][(gap >= 0) & (gap < 1)][0])


def li_threshold(image: np.ndarray, tolerance: float = 0.5) -> float:
    """Li's minimum cross-entropy threshold, by the iteration of Li and Tam.

    Defined in :ref:`sec-more-thresholds` (Eq. :eq:`eq-li`).

    Parameters
    ----------
    image : (H, W) ndarray of uint8
        An 8-bit image.
    tolerance : float
        Stop when the threshold moves by at most this much, in grey levels (> 0; 0.5 as scikit-image).

    Returns
    -------
    float
        The threshold ``t`` (not necessarily a whole level); the foreground is ``image > t``.

    Notes
    -----
    Li chose ``t`` to minimise the cross-entropy between the image and its two-level version (each class
    replaced by its mean); setting the derivative to zero gives a fixed-point equation, which Li and Tam
    iterate:

    1. Shift the levels so the darkest is 0 (the logarithms need positive means); start at the mean.
    2. ``mu_b`` and ``mu_f``: means of the levels ``<= t`` and ``> t`` (histogram-weighted).
    3. ``t <- (mu_b - mu_f) / (ln mu_b - ln mu_f)``; stop when ``t`` moves by at most ``tolerance``, or
       when ``mu_b`` is 0 (only the darkest level is left below ``t``).

    These are the steps, start and tolerance of ``skimage.filters.threshold_li`` for integer images.

    References
    ----------
    C. H. Li and P. K. S. Tam, "An iterative algorithm for minimum cross entropy thresholding", Pattern
    Recognition Letters 19(8), 1998.

    Examples
    --------
    >>> t = li_threshold(np.array([[10, 10, 20, 200, 210, 210]], dtype=np.uint8))
    >>> 20 < t < 200
    True
    """
    counts, levels = _levels_present(image)                # (L,)
    tol = float(tolerance)
    if not tol > 0:
        raise ValueError(f"tolerance must be > 0 grey levels, got {tolerance!r}.")
    if counts.size == 1:
        return float(levels[0])
    x = (levels - levels[0]).astype(np.float64)            # 1. shifted levels, darkest = 0
    t_next, t = float(np.average(x, weights=counts)), -2.0 * tol
    while abs(t_next - t) > tol:
        t = t_next
        above = x > t
        mu_f = np.average(x[above], weights=counts[above])     # 2. foreground mean
        mu_b = np.average(x[~above], weights=counts[~above])   #    background mean
        if mu_b == 0:
            break
        t_next = (mu_b - mu_f) / (np.log(mu_b) - np.log(mu_f))  # 3. the fixed-point update
    return float(t_next + levels[0])


def triangle_threshold(image: np.ndarray) -> int:
    """The triangle threshold (Zack et al.): the level farthest below the line from the peak to the tail.

    Defined in :ref:`sec-more-thresholds` (Eq. :eq:`eq-triangle`).

    Parameters
    ----------
    image : (H, W) ndarray of uint8
        An 8-bit image.

    Returns
    -------
    int
        The threshold level; the foreground is ``image > t``.

    Notes
    -----
    Made for histograms with one dominant peak and a long, thin tail (a bright background and a few dark
    objects, or the reverse):

    1. Take the peak ``(b_p, h_p)`` and the end of the *longer* tail ``b_e`` (the darkest or the brightest
       level present); mirror the histogram so the tail lies to the left.
    2. Draw the line from ``(b_e, 0)`` to ``(b_p, h_p)``.
    3. Return the level between them whose bar top lies farthest below the line, i.e. maximises
       ``h_p (b - b_e) - (b_p - b_e) h(b)`` (the distance up to a constant factor).

    The steps of ``skimage.filters.threshold_triangle`` (and ImageJ's), without the constant.

    References
    ----------
    G. W. Zack, W. E. Rogers and S. A. Latt, "Automatic measurement of sister chromatid exchange
    frequency", J. Histochem. Cytochem. 25(7), 1977.

    Examples
    --------
    >>> tail = np.repeat(np.arange(40, 240, 10), 2)                 # a thin bright tail ...
    >>> img = np.concatenate([np.full(60, 30), tail, np.full(5, 240)]).astype(np.uint8)[None, :]
    >>> triangle_threshold(img)                                    # ... cut just above the dark peak
    31
    """
    counts, levels = _levels_present(image)                # (L,)
    if counts.size == 1:
        return int(levels[0])
    peak = int(np.argmax(counts))
    flip = peak < counts.size - 1 - peak                   # 1. the right tail is longer: mirror
    h = counts[::-1] if flip else counts
    p = counts.size - 1 - peak if flip else peak           # peak index, the tail end is index 0
    b = np.arange(p)                                       # (p,) levels from the tail end to the peak
    score = h[p] * b - p * h[:p]                           # 2.-3. distance below the line, unnormalised
    k = int(np.argmax(score))
    return int(levels[counts.size - 1 - k] if flip else levels[k])
