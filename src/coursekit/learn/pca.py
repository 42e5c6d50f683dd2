"""Principal component analysis, two ways: eigendecomposition of the covariance and SVD of the data.

Chapter 3 (Machine learning recap), classical half. Both routes give the same directions of maximal
variance; the SVD never forms ``X^T X`` and so does not square the condition number.

References
----------
K. Pearson, "On lines and planes of closest fit to systems of points in space", Phil. Mag. 2, 1901.
H. Hotelling, "Analysis of a complex of statistical variables into principal components",
J. Educ. Psychol. 24, 1933.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from coursekit.core.validation import check_array

__all__ = ["PCAResult", "pca_eig", "pca_svd", "pca_transform", "pca_reconstruct"]


@dataclass
class PCAResult:
    """A fitted PCA.

    Attributes
    ----------
    mean : (D,) ndarray
        The training mean (subtracted before projecting).
    components : (M, D) ndarray
        Orthonormal principal directions, one per row, by decreasing variance; each row's entry of
        largest magnitude is positive (a deterministic sign).
    explained_variance : (M,) ndarray
        Variance of the data along each direction (eigenvalues of the covariance, ``1/(N-1)`` convention).
    explained_variance_ratio : (M,) ndarray
        ``explained_variance`` divided by the total variance (all D eigenvalues).

    Examples
    --------
    >>> p = pca_eig(np.array([[0.0, 0.0], [2.0, 2.0], [1.0, 1.0]]), n_components=1)
    >>> p.mean, p.components.round(6), p.explained_variance_ratio
    (array([1., 1.]), array([[0.707107, 0.707107]]), array([1.]))
    """

    mean: np.ndarray
    components: np.ndarray
    explained_variance: np.ndarray
    explained_variance_ratio: np.ndarray


def _prepare(X, n_components):
    X = check_array(X, "X", ndim=2, dtype_kind="fiu").astype(np.float64)
    N, D = X.shape
    if N < 2 or D < 1:
        raise ValueError(f"PCA needs at least 2 points of dimension >= 1, got X of shape {X.shape}.")
    M = min(N, D) if n_components is None else n_components
    if isinstance(M, bool) or not isinstance(M, numbers.Integral) or not 1 <= M <= min(N, D):
        raise ValueError(f"n_components must be an integer in [1, min(N, D) = {min(N, D)}], got {n_components!r}.")
    mean = X.mean(axis=0)                                      # (D,)
    return X - mean, mean, int(M)


def _fix_signs(V: np.ndarray) -> np.ndarray:
    """Flip each row so that its largest-magnitude entry is positive."""
    big = np.argmax(np.abs(V), axis=1)                         # (M,)
    return V * np.sign(V[np.arange(V.shape[0]), big])[:, None]


def pca_eig(X, n_components: int | None = None) -> PCAResult:
    """PCA by eigendecomposition of the sample covariance ``S = Xc^T Xc / (N - 1)``.

    Defined in :ref:`sec-pca` (Eq. :eq:`eq-pca-covariance`).

    Parameters
    ----------
    X : (N, D) ndarray
    n_components : int, optional
        M; default ``min(N, D)``.

    Returns
    -------
    PCAResult

    Notes
    -----
    1. Centre: ``Xc = X - mean``.
    2. ``S = Xc^T Xc / (N - 1)``, a D×D symmetric matrix; ``np.linalg.eigh`` gives ascending eigenvalues.
    3. Keep the M largest and their eigenvectors. Cost O(N D^2 + D^3).

    Examples
    --------
    >>> X = np.array([[-2.0, 0.0], [2.0, 0.0], [0.0, -1.0], [0.0, 1.0]])
    >>> p = pca_eig(X)
    >>> p.components.round(6), p.explained_variance.round(6)
    (array([[1., 0.],
           [0., 1.]]), array([2.666667, 0.666667]))
    """
    Xc, mean, M = _prepare(X, n_components)
    S = Xc.T @ Xc / (Xc.shape[0] - 1)                          # (D, D) covariance
    evals, evecs = np.linalg.eigh(S)                           # ascending; evecs[:, j] is the j-th vector
    order = np.argsort(evals)[::-1]
    evals = np.maximum(evals[order], 0.0)                      # round-off can make tiny ones negative
    V = _fix_signs(evecs[:, order[:M]].T)                      # (M, D)
    return PCAResult(mean, V, evals[:M], evals[:M] / evals.sum())


def pca_svd(X, n_components: int | None = None) -> PCAResult:
    """PCA by the thin SVD of the centred data ``Xc = U Sigma V^T``: components are the rows of ``V^T``.

    Defined in :ref:`sec-pca` (Eq. :eq:`eq-pca-svd`).

    Parameters
    ----------
    X : (N, D) ndarray
    n_components : int, optional

    Returns
    -------
    PCAResult
        The same as :func:`pca_eig` up to round-off: ``S = V Sigma^2 V^T / (N - 1)``, so the
        eigenvalues are ``sigma_j^2 / (N - 1)``.

    Notes
    -----
    ``np.linalg.svd(Xc, full_matrices=False)``; cost O(N D min(N, D)). Working on ``Xc`` rather than
    ``Xc^T Xc`` keeps small variances accurate (the covariance squares the condition number).

    Examples
    --------
    >>> X = np.array([[-2.0, 0.0], [2.0, 0.0], [0.0, -1.0], [0.0, 1.0]])
    >>> pca_svd(X).explained_variance_ratio.round(3)
    array([0.8, 0.2])
    """
    Xc, mean, M = _prepare(X, n_components)
    _, s, Vt = np.linalg.svd(Xc, full_matrices=False)          # s (min(N, D),), Vt (min(N, D), D)
    var = s ** 2 / (Xc.shape[0] - 1)
    total = (Xc ** 2).sum() / (Xc.shape[0] - 1)                # trace of S = sum of all D eigenvalues
    return PCAResult(mean, _fix_signs(Vt[:M]), var[:M], var[:M] / total)


def pca_transform(X, pca: PCAResult) -> np.ndarray:
    """Coordinates of ``X`` (N, D) in the principal basis: ``Z = (X - mean) V^T``, shape (N, M).

    Defined in :ref:`sec-pca` (Eq. :eq:`eq-pca-projection`).

    Parameters
    ----------
    X : (N, D) ndarray
        Points in data space.
    pca : PCAResult
        A fitted PCA (:func:`pca_eig` or :func:`pca_svd`) with M components.

    Returns
    -------
    (N, M) ndarray of float64
        The coordinates along each principal direction.

    Examples
    --------
    >>> p = pca_eig(np.array([[0.0, 0.0], [2.0, 2.0]]), n_components=1)
    >>> pca_transform(np.array([[2.0, 2.0]]), p).round(6)
    array([[1.414214]])
    """
    D = pca.mean.shape[0]
    X = check_array(X, "X", ndim=2, dtype_kind="fiu", shape=(None, D)).astype(np.float64)
    return (X - pca.mean) @ pca.components.T                   # (N, M)


def pca_reconstruct(Z, pca: PCAResult) -> np.ndarray:
    """Map principal coordinates ``Z`` (N, M) back to data space: ``X_hat = Z V + mean``, shape (N, D).

    Defined in :ref:`sec-pca` (Eq. :eq:`eq-pca-projection`).

    The squared reconstruction error averaged over the training set equals ``(N-1)/N`` times the sum of
    the discarded eigenvalues.

    Parameters
    ----------
    Z : (N, M) ndarray
        Principal coordinates, e.g. from :func:`pca_transform`.
    pca : PCAResult
        The fitted PCA they belong to.

    Returns
    -------
    (N, D) ndarray of float64
        The points in data space, restricted to the span of the M components.

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [2.0, 2.0]])
    >>> p = pca_eig(X, n_components=1)
    >>> pca_reconstruct(pca_transform(X, p), p).round(6)
    array([[0., 0.],
           [2., 2.]])
    """
    M = pca.components.shape[0]
    Z = check_array(Z, "Z", ndim=2, dtype_kind="fiu", shape=(None, M)).astype(np.float64)
    return Z @ pca.components + pca.mean                       # (N, D)
