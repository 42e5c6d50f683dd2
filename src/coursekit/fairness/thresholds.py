"""Post-processing for group fairness: one decision threshold per group, chosen to equalise a rate.

Chapter 18 (Explainability and fairness). Thresholding a score once for everybody inherits the score's
group differences; choosing a threshold per group can equalise the selection rate (independence) or the true
positive rate (equal opportunity, the half of separation Hardt et al. call so), at a cost in accuracy and
usually in sufficiency. Hardt et al. randomise between two thresholds to hit a rate exactly; this
deterministic version takes the highest threshold whose rate reaches the target.

References
----------
M. Hardt, E. Price and N. Srebro, "Equality of opportunity in supervised learning", NeurIPS 2016.
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_choice, check_fraction

__all__ = ["group_thresholds", "apply_thresholds"]


def group_thresholds(scores, y_true, groups, target: float, rule: str = "equal_opportunity"):
    """Per group, the largest threshold t with rate(score ≥ t) ≥ ``target``.

    Defined in :ref:`sec-fair-mitigation` (Eq. :eq:`eq-fair-group-threshold`).

    Parameters
    ----------
    scores : (N,) array_like of float
    y_true : (N,) array_like of {0, 1}
    groups : (N,) array_like
    target : float
        The rate to reach in every group, in (0, 1].
    rule : {"equal_opportunity", "demographic_parity"}
        Which rate: the TPR P(Ŷ=1 | Y=1, A) or the selection rate P(Ŷ=1 | A).

    Returns
    -------
    labels : (G,) ndarray
        The groups, sorted.
    thresholds : (G,) ndarray of float64
        Select a person of group g when score ≥ thresholds[g].

    Notes
    -----
    Sort the scores that count (the positives for equal opportunity, everyone for parity) in decreasing order;
    the threshold is the ⌈target · n_g⌉-th largest, so at least that fraction is selected (more on ties).

    Examples
    --------
    >>> group_thresholds([0.9, 0.8, 0.2, 0.6, 0.3, 0.1], [1, 1, 1, 1, 1, 0], [0, 0, 0, 1, 1, 1], 0.5)
    (array([0, 1]), array([0.8, 0.6]))
    """
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(y_true)
    a = np.asarray(groups)
    if s.ndim != 1 or y.shape != s.shape or a.shape != s.shape or not np.isfinite(s).all():
        raise ValueError(f"scores, y_true and groups must be 1-D of one length with finite scores, got shapes "
                         f"{s.shape}, {y.shape}, {a.shape}.")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("y_true must hold 0/1 outcomes.")
    rule = check_choice(rule, "rule", ("equal_opportunity", "demographic_parity"))
    target = check_fraction(target, "target")
    if target == 0:
        raise ValueError("target must be > 0 (a rate of 0 needs no threshold: select nobody).")
    labels = np.unique(a)
    thresholds = np.empty(len(labels))
    for i, g in enumerate(labels):
        pool = s[(a == g) & (y == 1)] if rule == "equal_opportunity" else s[a == g]
        if pool.size == 0:
            raise ValueError(f"group {g!r} has no {'positives' if rule == 'equal_opportunity' else 'members'}.")
        k = int(np.ceil(target * pool.size))                           # how many must be selected
        thresholds[i] = np.sort(pool)[::-1][k - 1]                      # the k-th largest score
    return labels, thresholds


def apply_thresholds(scores, groups, labels, thresholds) -> np.ndarray:
    """Decisions Ŷ = [score ≥ t_g] with each person's own group's threshold.

    Defined in :ref:`sec-fair-mitigation` (Eq. :eq:`eq-fair-group-threshold`).

    Parameters
    ----------
    scores : (N,) array_like of float
    groups : (N,) array_like
    labels : (G,) array_like
        The groups that have a threshold (from :func:`group_thresholds`).
    thresholds : (G,) array_like of float

    Returns
    -------
    (N,) ndarray of int64 in {0, 1}

    Examples
    --------
    >>> apply_thresholds([0.9, 0.5, 0.5], ["a", "a", "b"], ["a", "b"], [0.6, 0.4]).tolist()
    [1, 0, 1]
    """
    s, a = np.asarray(scores, dtype=np.float64), np.asarray(groups)
    labels, t = np.asarray(labels), np.asarray(thresholds, dtype=np.float64)
    if s.shape != a.shape or s.ndim != 1 or labels.shape != t.shape or labels.ndim != 1:
        raise ValueError(f"need scores and groups (N,), labels and thresholds (G,), got {s.shape}, {a.shape}, "
                         f"{labels.shape}, {t.shape}.")
    order = np.argsort(labels)
    pos = np.searchsorted(labels[order], a)                             # (N,) index into the sorted labels
    pos = np.minimum(pos, len(labels) - 1)
    if not np.all(labels[order][pos] == a):
        raise ValueError(f"groups {sorted(set(a.tolist()) - set(labels.tolist()))} have no threshold.")
    return (s >= t[order][pos]).astype(np.int64)
