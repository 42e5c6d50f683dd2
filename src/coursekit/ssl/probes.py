"""Evaluating a representation without fine-tuning: linear probe, kNN, and a collapse diagnostic.

Chapter 12, section "Evaluation". A self-supervised encoder is frozen; its features of labelled images are
classified by a linear softmax regression (Chapter 3) and by k nearest neighbours on cosine similarity
(Chapter 3). The same recipe on a randomly initialised encoder is the honest baseline. The spread of the
normalised embeddings detects collapse: it is 0 when every image maps to one point and about ``1/√D`` for
well-spread unit vectors (Chen and He, SimSiam).

References
----------
- G. Alain and Y. Bengio, "Understanding intermediate layers using linear classifier probes", 2016.
- Z. Wu, Y. Xiong, S. Yu and D. Lin, "Unsupervised feature learning via non-parametric instance
  discrimination", CVPR 2018 (kNN evaluation).
- X. Chen and K. He, "Exploring simple Siamese representation learning", CVPR 2021 (collapse diagnostic).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from coursekit.core.validation import check_int, check_nonnegative, check_shape
from coursekit.learn.linear import fit_softmax_regression
from coursekit.learn.neighbors import knn_predict

__all__ = ["standardize", "linear_probe_accuracy", "knn_accuracy", "embedding_spread"]


def _np(a) -> np.ndarray:
    return a.detach().cpu().double().numpy() if isinstance(a, torch.Tensor) else np.asarray(a, dtype=np.float64)


def standardize(train, test) -> tuple[np.ndarray, np.ndarray]:
    """Centre and scale features with the training set's mean and standard deviation per dimension.

    Defined in :ref:`sec-ssl-eval`.

    Parameters
    ----------
    train : (N, D) array or Tensor
    test : (M, D) array or Tensor

    Returns
    -------
    (N, D) ndarray, (M, D) ndarray
        ``(f - μ) / (σ + 1e-8)`` with μ, σ of ``train``.

    Examples
    --------
    >>> a, b = standardize(np.array([[0.0], [2.0]]), np.array([[1.0]]))
    >>> a.ravel().round(6).tolist(), b.ravel().tolist()
    ([-1.0, 1.0], [0.0])
    """
    train, test = _np(train), _np(test)
    D = check_shape(train, "N D", "train")["D"]
    check_shape(test, "M D", "test", D=D)
    mu, sd = train.mean(0), train.std(0)
    return (train - mu) / (sd + 1e-8), (test - mu) / (sd + 1e-8)


def linear_probe_accuracy(f_train, y_train, f_test, y_test, l2: float = 1e-3, n_iter: int = 300) -> float:
    """Test accuracy of a softmax regression trained on frozen, standardised features.

    Defined in :ref:`sec-ssl-eval` (Eq. :eq:`eq-ssl-probe`).

    Parameters
    ----------
    f_train, f_test : (N, D), (M, D) array or Tensor
        Features of the labelled training and test images.
    y_train, y_test : (N,), (M,) array or Tensor of int
        Their labels.
    l2 : float
        Weight penalty of :func:`coursekit.learn.linear.fit_softmax_regression`, >= 0.
    n_iter : int
        Full-batch gradient steps.

    Returns
    -------
    float
        Fraction of test images classified correctly.

    Examples
    --------
    >>> f = np.array([[0.0], [0.1], [1.0], [1.1]]); y = np.array([0, 0, 1, 1])
    >>> linear_probe_accuracy(f, y, f, y)
    1.0
    """
    Xtr, Xte = standardize(f_train, f_test)
    y_train, y_test = _np(y_train).astype(np.int64), _np(y_test).astype(np.int64)
    check_shape(y_test, "M", "y_test", M=len(Xte))
    clf = fit_softmax_regression(Xtr, y_train, l2=check_nonnegative(l2, "l2"), n_iter=check_int(n_iter, "n_iter"))
    return float((clf.predict(Xte) == y_test).mean())


def knn_accuracy(f_train, y_train, f_test, y_test, k: int = 5) -> float:
    """Test accuracy of k-nearest-neighbour voting on cosine similarity (features L2-normalised first).

    Defined in :ref:`sec-ssl-eval`.

    Parameters
    ----------
    f_train, f_test : (N, D), (M, D) array or Tensor
        Features.
    y_train, y_test : (N,), (M,) array or Tensor of int
        Labels.
    k : int
        Neighbours that vote.

    Returns
    -------
    float
        Fraction correct. On unit vectors, Euclidean order equals cosine order (``|a-b|² = 2 - 2 a·b``).

    Examples
    --------
    >>> f = np.array([[1.0, 0.1], [1.0, 0.0], [0.0, 1.0], [0.1, 1.0]]); y = np.array([0, 0, 1, 1])
    >>> knn_accuracy(f, y, f, y, k=1)
    1.0
    """
    a = F.normalize(torch.as_tensor(_np(f_train)), dim=1).numpy()
    b = F.normalize(torch.as_tensor(_np(f_test)), dim=1).numpy()
    check_shape(b, "M D", "f_test", D=check_shape(a, "N D", "f_train")["D"])
    y_test = _np(y_test).astype(np.int64)
    check_shape(y_test, "M", "y_test", M=len(b))
    pred = knn_predict(a, _np(y_train).astype(np.int64), b, k=k)
    return float((pred == y_test).mean())


def embedding_spread(z: torch.Tensor) -> float:
    """Mean over dimensions of the standard deviation of L2-normalised embeddings: 0 means collapse.

    Defined in :ref:`sec-ssl-collapse` (Eq. :eq:`eq-ssl-spread`).

    Parameters
    ----------
    z : (N, D) Tensor
        Embeddings of N images, N >= 2.

    Returns
    -------
    float
        ``mean_d std_i ẑ_id``; about ``1/√D`` for unit vectors spread over the sphere, 0 if all are equal.

    Examples
    --------
    >>> embedding_spread(torch.ones(5, 3))
    0.0
    """
    check_shape(z, "N D", "z")
    if z.shape[0] < 2:
        raise ValueError("need at least 2 embeddings to measure their spread.")
    return float(F.normalize(z.detach().double(), dim=1).std(dim=0, unbiased=False).mean())
