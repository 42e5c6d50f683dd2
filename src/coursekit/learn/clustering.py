"""Clustering: k-means (Lloyd's iterations), k-means++ seeding, Gaussian mixtures fitted by EM.

Chapter 3 (Machine learning recap), classical half. k-means makes hard assignments and implicitly assumes
round clusters of equal size; a Gaussian mixture makes soft assignments (responsibilities) and learns a
full covariance per cluster. EM never decreases the data's log-likelihood.

References
----------
S. P. Lloyd, "Least squares quantization in PCM", IEEE Trans. Inf. Theory 28, 1982.
D. Arthur and S. Vassilvitskii, "k-means++: the advantages of careful seeding", SODA 2007.
A. P. Dempster, N. M. Laird and D. B. Rubin, "Maximum likelihood from incomplete data via the EM
algorithm", J. R. Stat. Soc. B 39, 1977.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from coursekit.core.validation import check_array, check_nonnegative

__all__ = [
    "pairwise_sq_dists", "kmeans_plus_plus_init", "KMeansResult", "lloyd", "kmeans", "gaussian_log_pdf",
    "GMMResult", "gmm_em",
]


def _check_X(X) -> np.ndarray:
    X = check_array(X, "X", ndim=2, dtype_kind="fiu")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X is empty (shape {X.shape}); expected (N, D) points with N, D >= 1.")
    return X.astype(np.float64, copy=False)


def _check_K(K, N: int) -> int:
    if isinstance(K, bool) or not isinstance(K, numbers.Integral) or not 1 <= K <= N:
        raise ValueError(f"K must be an integer between 1 and the number of points N = {N}, got {K!r}.")
    return int(K)


def pairwise_sq_dists(A, B) -> np.ndarray:
    """Squared Euclidean distances between the rows of ``A`` (N, D) and ``B`` (K, D): an (N, K) array.

    Uses ``||a||^2 - 2 a.b + ||b||^2`` (one matrix product) and clips the tiny negative values that
    cancellation can produce.

    Parameters
    ----------
    A : (N, D) array_like
        N points.
    B : (K, D) array_like
        K points (e.g. cluster centres), in the same D dimensions.

    Returns
    -------
    (N, K) ndarray of float64
        ``||A[n] - B[k]||^2``, never negative.

    Examples
    --------
    >>> pairwise_sq_dists(np.array([[0.0, 0.0], [3.0, 4.0]]), np.array([[0.0, 0.0]]))
    array([[ 0.],
           [25.]])
    """
    A, B = np.asarray(A, dtype=np.float64), np.asarray(B, dtype=np.float64)
    d2 = (A ** 2).sum(1)[:, None] - 2.0 * A @ B.T + (B ** 2).sum(1)[None, :]   # (N, K)
    return np.maximum(d2, 0.0)


def kmeans_plus_plus_init(X, K: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ seeding: each new centre is a data point drawn with probability proportional to D(x)^2.

    Defined in :ref:`sec-kmeans` (Eq. :eq:`eq-kmeans-plus-plus`).

    Parameters
    ----------
    X : (N, D) ndarray
    K : int
        Number of centres, ``1 <= K <= N``.
    rng : np.random.Generator
        The only source of randomness. The exact draws are: ``i = rng.integers(N)`` for the first centre,
        then for each further centre one ``i = rng.choice(N, p=d2 / d2.sum())``, where ``d2`` holds every
        point's squared distance to its nearest centre chosen so far.

    Returns
    -------
    (K, D) ndarray of float64
        The chosen rows of ``X``, in the order they were chosen.

    Notes
    -----
    Arthur & Vassilvitskii prove the expected k-means cost of this seeding is within ``8 (ln K + 2)``
    of the optimum. scikit-learn's default draws ``2 + ln K`` candidates per step and keeps the best
    ("greedy k-means++"), so its centres differ from these.

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [10.0, 10.0], [10.1, 10.0]])
    >>> C = kmeans_plus_plus_init(X, 2, np.random.default_rng(0))
    >>> bool(abs(C[0, 0] - C[1, 0]) > 5)          # one centre in each far-apart pair
    True
    """
    X = _check_X(X)
    N = X.shape[0]
    K = _check_K(K, N)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a np.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}.")
    idx = [int(rng.integers(N))]
    d2 = pairwise_sq_dists(X, X[idx])[:, 0]                   # (N,) squared distance to the nearest centre
    for _ in range(1, K):
        total = d2.sum()
        if total <= 0:
            raise ValueError(f"X has fewer than K = {K} distinct points; k-means++ cannot pick {K} centres.")
        i = int(rng.choice(N, p=d2 / total))
        idx.append(i)
        d2 = np.minimum(d2, pairwise_sq_dists(X, X[i:i + 1])[:, 0])
    return X[idx].copy()                                      # (K, D)


