"""Keypoint metrics: PCK@α, COCO's object keypoint similarity (OKS), and the limb accuracy of a grouping.

Chapter 7 (Pose estimation) defines them and uses them to score its heatmap model and its part-affinity-field
grouping. Keypoints are ``(x, y)`` = (column, row) in pixels, as everywhere in coursekit.

**OKS constants for the 13-keypoint stick figures.** COCO annotates 17 keypoints and gives each a constant
σ_i, the spread of human annotators' clicks around the true point relative to the person's scale, measured by
the COCO team on images annotated more than once: ``COCO_KEYPOINT_SIGMAS`` below, as in
``pycocotools.cocoeval.Params``. The stick
figures of :mod:`coursekit.data.figures` keep 13 of those keypoints (COCO's order without eyes and ears), so
:data:`STICK_FIGURE_SIGMAS` are COCO's values for those 13, unchanged: nose 0.026, shoulders 0.079, elbows
0.072, wrists 0.062, hips 0.107, knees 0.087, ankles 0.089. We keep COCO's numbers rather than invent new ones
because they make an OKS here mean what it means in every COCO paper; the price is that they describe human
annotators, not our exact synthetic labels.

References
----------
T.-Y. Lin et al., "Microsoft COCO: Common Objects in Context", ECCV 2014; the keypoint evaluation page of
cocodataset.org (OKS).
M. R. Ronchi and P. Perona, "Benchmarking and Error Diagnosis in Multi-Instance Pose Estimation", ICCV 2017.
Y. Yang and D. Ramanan, "Articulated Human Detection with Flexible Mixtures of Parts", TPAMI 2013 (PCK).
M. Andriluka et al., "2D Human Pose Estimation: New Benchmark and State of the Art Analysis", CVPR 2014 (PCKh).
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array, check_positive

__all__ = ["COCO_KEYPOINT_SIGMAS", "STICK_FIGURE_SIGMAS", "pck", "oks", "limb_accuracy"]

#: COCO's per-keypoint constants σ_i for its 17 keypoints (nose, eyes, ears, shoulders, elbows, wrists, hips,
#: knees, ankles; left before right), exactly as in ``pycocotools``.
COCO_KEYPOINT_SIGMAS = np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62,
                                 1.07, 1.07, .87, .87, .89, .89]) / 10.0
#: COCO's σ_i for the 13 keypoints of the stick figures (COCO's list without eyes and ears).
STICK_FIGURE_SIGMAS = COCO_KEYPOINT_SIGMAS[[0, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]]


def _points(x, name: str, allow_nan: bool = False) -> np.ndarray:
    """``x`` as a (P, K, 2) float64 array; a single person (K, 2) becomes (1, K, 2). NaN marks a missing
    keypoint where ``allow_nan``; infinities are always refused."""
    x = np.asarray(x) if not isinstance(x, np.ndarray) else x
    checked = np.nan_to_num(x, nan=0.0, posinf=np.inf, neginf=-np.inf) if allow_nan and x.dtype.kind == "f" else x
    check_array(checked, name, ndim=(2, 3), dtype_kind="fiu")
    if x.shape[-1] != 2:
        raise ValueError(f"{name} must hold (x, y) points, shape (P, K, 2) or (K, 2), got {x.shape}.")
    return (x[None] if x.ndim == 2 else x).astype(np.float64)


def _visibility(visibility, shape: tuple[int, int], name: str = "visibility") -> np.ndarray:
    """(P, K) bool mask of labelled keypoints (COCO's v > 0); ``None`` means all labelled."""
    if visibility is None:
        return np.ones(shape, dtype=bool)
    v = np.asarray(visibility)
    v = v[None] if v.ndim == 1 else v
    if v.shape != shape:
        raise ValueError(f"{name} must have shape {shape} (one flag per person and keypoint), got {v.shape}.")
    return v > 0


def pck(pred, gt, ref, alpha: float = 0.1, visibility=None, per_keypoint: bool = False):
    """Percentage of correct keypoints: the fraction with ``‖pred − gt‖ ≤ α · ref``.

    Defined in :ref:`sec-pose-metrics` (Eq. :eq:`eq-pose-pck`).

    Parameters
    ----------
    pred, gt : (P, K, 2) or (K, 2) array_like of float
        Predicted and true keypoints of P people, ``(x, y)`` in pixels; NaN in ``pred`` counts as a miss.
    ref : (P,) array_like of float, or float
        Each person's reference length d_ref (> 0): the longer side of its box for PCK (Yang & Ramanan),
        the head segment for PCKh (MPII, with α = 0.5).
    alpha : float
        The tolerance as a fraction of ``ref`` (> 0).
    visibility : (P, K) or (K,) array_like, optional
        COCO flags; keypoints with 0 (not labelled) are left out. Default: all count.
    per_keypoint : bool
        Return one fraction per keypoint type instead of one number.

    Returns
    -------
    float, or (K,) ndarray of float64
        The fraction of counted keypoints that are correct, in [0, 1] (NaN for a keypoint type never counted).

    Notes
    -----
    1. d_{p,k} = ‖pred_{p,k} − gt_{p,k}‖ for every person p and keypoint k.
    2. Correct when d_{p,k} ≤ α · ref_p (a boundary case counts as correct).
    3. Average over the labelled keypoints (and people).

    Examples
    --------
    >>> gt = np.array([[10.0, 10.0], [20.0, 10.0]])
    >>> pred = gt + [[3.0, 4.0], [6.0, 8.0]]            # errors of 5 and 10 pixels
    >>> pck(pred, gt, ref=50.0, alpha=0.1)              # tolerance 5 px: the first is right, the second not
    0.5
    """
    pred, gt = _points(pred, "pred", allow_nan=True), _points(gt, "gt", allow_nan=True)
    if pred.shape != gt.shape:
        raise ValueError(f"pred and gt must have the same shape, got {pred.shape} and {gt.shape}.")
    P, K = gt.shape[:2]
    alpha = check_positive(alpha, "alpha")
    ref = np.broadcast_to(np.asarray(ref, dtype=np.float64), (P,)) if np.ndim(ref) == 0 else np.asarray(ref, float)
    if ref.shape != (P,) or not np.all(np.isfinite(ref)) or np.any(ref <= 0):
        raise ValueError(f"ref must be one positive length per person, shape ({P},), got {np.asarray(ref).tolist()}.")
    if not np.all(np.isfinite(gt)):
        raise ValueError("gt contains NaN or infinite values; mark missing keypoints with visibility 0 instead.")
    counted = _visibility(visibility, (P, K))
    d = np.linalg.norm(pred - gt, axis=-1)                          # (P, K), NaN where pred is NaN
    correct = np.where(np.isnan(d), False, d <= alpha * ref[:, None])
    if per_keypoint:
        with np.errstate(invalid="ignore", divide="ignore"):
            return (correct & counted).sum(0) / counted.sum(0)       # (K,)
    if not counted.any():
        raise ValueError("no keypoint is labelled (visibility > 0): PCK is undefined.")
    return float(correct[counted].mean())


def oks(pred, gt, visibility, area, sigmas=STICK_FIGURE_SIGMAS) -> np.ndarray:
    """COCO's object keypoint similarity between every predicted and every true person.

    Defined in :ref:`sec-pose-metrics` (Eq. :eq:`eq-pose-oks`).

    Parameters
    ----------
    pred : (D, K, 2) or (K, 2) array_like of float
        D predicted people, ``(x, y)`` in pixels.
    gt : (G, K, 2) or (K, 2) array_like of float
        G true people.
    visibility : (G, K) or (K,) array_like of int
        COCO flags of ``gt``: 0 not labelled (left out), 1 labelled but hidden, 2 visible (both count).
        Every true person needs at least one labelled keypoint.
    area : (G,) array_like of float, or float
        The scale s² of each true person in square pixels (> 0): COCO uses the segment area.
    sigmas : (K,) array_like of float
        The per-keypoint constants σ_i; default :data:`STICK_FIGURE_SIGMAS` (COCO's, for K = 13).

    Returns
    -------
    (D, G) ndarray of float64
        OKS in [0, 1]; 1 means every labelled keypoint is exactly right.

    Notes
    -----
    1. k_i = 2 σ_i; d_i the distance between predicted and true keypoint i.
    2. Each labelled keypoint scores exp(−d_i² / (2 s² k_i²)): an unnormalised Gaussian whose width grows
       with the person's scale s and the keypoint's annotation spread k_i.
    3. OKS is the mean of those scores over the labelled keypoints of the true person.

    This equals ``pycocotools``' ``COCOeval.computeOks`` (which adds ``np.spacing(1)`` to the area) for
    true people with labelled keypoints; COCO ignores people with none, and so does this function (it
    raises).

    Examples
    --------
    >>> gt = np.zeros((13, 2)); pred = gt.copy(); pred[0, 0] = 1.0     # the nose 1 px off
    >>> s2, k = 100.0, 2 * 0.026                                       # area 100 px², nose k = 0.052
    >>> bool(np.isclose(oks(pred, gt, np.full(13, 2), s2)[0, 0], (12 + np.exp(-1 / (2 * s2 * k**2))) / 13))
    True
    """
    pred, gt = _points(pred, "pred"), _points(gt, "gt")
    G, K = gt.shape[:2]
    if pred.shape[1] != K:
        raise ValueError(f"pred and gt must have the same number of keypoints K, got {pred.shape[1]} and {K}.")
    sigmas = np.asarray(sigmas, dtype=np.float64)
    if sigmas.shape != (K,) or np.any(sigmas <= 0):
        raise ValueError(f"sigmas must be {K} positive constants (one per keypoint), got shape {sigmas.shape}.")
    labelled = _visibility(visibility, (G, K))
    if not np.all(labelled.any(axis=1)):
        raise ValueError("every true person needs at least one labelled keypoint (visibility > 0); COCO "
                         "ignores people without any, drop them before computing OKS.")
    area = np.broadcast_to(np.asarray(area, dtype=np.float64), (G,)) if np.ndim(area) == 0 else np.asarray(area, float)
    if area.shape != (G,) or np.any(~np.isfinite(area)) or np.any(area <= 0):
        raise ValueError(f"area must be one positive scale s² per true person, shape ({G},).")
    k2 = (2.0 * sigmas) ** 2                                                    # (K,) k_i²
    d2 = ((pred[:, None] - gt[None]) ** 2).sum(-1)                              # (D, G, K) squared distances
    e = d2 / (2.0 * area[None, :, None] * k2)                                   # (D, G, K) exponents
    score = np.where(labelled[None], np.exp(-e), 0.0)                           # (D, G, K)
    return score.sum(-1) / labelled.sum(-1)[None]                               # (D, G)


def limb_accuracy(people, gt, skeleton, tol: float, visibility=None) -> float:
    """Fraction of true limbs that a grouping assembled correctly.

    Defined in :ref:`sec-pose-grouping`.

    Parameters
    ----------
    people : (Q, K, 2) array_like of float
        Q assembled people, ``(x, y)``; NaN for a keypoint a person lacks.
    gt : (P, K, 2) array_like of float
        P true people.
    skeleton : sequence of (int, int)
        The limbs as pairs of keypoint indices.
    tol : float
        How far (pixels) a keypoint may be from the truth to count as found (> 0).
    visibility : (P, K) array_like, optional
        Limbs with an unlabelled end (0) are left out.

    Returns
    -------
    float
        The fraction of true limbs (p, i, j) for which one assembled person has both keypoint i within ``tol``
        of person p's keypoint i and keypoint j within ``tol`` of person p's keypoint j.

    Notes
    -----
    A limb counts as correct only when *both* ends sit in the *same* assembled person; a right keypoint
    joined to somebody else's keypoint is a grouping error even though both detections are fine.

    Examples
    --------
    >>> gt = np.array([[[0.0, 0.0], [10.0, 0.0], [20.0, 0.0]]])       # one person, 3 keypoints
    >>> people = np.array([[[0.5, 0.0], [10.0, 0.5], [np.nan, np.nan]]])
    >>> limb_accuracy(people, gt, [(0, 1), (1, 2)], tol=2.0)
    0.5
    """
    people, gt = _points(people, "people", allow_nan=True), _points(gt, "gt")
    P, K = gt.shape[:2]
    if people.shape[1] != K:
        raise ValueError(f"people and gt must have the same number of keypoints K, got {people.shape[1]} and {K}.")
    tol = check_positive(tol, "tol")
    labelled = _visibility(visibility, (P, K))
    skeleton = [(int(i), int(j)) for i, j in skeleton]
    if any(not (0 <= i < K and 0 <= j < K) for i, j in skeleton):
        raise ValueError(f"skeleton indices must lie in [0, {K - 1}].")
    d = np.linalg.norm(people[:, None] - gt[None], axis=-1)                    # (Q, P, K)
    near = np.where(np.isnan(d), False, d <= tol)                               # (Q, P, K)
    correct = total = 0
    for i, j in skeleton:
        counted = labelled[:, i] & labelled[:, j]                               # (P,)
        found = (near[:, :, i] & near[:, :, j]).any(axis=0)                     # (P,) some person has both
        correct += int((found & counted).sum())
        total += int(counted.sum())
    if total == 0:
        raise ValueError("no limb has both ends labelled: limb accuracy is undefined.")
    return correct / total
