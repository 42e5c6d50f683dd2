"""Checks of Chapter 3's classical exercises.

The softmax cross-entropy gradient, k-means++ seeding, average precision.

Each check runs the student's function on seeded random inputs and on real data (the digits and
breast-cancer sets shipped with scikit-learn); the judgement compares with the coursekit reference and
explains a failure by naming the likely mistake, never the expected values.
"""

from __future__ import annotations

import numpy as np

from coursekit.grading import Case, Check, Seeded, compare
from coursekit.learn.clustering import kmeans_plus_plus_init, pairwise_sq_dists
from coursekit.learn.linear import softmax, softmax_cross_entropy
from coursekit.metrics.classification import average_precision, average_precision_11pt, precision_recall_curve

__all__ = ["CHECKS"]


def _close(a, b, atol=1e-8) -> bool:
    try:
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.all(np.isfinite(a))) and np.allclose(a, b, atol=atol, rtol=1e-8)


def _finite(a) -> bool:
    try:
        return bool(np.all(np.isfinite(np.asarray(a, dtype=np.float64))))
    except (TypeError, ValueError):
        return True                                  # not numbers at all: the comparison already says so


# ----------------------------------------------------------------------------- softmax cross-entropy

def _softmax_cases(rng: np.random.Generator):
    """``softmax_cross_entropy_grad(Z, y) -> (loss, dZ)``: mean CE and ``(P - Y) / B``, Eq. (3.6)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    Zd = digits.data[:32] @ rng.normal(0, 0.1, (64, 10))                 # (32, 10) logits of a linear model
    yield Case("random logits, B=8, K=5", (rng.normal(size=(8, 5)), rng.integers(0, 5, 8)))
    yield Case("one sample, two classes", (rng.normal(size=(1, 2)), np.array([1])))
    yield Case("digits through a random linear layer, B=32, K=10", (Zd, digits.target[:32].copy()))
    yield Case("large logits (about ±800), B=6, K=4", (rng.normal(0, 400, (6, 4)), rng.integers(0, 4, 6)))


def _softmax_judge(case: Case, got, expected) -> str:
    hint = compare(got, expected, atol=1e-9)
    if not hint or not isinstance(got, (tuple, list)) or len(got) != 2:
        return hint
    Z, _ = case.args
    loss, dZ = expected
    B = Z.shape[0]
    g_loss, g_dZ = got
    if not _finite(g_dZ) or not _finite(g_loss):
        hint += " Hint: exp overflows for large logits — subtract each row's maximum first."
    elif _close(g_dZ, -dZ):
        hint += " Hint: the gradient has the wrong sign; it is P - Y."
    elif B > 1 and _close(g_dZ, dZ * B):
        hint += " Hint: the loss is a mean over the batch, so the gradient is divided by B."
    elif B > 1 and _close(g_loss, loss * B):
        hint += " Hint: return the mean loss over the batch, not the sum."
    elif _close(g_dZ, dZ) and not _close(g_loss, loss):
        hint += " Hint: the gradient is right; check the loss (minus the log-probability of the true class)."
    return hint


# ----------------------------------------------------------------------------- k-means++

def _kpp_variant(X, K, rng, power=2.0, nearest=True):
    """k-means++ with typical slips: weights ``d^power``, or distance to the last centre only."""
    N = X.shape[0]
    idx = [int(rng.integers(N))]
    d2 = pairwise_sq_dists(X, X[idx])[:, 0]
    for _ in range(1, K):
        w = d2 ** (power / 2)
        i = int(rng.choice(N, p=w / w.sum()))
        idx.append(i)
        new = pairwise_sq_dists(X, X[i:i + 1])[:, 0]
        d2 = np.minimum(d2, new) if nearest else new
    return X[idx]


def _kpp_cases(rng: np.random.Generator):
    """``kmeans_plus_plus_init(X, K, rng) -> (K, D)``, with the exact draws of the docstring, Eq. (3.21).

    The generator the student's function draws from is given as a seed: both sides get a fresh
    ``np.random.default_rng(seed)``.
    """
    from sklearn.datasets import load_digits

    digits = load_digits().data[:300]                                     # (300, 64) real images
    blobs = rng.normal(size=(120, 2)) + np.repeat(rng.uniform(-8, 8, (4, 2)), 30, axis=0)
    yield Case("120 points in 4 blobs, K=4", (blobs, 4, Seeded(int(rng.integers(1 << 30)))))
    yield Case("60 uniform points in 3-D, K=7", (rng.uniform(size=(60, 3)), 7, Seeded(int(rng.integers(1 << 30)))))
    yield Case("300 digits (64-D), K=10", (digits, 10, Seeded(int(rng.integers(1 << 30)))))
    yield Case("K=1 (only the first draw)", (rng.normal(size=(20, 2)), 1, Seeded(int(rng.integers(1 << 30)))))


def _kpp_judge(case: Case, got, expected) -> str:
    hint = compare(got, expected, atol=1e-12)
    X, K, seeded = case.args
    if not hint or not isinstance(got, np.ndarray) or got.shape != (K, X.shape[1]) or got.dtype.kind not in "biuf":
        return hint
    got = got.astype(np.float64)
    if not all((X == c).all(1).any() for c in got):
        return hint + " Hint: every centre must be one of the data points (a row of X)."
    if not np.array_equal(got[0], expected[0]):
        return hint + " Hint: draw the first centre with exactly one call rng.integers(N)."
    slips = [
        (dict(power=1.0), "you sample proportionally to the distance; k-means++ uses the squared distance D(x)^2."),
        (dict(nearest=False), "use each point's distance to its *nearest* chosen centre, not to the last one."),
    ]
    for kwargs, advice in slips:
        if np.array_equal(got, _kpp_variant(X, K, np.random.default_rng(seeded.seed), **kwargs)):
            return hint + " Hint: " + advice
    return hint + (" Hint: the first centre is right; then call rng.choice(N, p=d2 / d2.sum()) exactly once "
                   "per centre, in order, and nothing else that draws from rng.")


# ----------------------------------------------------------------------------- average precision

def _ap_without_tie_groups(y, s):
    order = np.argsort(-s, kind="mergesort")
    y = y[order]
    tp = np.cumsum(y)
    precision = tp / np.arange(1, y.size + 1)
    return float(np.sum(precision * y) / y.sum())


def _ap_trapezoid(y, s):
    p, r, _ = precision_recall_curve(y, s)
    r, p = np.r_[0.0, r], np.r_[1.0, p]
    return float(np.sum(np.diff(r) * (p[1:] + p[:-1]) / 2))


def _ap_cases(rng: np.random.Generator):
    """``average_precision(y_true, scores) -> float``: sum_n (R_n - R_{n-1}) P_n with ties grouped, Eq. (3.32)."""
    from sklearn.datasets import load_breast_cancer

    Xb, yb = load_breast_cancer(return_X_y=True)
    sb = (Xb[:, 0] - Xb[:, 0].mean()) / Xb[:, 0].std()                    # mean radius as a score
    n = 400
    y_imb = (rng.uniform(size=n) < 0.08).astype(np.int64)
    y_ties = rng.integers(0, 2, 200)
    yield Case("random scores, balanced labels", (rng.integers(0, 2, 100), rng.normal(size=100)))
    yield Case("rare positives (8%), informative scores", (y_imb, rng.normal(size=n) + 1.5 * y_imb))
    yield Case("scores with many ties (5 distinct values)", (y_ties, rng.integers(0, 5, 200).astype(np.float64)))
    yield Case("breast cancer, mean radius as the score", (yb, sb))
    yield Case("a perfect ranking", (np.array([0, 0, 1, 0, 1]), np.array([0.1, 0.2, 0.9, 0.3, 0.8])))


def _ap_judge(case: Case, got, expected) -> str:
    hint = compare(got, expected, atol=1e-10)
    if hint:
        y, s = case.args
        for slip, advice in [
            (_ap_trapezoid, "this is the trapezoid area under the PR curve; AP uses steps: sum (R_n - R_{n-1}) P_n."),
            (average_precision_11pt, "this is the 11-point interpolated AP; use every threshold and no interpolation."),
            (_ap_without_tie_groups, "points with equal scores share one threshold: group ties before the sum."),
        ]:
            if _close(got, slip(y, s), atol=1e-10):
                return hint + " Hint: " + advice
    return hint


CHECKS = [
    Check("ch03.softmax_cross_entropy_grad", cases=_softmax_cases, reference=softmax_cross_entropy,
          judge=_softmax_judge, implements=(softmax_cross_entropy, softmax),
          forbidden=("torch.nn.functional.cross_entropy", "scipy.special.softmax", "scipy.special.log_softmax",
                     "sklearn.metrics.log_loss")),
    Check("ch03.kmeans_plus_plus_init", cases=_kpp_cases, reference=kmeans_plus_plus_init, judge=_kpp_judge,
          forbidden=("sklearn.cluster.kmeans_plusplus", "sklearn.cluster.KMeans")),
    Check("ch03.average_precision", cases=_ap_cases, reference=average_precision, judge=_ap_judge,
          implements=(average_precision, precision_recall_curve),
          forbidden=("sklearn.metrics.average_precision_score", "sklearn.metrics.precision_recall_curve")),
]