@dataclass
class KMeansResult:
    """The outcome of k-means, as returned by :func:`lloyd` and :func:`kmeans`.

    Attributes
    ----------
    centres : (K, D) ndarray of float64
    labels : (N,) ndarray of int64
        Index of the nearest centre of every point.
    inertia : list of float
        ``sum_i ||x_i - mu_{c_i}||^2`` after each assignment step (non-increasing).
    history : list of (K, D) ndarray
        The centres before each iteration and at the end (for animations).
    n_iter : int
        Iterations run.

    Examples
    --------
    >>> result = lloyd(np.array([[0.0], [1.0], [9.0], [11.0]]), np.array([[0.0], [1.0]]))
    >>> result.labels.tolist(), result.n_iter, result.inertia[-1]
    ([0, 0, 1, 1], 3, 2.5)
    """

    centres: np.ndarray
    labels: np.ndarray
    inertia: list
    history: list
    n_iter: int


def lloyd(X, centres, max_iter: int = 300) -> KMeansResult:
    """Lloyd's iterations for k-means from given initial centres, until the assignments stop changing.

    Defined in :ref:`sec-kmeans` (Eq. :eq:`eq-kmeans`).

    Parameters
    ----------
    X : (N, D) ndarray
    centres : (K, D) ndarray
        Initial centres.
    max_iter : int

    Returns
    -------
    KMeansResult

    Notes
    -----
    1. Assign: ``c_i = argmin_k ||x_i - mu_k||^2``.
    2. Update: ``mu_k = mean of the points with c_i = k``; a centre that lost all its points stays put.

    Each step can only lower the objective, and there are finitely many assignments, so it stops.
    The result equals ``sklearn.cluster.KMeans(init=centres, n_init=1, algorithm="lloyd")`` when no
    cluster empties (scikit-learn moves an empty centre to a far point instead).

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [9.0], [11.0]])
    >>> lloyd(X, np.array([[0.0], [1.0]])).centres.ravel()
    array([ 0.5, 10. ])
    """
    X = _check_X(X)
    N, D = X.shape
    mu = check_array(centres, "centres", ndim=2, dtype_kind="fiu", shape=(None, D)).astype(np.float64).copy()
    K = _check_K(mu.shape[0], N)
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
        raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}.")
    labels, inertia, history = None, [], [mu.copy()]
    for it in range(1, max_iter + 1):
        d2 = pairwise_sq_dists(X, mu)                          # (N, K)
        new = np.argmin(d2, axis=1)                            # (N,) assignment step
        inertia.append(float(d2[np.arange(N), new].sum()))
        if labels is not None and np.array_equal(new, labels):
            break
        labels = new
        counts = np.bincount(labels, minlength=K)              # (K,)
        sums = np.zeros((K, D))
        np.add.at(sums, labels, X)                             # (K, D) sum of each cluster's points
        keep = counts > 0
        mu[keep] = sums[keep] / counts[keep, None]             # update step
        history.append(mu.copy())
    return KMeansResult(centres=mu, labels=labels.astype(np.int64), inertia=inertia, history=history, n_iter=it)


