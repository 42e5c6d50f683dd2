"""Checks of Chapter 3's classical exercises: the softmax cross-entropy gradient, k-means++ seeding,
average precision.

Each ``check_<name>(student, rng)`` compares the student's function with the coursekit reference on seeded
random inputs from ``rng`` and on real data (the digits and breast-cancer sets shipped with scikit-learn),
and explains a failure by naming the likely mistake, never the expected values.
"""

from __future__ import annotations

import numpy as np

from coursekit import grading
from coursekit.learn.clustering import kmeans_plus_plus_init, pairwise_sq_dists
from coursekit.learn.linear import softmax_cross_entropy
from coursekit.metrics.classification import average_precision, average_precision_11pt, precision_recall_curve

__all__ = ["check_softmax_cross_entropy_grad", "check_kmeans_plus_plus_init", "check_average_precision"]


def _call(student, *args):
    """The student's output, or None if it raises (compare_cases reports the error itself)."""
    return grading.call_student(student, *args)[0]


def _close(a, b, atol=1e-8) -> bool:
    try:
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.all(np.isfinite(a))) and np.allclose(a, b, atol=atol, rtol=1e-8)


# ----------------------------------------------------------------------------- softmax cross-entropy

def check_softmax_cross_entropy_grad(student, rng: np.random.Generator) -> list[grading.CaseResult]:
    """``softmax_cross_entropy_grad(Z, y) -> (loss, dZ)``: mean CE and ``(P - Y) / B``, Eq. (3.6)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    Zd = digits.data[:32] @ rng.normal(0, 0.1, (64, 10))                 # (32, 10) logits of a linear model
    cases = [
        ("random logits, B=8, K=5", (rng.normal(size=(8, 5)), rng.integers(0, 5, 8)), {}),
        ("one sample, two classes", (rng.normal(size=(1, 2)), np.array([1])), {}),
        ("digits through a random linear layer, B=32, K=10", (Zd, digits.target[:32].copy()), {}),
        ("large logits (about ±800), B=6, K=4", (rng.normal(0, 400, (6, 4)), rng.integers(0, 4, 6)), {}),
    ]
    results = grading.compare_cases(student, softmax_cross_entropy, cases, atol=1e-9)
    for (label, (Z, y), _), res in zip(cases, results):
        if res.passed or res.hint == grading._NOT_DONE:
            continue
        got = _call(student, Z, y)
        if not isinstance(got, tuple) or len(got) != 2:
            continue
        loss, dZ = softmax_cross_entropy(Z, y)
        B = Z.shape[0]
        g_loss, g_dZ = got
        if not np.all(np.isfinite(np.asarray(g_dZ, dtype=float))) or not np.isfinite(np.asarray(g_loss, dtype=float)).all():
            res.hint += " Hint: exp overflows for large logits — subtract each row's maximum first."
        elif _close(g_dZ, -dZ):
            res.hint += " Hint: the gradient has the wrong sign; it is P - Y."
        elif B > 1 and _close(g_dZ, dZ * B):
            res.hint += " Hint: the loss is a mean over the batch, so the gradient is divided by B."
        elif B > 1 and _close(g_loss, loss * B):
            res.hint += " Hint: return the mean loss over the batch, not the sum."
        elif _close(g_dZ, dZ) and not _close(g_loss, loss):
            res.hint += " Hint: the gradient is right; check the loss (minus the log-probability of the true class)."
    return results


# ----------------------------------------------------------------------------- k-means++

def _seeded(fn):
    def run(X, K, seed):
        return fn(X, K, np.random.default_rng(seed))
    return run


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


def check_kmeans_plus_plus_init(student, rng: np.random.Generator) -> list[grading.CaseResult]:
    """``kmeans_plus_plus_init(X, K, rng) -> (K, D)``, with the exact draws of the docstring, Eq. (3.21)."""
    from sklearn.datasets import load_digits

    digits = load_digits().data[:300]                                     # (300, 64) real images
    blobs = rng.normal(size=(120, 2)) + np.repeat(rng.uniform(-8, 8, (4, 2)), 30, axis=0)
    cases = [
        ("120 points in 4 blobs, K=4", (blobs, 4, int(rng.integers(1 << 30))), {}),
        ("60 uniform points in 3-D, K=7", (rng.uniform(size=(60, 3)), 7, int(rng.integers(1 << 30))), {}),
        ("300 digits (64-D), K=10", (digits, 10, int(rng.integers(1 << 30))), {}),
        ("K=1 (only the first draw)", (rng.normal(size=(20, 2)), 1, int(rng.integers(1 << 30))), {}),
    ]
    results = grading.compare_cases(_seeded(student), _seeded(kmeans_plus_plus_init), cases, atol=1e-12)
    slips = [
        (lambda X, K, r: _kpp_variant(X, K, r, power=1.0),
         "you sample proportionally to the distance; k-means++ uses the squared distance D(x)^2."),
        (lambda X, K, r: _kpp_variant(X, K, r, nearest=False),
         "use each point's distance to its *nearest* chosen centre, not to the last one."),
    ]
    for (label, (X, K, seed), _), res in zip(cases, results):
        if res.passed or res.hint == grading._NOT_DONE:
            continue
        got = _call(_seeded(student), X, K, seed)
        if got is None or np.shape(got) != (K, X.shape[1]):
            continue
        got = np.asarray(got, dtype=np.float64)
        if not all((X == c).all(1).any() for c in got):
            res.hint += " Hint: every centre must be one of the data points (a row of X)."
            continue
        ref = kmeans_plus_plus_init(X, K, np.random.default_rng(seed))
        if not np.array_equal(got[0], ref[0]):
            res.hint += " Hint: draw the first centre with exactly one call rng.integers(N)."
            continue
        for slip, hint in slips:
            if np.array_equal(got, slip(X, K, np.random.default_rng(seed))):
                res.hint += " Hint: " + hint
                break
        else:
            res.hint += (" Hint: the first centre is right; then call rng.choice(N, p=d2 / d2.sum()) exactly once "
                         "per centre, in order, and nothing else that draws from rng.")
    return results


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


def check_average_precision(student, rng: np.random.Generator) -> list[grading.CaseResult]:
    """``average_precision(y_true, scores) -> float``: sum_n (R_n - R_{n-1}) P_n with ties grouped, Eq. (3.32)."""
    from sklearn.datasets import load_breast_cancer

    Xb, yb = load_breast_cancer(return_X_y=True)
    sb = (Xb[:, 0] - Xb[:, 0].mean()) / Xb[:, 0].std()                    # mean radius as a score
    n = 400
    y_imb = (rng.uniform(size=n) < 0.08).astype(np.int64)
    y_ties = rng.integers(0, 2, 200)
    cases = [
        ("random scores, balanced labels", (rng.integers(0, 2, 100), rng.normal(size=100)), {}),
        ("rare positives (8%), informative scores", (y_imb, rng.normal(size=n) + 1.5 * y_imb), {}),
        ("scores with many ties (5 distinct values)",
         (y_ties, rng.integers(0, 5, 200).astype(np.float64)), {}),
        ("breast cancer, mean radius as the score", (yb, sb), {}),
        ("a perfect ranking", (np.array([0, 0, 1, 0, 1]), np.array([0.1, 0.2, 0.9, 0.3, 0.8])), {}),
    ]
    results = grading.compare_cases(student, average_precision, cases, atol=1e-10)
    slips = [
        (_ap_trapezoid, "this is the trapezoid area under the PR curve; AP uses steps: sum (R_n - R_{n-1}) P_n."),
        (average_precision_11pt, "this is the 11-point interpolated AP; use every threshold and no interpolation."),
        (_ap_without_tie_groups, "points with equal scores share one threshold: group ties before the sum."),
    ]
    for (label, (y, s), _), res in zip(cases, results):
        if res.passed or res.hint == grading._NOT_DONE:
            continue
        got = _call(student, y, s)
        for slip, hint in slips:
            if got is not None and _close(got, slip(y, s), atol=1e-10):
                res.hint += " Hint: " + hint
                break
    return results


# The coursekit function each exercise re-implements: the grader gives 0 to a student's function that
# calls it ("used the reference implementation"). Exercise id -> dotted name (or a tuple of names).
REFERENCES = {
    "ch03.softmax_cross_entropy_grad": ("coursekit.learn.linear.softmax_cross_entropy", "coursekit.learn.linear.softmax"),
    "ch03.kmeans_plus_plus_init": "coursekit.learn.clustering.kmeans_plus_plus_init",
    "ch03.average_precision": ("coursekit.metrics.classification.average_precision", "coursekit.metrics.classification.precision_recall_curve"),
}
