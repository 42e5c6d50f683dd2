"""Group fairness of a binary decision: per-group rates, and the gaps of independence, separation and sufficiency.

Chapter 18 (Explainability and fairness). A decision Ŷ ∈ {0, 1} about people with true outcome Y ∈ {0, 1}
and a sensitive attribute A. Independence asks P(Ŷ = 1 | A) to be the same in every group (demographic
parity), separation P(Ŷ = 1 | Y, A) (equalised odds: equal TPR and FPR), sufficiency P(Y = 1 | Ŷ, A) (equal
PPV and NPV; for a score, calibration within groups). The rates are computed from each group's confusion
counts, so the identities between them hold exactly.

References
----------
S. Barocas, M. Hardt and A. Narayanan, *Fairness and Machine Learning*, MIT Press 2023, ch. 3.
M. Hardt, E. Price and N. Srebro, "Equality of opportunity in supervised learning", NeurIPS 2016.
A. Chouldechova, "Fair prediction with disparate impact", Big Data 5(2), 2017.
J. Kleinberg, S. Mullainathan and M. Raghavan, "Inherent trade-offs in the fair determination of risk
scores", ITCS 2017.
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_int

__all__ = [
    "group_confusion", "group_rates", "demographic_parity_difference", "demographic_parity_ratio",
    "equalized_odds_difference", "equalized_odds_ratio", "sufficiency_difference", "calibration_by_group",
    "ppv_from_rates", "fpr_from_ppv",
]


def _check_decisions(y_true, y_pred, groups):
    y = np.asarray(y_true)
    p = np.asarray(y_pred)
    a = np.asarray(groups)
    if y.ndim != 1 or p.shape != y.shape or a.shape != y.shape or y.size == 0:
        raise ValueError(f"y_true, y_pred and groups must be 1-D arrays of one common length, got shapes "
                         f"{y.shape}, {p.shape} and {a.shape}.")
    for name, v in (("y_true", y), ("y_pred", p)):
        if not np.isin(v, (0, 1)).all():
            raise ValueError(f"{name} must hold binary decisions 0/1 (threshold a score first), got values "
                             f"{np.unique(v)[:5]}.")
    return y.astype(np.int64), p.astype(np.int64), a


def group_confusion(y_true, y_pred, groups):
    """Each group's confusion counts (TP, FP, TN, FN).

    Defined in :ref:`sec-fair-criteria`.

    Parameters
    ----------
    y_true, y_pred : (N,) array_like of {0, 1}
        Outcomes Y and decisions Ŷ.
    groups : (N,) array_like
        The sensitive attribute A (any sortable labels).

    Returns
    -------
    labels : (G,) ndarray
        The distinct groups, sorted.
    counts : (G, 4) ndarray of int64
        Columns TP, FP, TN, FN.

    Examples
    --------
    >>> group_confusion([1, 0, 1, 0], [1, 1, 0, 0], ["a", "a", "b", "b"])[1].tolist()
    [[1, 1, 0, 0], [0, 0, 1, 1]]
    """
    y, p, a = _check_decisions(y_true, y_pred, groups)
    labels, g = np.unique(a, return_inverse=True)                   # (G,), (N,)
    cell = 2 * y + p                                                 # 0 TN, 1 FP, 2 FN, 3 TP
    table = np.zeros((len(labels), 4), dtype=np.int64)              # (G, 4) by cell code
    np.add.at(table, (g, cell), 1)
    return labels, table[:, [3, 1, 0, 2]]                           # (G, 4) TP, FP, TN, FN


def _ratio(num, den):
    num, den = np.asarray(num, np.float64), np.asarray(den, np.float64)
    return np.divide(num, den, out=np.full(num.shape, np.nan), where=den > 0)


def group_rates(y_true, y_pred, groups) -> dict:
    """Per-group rates behind the three criteria, from each group's confusion counts.

    Defined in :ref:`sec-fair-criteria` (Eq. :eq:`eq-fair-independence`, :eq:`eq-fair-separation`,
    :eq:`eq-fair-sufficiency`).

    Parameters
    ----------
    y_true, y_pred : (N,) array_like of {0, 1}
    groups : (N,) array_like

    Returns
    -------
    dict of str to (G,) ndarray
        ``"group"`` (the labels), ``"count"``, ``"base_rate"`` P(Y=1|A), ``"selection_rate"`` P(Ŷ=1|A),
        ``"tpr"`` P(Ŷ=1|Y=1,A), ``"fpr"`` P(Ŷ=1|Y=0,A), ``"tnr"``, ``"fnr"``, ``"ppv"`` P(Y=1|Ŷ=1,A),
        ``"npv"`` P(Y=0|Ŷ=0,A), ``"accuracy"``. A rate with an empty denominator is NaN.

    Examples
    --------
    >>> r = group_rates([1, 0, 1, 1], [1, 1, 1, 0], [0, 0, 1, 1])
    >>> r["selection_rate"].tolist(), r["tpr"].tolist()
    ([1.0, 0.5], [1.0, 0.5])
    """
    labels, c = group_confusion(y_true, y_pred, groups)
    TP, FP, TN, FN = c.T                                             # (G,) each
    n = TP + FP + TN + FN
    return {
        "group": labels, "count": n,
        "base_rate": _ratio(TP + FN, n), "selection_rate": _ratio(TP + FP, n),
        "tpr": _ratio(TP, TP + FN), "fpr": _ratio(FP, FP + TN), "tnr": _ratio(TN, FP + TN),
        "fnr": _ratio(FN, TP + FN), "ppv": _ratio(TP, TP + FP), "npv": _ratio(TN, TN + FN),
        "accuracy": _ratio(TP + TN, n),
    }


def _gap(values) -> float:
    return float(np.max(values) - np.min(values))


def _min_over_max(values) -> float:
    hi = np.max(values)
    return float(np.min(values) / hi) if hi > 0 else float("nan")


def demographic_parity_difference(y_true, y_pred, groups) -> float:
    """Independence gap: the largest difference in selection rate P(Ŷ = 1 | A = a) between two groups.

    Defined in :ref:`sec-fair-criteria` (Eq. :eq:`eq-fair-independence`).

    Parameters
    ----------
    y_true, y_pred : (N,) array_like of {0, 1}
        ``y_true`` is not used by the criterion; it is taken for a common signature (and validated).
    groups : (N,) array_like

    Returns
    -------
    float
        max_a − min_a of the selection rates; 0 means independence holds.

    Examples
    --------
    >>> demographic_parity_difference([0, 0, 0, 0], [1, 1, 1, 0], [0, 0, 1, 1])
    0.5
    """
    return _gap(group_rates(y_true, y_pred, groups)["selection_rate"])


def demographic_parity_ratio(y_true, y_pred, groups) -> float:
    """Smallest over largest selection rate (the "four-fifths rule" compares it with 0.8).

    Defined in :ref:`sec-fair-criteria` (Eq. :eq:`eq-fair-independence`).

    Parameters
    ----------
    y_true, y_pred : (N,) array_like of {0, 1}
    groups : (N,) array_like

    Returns
    -------
    float
        In [0, 1]; 1 means independence holds. NaN if no group is ever selected.

    Examples
    --------
    >>> demographic_parity_ratio([0, 0, 0, 0], [1, 1, 1, 0], [0, 0, 1, 1])
    0.5
    """
    return _min_over_max(group_rates(y_true, y_pred, groups)["selection_rate"])


def equalized_odds_difference(y_true, y_pred, groups) -> float:
    """Separation gap: the larger of the between-group differences in TPR and in FPR.

    Defined in :ref:`sec-fair-criteria` (Eq. :eq:`eq-fair-separation`).

    Parameters
    ----------
    y_true, y_pred : (N,) array_like of {0, 1}
    groups : (N,) array_like
        Every group needs both outcomes (else a rate is undefined and the result NaN).

    Returns
    -------
    float
        max(gap in TPR, gap in FPR); 0 means separation (equalised odds) holds.

    Examples
    --------
    >>> equalized_odds_difference([1, 0, 1, 0], [1, 0, 1, 1], [0, 0, 1, 1])   # FPRs 0 and 1
    1.0
    """
    r = group_rates(y_true, y_pred, groups)
    return float(np.max([_gap(r["tpr"]), _gap(r["fpr"])]))             # np.max: a NaN is not hidden


def equalized_odds_ratio(y_true, y_pred, groups) -> float:
    """The smaller of the min/max ratios of TPR and of FPR across groups.

    Defined in :ref:`sec-fair-criteria` (Eq. :eq:`eq-fair-separation`).

    Parameters
    ----------
    y_true, y_pred : (N,) array_like of {0, 1}
    groups : (N,) array_like

    Returns
    -------
    float
        In [0, 1]; 1 means equalised odds.

    Examples
    --------
    >>> equalized_odds_ratio([1, 0, 1, 0], [1, 0, 1, 1], [0, 0, 1, 1])
    0.0
    """
    r = group_rates(y_true, y_pred, groups)
    return float(np.min([_min_over_max(r["tpr"]), _min_over_max(r["fpr"])]))


def sufficiency_difference(y_true, y_pred, groups) -> float:
    """Sufficiency gap: the larger of the between-group differences in PPV and in NPV.

    Defined in :ref:`sec-fair-criteria` (Eq. :eq:`eq-fair-sufficiency`).

    Parameters
    ----------
    y_true, y_pred : (N,) array_like of {0, 1}
    groups : (N,) array_like

    Returns
    -------
    float
        max(gap in P(Y=1 | Ŷ=1, A), gap in P(Y=0 | Ŷ=0, A)); 0 means a decision means the same in every group.

    Examples
    --------
    >>> sufficiency_difference([1, 0, 1, 1], [1, 1, 1, 0], [0, 0, 1, 1])   # PPVs 0.5 and 1; NPV undefined in group 0
    nan
    """
    r = group_rates(y_true, y_pred, groups)
    return float(np.max([_gap(r["ppv"]), _gap(r["npv"])]))


def calibration_by_group(y_true, scores, groups, n_bins: int = 10):
    """Sufficiency of a score: P(Y = 1 | S in bin b, A = a), the reliability curve of each group.

    Defined in :ref:`sec-fair-criteria` (Eq. :eq:`eq-fair-calibration`).

    Parameters
    ----------
    y_true : (N,) array_like of {0, 1}
    scores : (N,) array_like of float in [0, 1]
    groups : (N,) array_like
    n_bins : int
        Equal-width bins on [0, 1]; a score of exactly 1 falls in the last bin.

    Returns
    -------
    labels : (G,) ndarray
    edges : (n_bins + 1,) ndarray of float64
    rate : (G, n_bins) ndarray of float64
        Fraction of positives among the group's scores in each bin (NaN for an empty bin).
    count : (G, n_bins) ndarray of int64

    Examples
    --------
    >>> _, _, rate, count = calibration_by_group([0, 1, 1, 1], [0.1, 0.9, 0.8, 0.2], [0, 0, 1, 1], n_bins=2)
    >>> rate.tolist(), count.tolist()
    ([[0.0, 1.0], [1.0, 1.0]], [[1, 1], [1, 1]])
    """
    s = np.asarray(scores, dtype=np.float64)
    y, _, a = _check_decisions(y_true, np.zeros(np.shape(y_true), np.int64), groups)
    if s.shape != y.shape or not np.all((s >= 0) & (s <= 1)):
        raise ValueError(f"scores must be {y.shape} values in [0, 1], got shape {s.shape}.")
    B = check_int(n_bins, "n_bins")
    edges = np.linspace(0.0, 1.0, B + 1)
    b = np.minimum((s * B).astype(np.int64), B - 1)                  # (N,) bin index
    labels, g = np.unique(a, return_inverse=True)
    count = np.zeros((len(labels), B), np.int64)
    pos = np.zeros((len(labels), B), np.int64)
    np.add.at(count, (g, b), 1)
    np.add.at(pos, (g, b), y)
    return labels, edges, _ratio(pos, count), count


def ppv_from_rates(base_rate, tpr, fpr):
    """Bayes' rule for a decision: PPV = p·TPR / (p·TPR + (1 − p)·FPR).

    Defined in :ref:`sec-fair-identities` (Eq. :eq:`eq-fair-ppv-bayes`).

    Parameters
    ----------
    base_rate, tpr, fpr : float or ndarray
        p = P(Y=1), P(Ŷ=1|Y=1), P(Ŷ=1|Y=0) of one group (broadcast together).

    Returns
    -------
    float or ndarray
        P(Y=1 | Ŷ=1): the same groups' separation rates give different PPVs when p differs.

    Examples
    --------
    >>> float(ppv_from_rates(0.5, 0.8, 0.2))
    0.8
    """
    p, t, f = (np.asarray(v, dtype=np.float64) for v in (base_rate, tpr, fpr))
    return p * t / (p * t + (1 - p) * f)


def fpr_from_ppv(base_rate, ppv, fnr):
    """Chouldechova's identity: FPR = p/(1 − p) · (1 − PPV)/PPV · (1 − FNR).

    Defined in :ref:`sec-fair-identities` (Eq. :eq:`eq-fair-chouldechova`).

    Parameters
    ----------
    base_rate, ppv, fnr : float or ndarray
        p, P(Y=1|Ŷ=1) and P(Ŷ=0|Y=1) of one group.

    Returns
    -------
    float or ndarray
        The FPR they force: with equal PPV and FNR but different p, the FPRs must differ.

    Examples
    --------
    >>> round(float(fpr_from_ppv(0.5, 0.8, 0.2)), 12)
    0.2
    """
    p, v, n = (np.asarray(x, dtype=np.float64) for x in (base_rate, ppv, fnr))
    return p / (1 - p) * (1 - v) / v * (1 - n)
