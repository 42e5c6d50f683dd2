"""The graded checks of Chapter 3's classical exercises: the reference passes, typical mistakes fail with a
hint that names the mistake (and no reference values), a stub is "not done"."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit import grading
from coursekit.learn.clustering import kmeans_plus_plus_init, pairwise_sq_dists
from coursekit.core.numerics import softmax
from coursekit.learn.linear import softmax_cross_entropy
from coursekit.metrics.classification import average_precision, average_precision_11pt, precision_recall_curve


def _stub(*args, **kwargs):
    raise NotImplementedError


@pytest.mark.parametrize("eid,reference", [
    ("ch03.softmax_cross_entropy_grad", softmax_cross_entropy),
    ("ch03.kmeans_plus_plus_init", kmeans_plus_plus_init),
    ("ch03.average_precision", average_precision),
])
def test_reference_passes_and_stub_is_not_done(eid, reference):
    result = grading.run_check(eid, reference, points=3)
    assert result.passed and result.points == 3 and len(result.cases) >= 4
    stub = grading.run_check(eid, _stub, points=3)
    assert stub.status == "not-done" and stub.points == 0


def _hints(eid, fn):
    result = grading.run_check(eid, fn)
    assert not result.passed
    return " ".join(c.hint for c in result.cases if not c.passed)


# ----------------------------------------------------------------------------- softmax CE

def _naive_ce(Z, y):                       # no max subtraction: overflows for large logits
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        E = np.exp(Z)
        P = E / E.sum(1, keepdims=True)
        loss = float(-np.mean(np.log(P[np.arange(len(y)), y])))
    return loss, (P - np.eye(Z.shape[1])[y]) / len(y)


def test_softmax_ce_slips_get_named():
    assert "subtract each row's maximum" in _hints("ch03.softmax_cross_entropy_grad", _naive_ce)
    flipped = lambda Z, y: (softmax_cross_entropy(Z, y)[0], -softmax_cross_entropy(Z, y)[1])
    assert "wrong sign" in _hints("ch03.softmax_cross_entropy_grad", flipped)
    unscaled = lambda Z, y: (softmax_cross_entropy(Z, y)[0], softmax_cross_entropy(Z, y)[1] * len(y))
    assert "divided by B" in _hints("ch03.softmax_cross_entropy_grad", unscaled)
    summed = lambda Z, y: (softmax_cross_entropy(Z, y)[0] * len(y), softmax_cross_entropy(Z, y)[1])
    assert "mean loss" in _hints("ch03.softmax_cross_entropy_grad", summed)
    only_p = lambda Z, y: softmax(Z)
    assert "tuple" in _hints("ch03.softmax_cross_entropy_grad", only_p)


# ----------------------------------------------------------------------------- k-means++

def _kpp(X, K, rng, power=2.0, nearest=True, first=None):
    N = X.shape[0]
    idx = [int(rng.integers(N)) if first is None else first]
    d2 = pairwise_sq_dists(X, X[idx])[:, 0]
    for _ in range(1, K):
        w = d2 ** (power / 2)
        i = int(rng.choice(N, p=w / w.sum()))
        idx.append(i)
        new = pairwise_sq_dists(X, X[i:i + 1])[:, 0]
        d2 = np.minimum(d2, new) if nearest else new
    return X[idx]


def test_kmeans_plus_plus_slips_get_named():
    assert "squared distance" in _hints("ch03.kmeans_plus_plus_init", lambda X, K, r: _kpp(X, K, r, power=1.0))
    assert "nearest" in _hints("ch03.kmeans_plus_plus_init", lambda X, K, r: _kpp(X, K, r, nearest=False))
    assert "rng.integers(N)" in _hints("ch03.kmeans_plus_plus_init", lambda X, K, r: _kpp(X, K, r, first=0))
    means = lambda X, K, r: kmeans_plus_plus_init(X, K, r) + 1e-3
    assert "one of the data points" in _hints("ch03.kmeans_plus_plus_init", means)
    # an extra draw (e.g. shuffling X first) changes every later choice: the generic procedure hint
    def extra_draw(X, K, r):
        r.random()
        return kmeans_plus_plus_init(X, K, r)
    assert "exactly once" in _hints("ch03.kmeans_plus_plus_init", extra_draw) or \
        "rng.integers(N)" in _hints("ch03.kmeans_plus_plus_init", extra_draw)


# ----------------------------------------------------------------------------- average precision

def test_average_precision_slips_get_named():
    def trapezoid(y, s):
        p, r, _ = precision_recall_curve(y, s)
        r, p = np.r_[0.0, r], np.r_[1.0, p]
        return float(np.sum(np.diff(r) * (p[1:] + p[:-1]) / 2))

    def untied(y, s):
        yy = y[np.argsort(-s, kind="mergesort")]
        return float(np.sum(np.cumsum(yy) / np.arange(1, yy.size + 1) * yy) / yy.sum())

    assert "trapezoid" in _hints("ch03.average_precision", trapezoid)
    assert "11-point" in _hints("ch03.average_precision", average_precision_11pt)
    result = grading.run_check("ch03.average_precision", untied)
    failed = [c for c in result.cases if not c.passed]
    passed = {c.label for c in result.cases if c.passed}
    assert any("many ties" in c.label and "group ties" in c.hint for c in failed)
    assert {"random scores, balanced labels", "a perfect ranking"} <= passed     # no ties there


def test_hints_never_print_reference_values():
    rng = grading.rng_for("ch03.average_precision")
    report = grading.run_check("ch03.average_precision", lambda y, s: 0.5).report()
    y = rng.integers(0, 2, 100)
    ap = average_precision(y, rng.normal(size=100))
    assert f"{ap:.3f}" not in report and f"{ap:.4f}" not in report