def kmeans(X, K: int, rng: np.random.Generator, max_iter: int = 300) -> KMeansResult:
    """k-means: k-means++ seeding (:func:`kmeans_plus_plus_init`) followed by :func:`lloyd`.

    Defined in :ref:`sec-kmeans` (Eq. :eq:`eq-kmeans`).

    Parameters
    ----------
    X : (N, D) ndarray
        The points.
    K : int
        Number of clusters, ``1 <= K <= N``.
    rng : np.random.Generator
        Draws the k-means++ seeds (the only randomness).
    max_iter : int
        Upper bound on Lloyd's iterations.

    Returns
    -------
    KMeansResult
        Centres, labels, the inertia after each assignment step, the centres' history.

    Examples
    --------
    >>> X = np.array([[0.0], [0.2], [5.0], [5.2]])
    >>> sorted(kmeans(X, 2, np.random.default_rng(1)).centres.ravel().round(3).tolist())
    [0.1, 5.1]
    """
    return lloyd(X, kmeans_plus_plus_init(X, K, rng), max_iter=max_iter)


def gaussian_log_pdf(X, mean, cov) -> np.ndarray:
    """Log-density of a multivariate normal at each row of ``X``, through a Cholesky factor.

    Defined in :ref:`sec-gmm-em` (Eq. :eq:`eq-gaussian-mixture`).

    ``log N(x | mu, S) = -1/2 (D log 2 pi + log det S + (x - mu)^T S^{-1} (x - mu))``, with
    ``S = L L^T``, ``log det S = 2 sum log diag L`` and the quadratic form ``||L^{-1}(x - mu)||^2``.

    Parameters
    ----------
    X : (N, D) ndarray
    mean : (D,) ndarray
    cov : (D, D) ndarray, symmetric positive definite

    Returns
    -------
    (N,) ndarray of float64

    Examples
    --------
    >>> round(float(gaussian_log_pdf(np.zeros((1, 2)), np.zeros(2), np.eye(2))[0]), 6)   # -log(2 pi)
    -1.837877
    """
    X = np.asarray(X, dtype=np.float64)
    D = X.shape[1]
    try:
        L = np.linalg.cholesky(cov)                            # (D, D) lower triangular
    except np.linalg.LinAlgError:
        raise ValueError("cov is not positive definite; add a small ridge (reg_covar) to its diagonal.") from None
    U = np.linalg.solve(L, (X - mean).T)                       # (D, N) = L^{-1} (x - mu)
    return -0.5 * (D * np.log(2 * np.pi) + 2.0 * np.log(np.diag(L)).sum() + (U ** 2).sum(0))


