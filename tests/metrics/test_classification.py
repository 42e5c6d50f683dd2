"""coursekit.metrics against sklearn.metrics (confusion_matrix, precision_recall_fscore_support, roc_curve,
roc_auc_score, precision_recall_curve, average_precision_score), including heavily tied scores, and against
the Mann-Whitney definition of the AUC.

Tolerance 1e-12 for AUC and AP (the issue's target): both sum the same O(n) terms of size <= 1 in nearly
the same order, so they differ by a few ulps (~1e-16 measured).
"""

from __future__ import annotations

import numpy as np
import pytest
import sklearn.metrics as skm
from sklearn.datasets import load_breast_cancer

from coursekit import metrics as M
from coursekit.data import imbalanced_blobs
from coursekit.learn.linear import fit_logistic_regression


def _score_sets():
    rng = np.random.default_rng(0)
    X, y = imbalanced_blobs(1000, rng, positive_fraction=0.05)
    Xb, yb = load_breast_cancer(return_X_y=True)
    Xb = (Xb - Xb.mean(0)) / Xb.std(0)
    clf = fit_logistic_regression(Xb[:, :2], yb, l2=1e-2, n_iter=300)   # a weak real classifier
    return {
        "imbalanced, continuous": (y, X[:, 0]),
        "imbalanced, rounded (ties)": (y, np.round(X[:, 0], 1)),
        "few integer scores (many ties)": (rng.integers(0, 2, 300), rng.integers(0, 5, 300).astype(float)),
        "breast cancer, logistic scores": (yb, clf.decision_function(Xb[:, :2])),
        "all scores tied": (rng.integers(0, 2, 50), np.zeros(50)),
    }


SETS = _score_sets()


@pytest.mark.parametrize("name", list(SETS))
def test_roc_auc_matches_sklearn(name):
    y, s = SETS[name]
    assert abs(M.roc_auc(y, s) - skm.roc_auc_score(y, s)) < 1e-12


@pytest.mark.parametrize("name", list(SETS))
def test_average_precision_matches_sklearn(name):
    y, s = SETS[name]
    assert abs(M.average_precision(y, s) - skm.average_precision_score(y, s)) < 1e-12


@pytest.mark.parametrize("name", list(SETS))
def test_curves_match_sklearn_point_for_point(name):
    y, s = SETS[name]
    fpr, tpr, thr = M.roc_curve(y, s)
    rf, rt, rthr = skm.roc_curve(y, s, drop_intermediate=False)
    assert np.allclose(fpr, rf, atol=1e-15) and np.allclose(tpr, rt, atol=1e-15) and np.array_equal(thr[1:], rthr[1:])
    p, r, t = M.precision_recall_curve(y, s)
    rp, rr, rt2 = skm.precision_recall_curve(y, s)
    assert np.allclose(p, rp[:-1][::-1], atol=1e-15) and np.allclose(r, rr[:-1][::-1], atol=1e-15)
    assert np.array_equal(t, rt2[::-1])


def test_auc_is_the_probability_a_positive_outscores_a_negative():
    y, s = SETS["few integer scores (many ties)"]
    pos, neg = s[y == 1], s[y == 0]
    mann_whitney = np.mean((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :]))
    assert abs(M.roc_auc(y, s) - mann_whitney) < 1e-12


def test_ap_is_not_the_trapezoid_area_and_differs_from_11_point_ap():
    y, s = SETS["imbalanced, continuous"]
    p, r, _ = M.precision_recall_curve(y, s)
    trapezoid = M.auc_trapezoid(np.r_[0.0, r], np.r_[1.0, p])
    ap, ap11 = M.average_precision(y, s), M.average_precision_11pt(y, s)
    assert abs(trapezoid - ap) > 1e-3 and abs(ap11 - ap) > 1e-3


def test_hand_worked_average_precisions():
    y, s = np.array([1, 0, 1, 0, 0, 1]), np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    # ranks: P R at each positive -> (1, 1/3), (2/3, 2/3), (1/2, 1): AP = (1 + 2/3 + 1/2) / 3
    assert abs(M.average_precision(y, s) - (1 + 2 / 3 + 1 / 2) / 3) < 1e-15
    # 11-point: r <= 1/3 -> 1 (4 levels 0..0.3), r in (1/3, 2/3] -> 2/3 (0.4, 0.5, 0.6), else 1/2 (0.7..1.0)
    assert abs(M.average_precision_11pt(y, s) - (4 * 1 + 3 * 2 / 3 + 4 * 0.5) / 11) < 1e-15
    perfect = np.array([0.1, 0.2, 0.9, 0.8])
    assert M.average_precision(np.array([0, 0, 1, 1]), perfect) == 1.0 == M.roc_auc(np.array([0, 0, 1, 1]), perfect)


def test_confusion_and_f1_match_sklearn(rng):
    y, p = rng.integers(0, 2, 200), rng.integers(0, 2, 200)
    tn, fp, fn, tp = skm.confusion_matrix(y, p).ravel()
    assert M.confusion_counts(y, p) == (tp, fp, fn, tn)
    ref = skm.precision_recall_fscore_support(y, p, average="binary", zero_division=0)[:3]
    assert np.allclose(M.precision_recall_f1(y, p), ref, atol=1e-15)
    assert M.precision_recall_f1(y, np.zeros(200, dtype=int)) == (0.0, 0.0, 0.0)   # no positive predictions


def test_metrics_reject_bad_labels_and_single_class(rng):
    with pytest.raises(ValueError, match="0/1"):
        M.roc_auc(np.array([0, 1, 2]), np.array([0.1, 0.2, 0.3]))
    with pytest.raises(ValueError, match="one class"):
        M.roc_auc(np.ones(4, dtype=int), rng.normal(size=4))
    with pytest.raises(ValueError, match="no positives"):
        M.average_precision(np.zeros(4, dtype=int), rng.normal(size=4))
    with pytest.raises(ValueError, match="shape"):
        M.average_precision(np.array([0, 1]), rng.normal(size=3))
    with pytest.raises(ValueError, match="non-decreasing"):
        M.auc_trapezoid(np.array([0.0, 1.0, 0.5]), np.ones(3))
