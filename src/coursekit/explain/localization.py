"""Scoring an explanation against where the evidence really is: the pointing game and the energy in the mask.

Chapter 18 (Explainability and fairness). On generated scenes the object's mask is known, so a saliency map
can be graded: does its peak fall on the object (Zhang et al.'s pointing game), and how much of its mass lies
there (the energy-based variant of Wang et al.)? A map that points well is not thereby faithful to the model:
the randomisation tests of :mod:`coursekit.explain.sanity` ask that other question.

References
----------
J. Zhang, Z. Lin, J. Brandt, X. Shen and S. Sclaroff, "Top-down neural attention by excitation backprop",
ECCV 2016 (the pointing game).
H. Wang et al., "Score-CAM: score-weighted visual explanations for convolutional neural networks",
CVPR workshops 2020 (energy-based pointing game).
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array

__all__ = ["map_peaks", "pointing_game", "energy_in_mask"]


def _maps_and_masks(maps, masks):
    M = check_array(np.asarray(maps, dtype=np.float64), "maps", ndim=3)
    K = np.asarray(masks)
    if K.shape != M.shape or K.dtype != bool:
        raise ValueError(f"masks must be a bool array of the maps' shape {M.shape}, got {K.dtype} {K.shape}.")
    if not K.reshape(len(K), -1).any(axis=1).all():
        raise ValueError("every mask must contain at least one pixel.")
    return M, K


def map_peaks(maps) -> np.ndarray:
    """Where each map is largest, as (x, y) = (column, row); the first in raster order on a tie.

    Defined in :ref:`sec-xai-pointing`.

    Parameters
    ----------
    maps : (B, H, W) array_like

    Returns
    -------
    (B, 2) ndarray of int64, (x, y) = (column, row)

    Examples
    --------
    >>> map_peaks(np.array([[[0.0, 1.0], [3.0, 2.0]]])).tolist()
    [[0, 1]]
    """
    M = check_array(np.asarray(maps, dtype=np.float64), "maps", ndim=3)
    flat = M.reshape(len(M), -1).argmax(axis=1)                     # (B,) raster index
    rows, cols = np.divmod(flat, M.shape[2])
    return np.stack([cols, rows], axis=1).astype(np.int64)


def pointing_game(maps, masks, tolerance: float = 0.0) -> np.ndarray:
    """A hit when the map's peak lies on the object, or within ``tolerance`` pixels of it.

    Defined in :ref:`sec-xai-pointing` (Eq. :eq:`eq-xai-pointing`).

    Parameters
    ----------
    maps : (B, H, W) array_like
        Explanations, larger = more important (take the absolute value of a signed map first).
    masks : (B, H, W) ndarray of bool
        The object's pixels; none empty.
    tolerance : float
        Distance in pixels from the peak to the nearest mask pixel that still counts as a hit (Zhang et al.
        use 15 px on full-size images).

    Returns
    -------
    (B,) ndarray of bool
        The pointing accuracy is its mean. A constant map peaks at pixel (0, 0): score the baseline too.

    Notes
    -----
    1. Find each map's peak p (:func:`map_peaks`).
    2. Hit if min over mask pixels q of ‖p − q‖ ≤ tolerance.

    Examples
    --------
    >>> maps = np.zeros((2, 4, 4)); maps[0, 1, 1] = maps[1, 3, 3] = 1
    >>> masks = np.zeros((2, 4, 4), bool); masks[:, :2, :2] = True
    >>> pointing_game(maps, masks).tolist(), pointing_game(maps, masks, tolerance=2.9).tolist()
    ([True, False], [True, True])
    """
    M, K = _maps_and_masks(maps, masks)
    if not tolerance >= 0:
        raise ValueError(f"tolerance must be >= 0 pixels, got {tolerance!r}.")
    peaks = map_peaks(M)                                            # (B, 2) (x, y)
    hits = np.empty(len(M), dtype=bool)
    for b in range(len(M)):
        rows, cols = np.nonzero(K[b])                               # the object's pixels
        d2 = (cols - peaks[b, 0]) ** 2 + (rows - peaks[b, 1]) ** 2
        hits[b] = d2.min() <= tolerance ** 2
    return hits


def energy_in_mask(maps, masks) -> np.ndarray:
    """The share of a map's positive mass that lies on the object: Σ_mask M⁺ / Σ M⁺.

    Defined in :ref:`sec-xai-pointing` (Eq. :eq:`eq-xai-energy`).

    Parameters
    ----------
    maps : (B, H, W) array_like
    masks : (B, H, W) ndarray of bool

    Returns
    -------
    (B,) ndarray of float64
        In [0, 1]; a uniform map scores the mask's area fraction. NaN for a map with no positive value.

    Examples
    --------
    >>> maps = np.array([[[1.0, 3.0], [-2.0, 0.0]]])
    >>> energy_in_mask(maps, np.array([[[False, True], [True, True]]])).tolist()
    [0.75]
    """
    M, K = _maps_and_masks(maps, masks)
    P = np.maximum(M, 0.0)                                          # (B, H, W) positive part
    total = P.sum(axis=(1, 2))
    inside = (P * K).sum(axis=(1, 2))
    return np.divide(inside, total, out=np.full(len(M), np.nan), where=total > 0)
