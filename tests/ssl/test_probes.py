"""Tests for coursekit.ssl.probes against scikit-learn (LogisticRegression, KNeighborsClassifier) and NumPy."""

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from coursekit.ssl.probes import embedding_spread, knn_accuracy, linear_probe_accuracy, standardize


def _blobs(seed, n=60, d=5, k=3, spread=1.5):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, d)) * 3
    y = rng.integers(0, k, n)
    return centres[y] + spread * rng.normal(size=(n, d)), y


def test_standardize_uses_train_statistics():
    a, b = np.array([[0.0, 1.0], [2.0, 5.0]]), np.array([[1.0, 3.0]])
    tr, te = standardize(torch.tensor(a), b)
    np.testing.assert_allclose(tr.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(te, [[0.0, 0.0]], atol=1e-12)


def test_linear_probe_close_to_sklearn_logistic_regression():
    Xtr, ytr = _blobs(0, 200)
    centres = np.random.default_rng(0).normal(size=(3, 5)) * 3     # the centres _blobs(0) used
    yte = np.random.default_rng(7).integers(0, 3, 150)
    Xte = centres[yte] + 1.5 * np.random.default_rng(8).normal(size=(150, 5))
    ours = linear_probe_accuracy(Xtr, ytr, Xte, yte, l2=1e-3, n_iter=500)
    mu, sd = Xtr.mean(0), Xtr.std(0)
    sk = LogisticRegression(C=1.0 / (1e-3 * len(ytr)), max_iter=2000).fit((Xtr - mu) / sd, ytr)
    ref = float((sk.predict((Xte - mu) / sd) == yte).mean())
    assert abs(ours - ref) <= 0.02        # same model family; GD after 500 steps vs L-BFGS optimum: ≤ 3 of 150 differ
    assert ours > 0.8


def test_knn_accuracy_equals_sklearn_cosine_knn():
    Xtr, ytr = _blobs(2, 80)
    Xte, yte = _blobs(2, 80)[0] + 0.3, _blobs(2, 80)[1]
    for k in (1, 3, 7):
        sk = KNeighborsClassifier(n_neighbors=k, metric="cosine", algorithm="brute").fit(Xtr, ytr)
        assert knn_accuracy(Xtr, ytr, Xte, yte, k=k) == pytest.approx(float((sk.predict(Xte) == yte).mean()))


def test_embedding_spread():
    z = torch.randn(4000, 16, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    zn = z / z.norm(dim=1, keepdim=True)
    assert embedding_spread(z) == pytest.approx(float(zn.std(0, unbiased=False).mean()), abs=1e-12)
    assert embedding_spread(z) == pytest.approx(1 / 16 ** 0.5, rel=0.05)   # uniform on the sphere: var 1/D per axis
    assert embedding_spread(torch.ones(10, 4) * 3) == 0.0


def test_bad_inputs():
    with pytest.raises(ValueError):
        linear_probe_accuracy(np.zeros((4, 2)), np.zeros(4, int), np.zeros((3, 3)), np.zeros(3, int))
    with pytest.raises(ValueError):
        knn_accuracy(np.zeros((4, 2)), np.zeros(4, int), np.ones((3, 2)), np.zeros(2, int))
    with pytest.raises(ValueError):
        embedding_spread(torch.zeros(1, 3))
    with pytest.raises(ValueError):
        embedding_spread(torch.zeros(3))