@dataclass
class GMMResult:
    """A Gaussian mixture fitted by EM.

    Attributes
    ----------
    weights : (K,) ndarray
        Mixing proportions pi_k.
    means : (K, D) ndarray
    covariances : (K, D, D) ndarray
    responsibilities : (N, K) ndarray
        gamma_ik of the final parameters; rows sum to 1.
    log_likelihood : list of float
        Mean log-likelihood ``1/N sum_i log p(x_i)`` of the initial parameters and after every EM step.

    Examples
    --------
    >>> X = np.array([[-2.0], [-1.8], [-2.2], [2.0], [1.8], [2.2]])
    >>> fit = gmm_em(X, np.array([0.5, 0.5]), np.array([[-1.0], [1.0]]), np.ones((2, 1, 1)), n_iter=50)
    >>> fit.means.ravel().round(3).tolist(), fit.responsibilities.sum(1).round(6).tolist()
    ([-2.0, 2.0], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    responsibilities: np.ndarray
    log_likelihood: list


def _e_step(X, weights, means, covs):
    log_joint = np.stack([np.log(w) + gaussian_log_pdf(X, m, S)
                          for w, m, S in zip(weights, means, covs)], axis=1)     # (N, K) log pi_k N(x|k)
    m = log_joint.max(axis=1, keepdims=True)
    log_px = m[:, 0] + np.log(np.exp(log_joint - m).sum(axis=1))                 # (N,) log-sum-exp
    return np.exp(log_joint - log_px[:, None]), float(log_px.mean())


def gmm_em(X, weights, means, covariances, n_iter: int = 100, reg_covar: float = 1e-6,
           tol: float = 0.0) -> GMMResult:
    """Fit a Gaussian mixture with full covariances by expectation-maximisation.

    Defined in :ref:`sec-gmm-em` (Eq. :eq:`eq-gmm-em`).

    Parameters
    ----------
    X : (N, D) ndarray
    weights : (K,) ndarray
        Initial mixing proportions (positive, summing to 1).
    means : (K, D) ndarray
        Initial means (e.g. k-means centres).
    covariances : (K, D, D) ndarray
        Initial covariances, symmetric positive definite.
    n_iter : int
        Maximum EM steps.
    reg_covar : float
        Added to every covariance's diagonal after the M-step (as scikit-learn does) so a component
        that collapses onto one point stays invertible. With ``reg_covar = 0`` the log-likelihood is
        provably non-decreasing; with a tiny ridge it is so in practice.
    tol : float
        Stop when the mean log-likelihood improves by less than ``tol``.

    Returns
    -------
    GMMResult

    Notes
    -----
    E-step: ``gamma_ik = pi_k N(x_i | mu_k, S_k) / sum_j pi_j N(x_i | mu_j, S_j)`` (in log space).
    M-step: ``N_k = sum_i gamma_ik``, ``pi_k = N_k / N``, ``mu_k = sum_i gamma_ik x_i / N_k``,
    ``S_k = sum_i gamma_ik (x_i - mu_k)(x_i - mu_k)^T / N_k``.

    Examples
    --------
    >>> X = np.array([[-1.0], [-1.2], [-0.8], [5.0], [5.3], [4.7]])
    >>> g = gmm_em(X, np.array([0.5, 0.5]), np.array([[0.0], [4.0]]), np.ones((2, 1, 1)), n_iter=20)
    >>> g.means.ravel().round(3), bool(np.all(np.diff(g.log_likelihood) >= -1e-12))
    (array([-1.,  5.]), True)
    """
    X = _check_X(X)
    N, D = X.shape
    means = check_array(means, "means", ndim=2, dtype_kind="fiu", shape=(None, D)).astype(np.float64)
    K = _check_K(means.shape[0], N)
    weights = check_array(weights, "weights", ndim=1, dtype_kind="fiu", shape=(K,)).astype(np.float64)
    covs = check_array(covariances, "covariances", ndim=3, dtype_kind="fiu", shape=(K, D, D)).astype(np.float64)
    if np.any(weights <= 0) or abs(weights.sum() - 1.0) > 1e-6:
        raise ValueError(f"weights must be positive and sum to 1, got sum {weights.sum():.6g} and min {weights.min():.3g}.")
    if not np.allclose(covs, np.swapaxes(covs, 1, 2)):
        raise ValueError("covariances must be symmetric matrices.")
    reg_covar = check_nonnegative(reg_covar, "reg_covar")
    gamma, ll = _e_step(X, weights, means, covs)
    history = [ll]
    for _ in range(n_iter):
        Nk = gamma.sum(axis=0) + 10 * np.finfo(float).eps                # (K,) effective counts
        weights = Nk / N                                                 # (K,)
        means = gamma.T @ X / Nk[:, None]                                # (K, D)
        Xc = X[None, :, :] - means[:, None, :]                           # (K, N, D) centred per component
        covs = np.einsum("nk,kni,knj->kij", gamma, Xc, Xc) / Nk[:, None, None]   # (K, D, D)
        covs += reg_covar * np.eye(D)
        gamma, ll = _e_step(X, weights, means, covs)
        history.append(ll)
        if tol > 0 and history[-1] - history[-2] < tol:
            break
    return GMMResult(weights=weights, means=means, covariances=covs, responsibilities=gamma,
                     log_likelihood=history)
