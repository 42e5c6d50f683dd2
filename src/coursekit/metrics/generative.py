"""Distances between a generative model's samples and the data.

The Fréchet distance between Gaussians fitted to features (FID), and the kernel maximum mean discrepancy
(MMD) with a Gaussian kernel.

Used by Chapter 17 (Generative models: diffusion).

References
----------
M. Heusel, H. Ramsauer, T. Unterthiner, B. Nessler and S. Hochreiter, "GANs trained by a two time-scale
update rule converge to a local Nash equilibrium", NeurIPS 2017 (FID).
D. C. Dowson and B. V. Landau, "The Fréchet distance between multivariate normal distributions", J.
Multivariate Anal. 1982.
A. Gretton, K. Borgwardt, M. Rasch, B. Schölkopf and A. Smola, "A kernel two-sample test", JMLR 2012 (MMD).
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array, check_positive

__all__ = ["gaussian_stats", "frechet_distance", "fid_from_features", "mmd_rbf"]


def _features(X, name: str) -> np.ndarray:
    X = check_array(np.asarray(X, dtype=np.float64) if not isinstance(X, np.ndarray) else X, name, ndim=2,
                    dtype_kind="fiu")
    if len(X) < 2:
        raise ValueError(f"{name} needs at least 2 rows (examples), got {len(X)}.")
    return X.astype(np.float64)


def gaussian_stats(X) -> tuple[np.ndarray, np.ndarray]:
    """Mean μ and covariance Σ (denominator N − 1) of feature vectors: the Gaussian that FID fits.

    Defined in :ref:`sec-diffusion-fid` (Eq. :eq:`eq-diffusion-fid`).

    Parameters
    ----------
    X : (N, D) array_like
        One feature vector per sample, N >= 2.

    Returns
    -------
    mu : (D,) ndarray of float64
    sigma : (D, D) ndarray of float64

    Examples
    --------
    >>> mu, S = gaussian_stats(np.array([[0.0, 0.0], [2.0, 0.0]]))
    >>> mu.tolist(), S.tolist()
    ([1.0, 0.0], [[2.0, 0.0], [0.0, 0.0]])
    """
    X = _features(X, "X")
    mu = X.mean(axis=0)                                     # (D,)
    centred = X - mu                                        # (N, D)
    return mu, centred.T @ centred / (len(X) - 1)           # (D,), (D, D)


def _psd_sqrt(S: np.ndarray) -> np.ndarray:
    """The symmetric square root of a symmetric PSD matrix through its eigendecomposition."""
    w, V = np.linalg.eigh(S)
    return (V * np.sqrt(np.clip(w, 0.0, None))) @ V.T


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """The Fréchet (2-Wasserstein²) distance of two Gaussians: ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^{1/2}).

    Defined in :ref:`sec-diffusion-fid` (Eq. :eq:`eq-diffusion-fid`).

    Parameters
    ----------
    mu1, mu2 : (D,) array_like
    sigma1, sigma2 : (D, D) array_like
        Symmetric positive semi-definite covariances.

    Returns
    -------
    float
        >= 0 (up to rounding); 0 exactly when the Gaussians are equal.

    Notes
    -----
    Σ₁Σ₂ is not symmetric, but it is similar to a symmetric PSD matrix, so its square root's trace is the sum of
    the square roots of that matrix's eigenvalues, and no complex arithmetic is needed (unlike
    ``scipy.linalg.sqrtm`` of Σ₁Σ₂, the test's oracle):

    1. With a Cholesky factor Σ₁ = L Lᵀ, Σ₁Σ₂ = L (Lᵀ Σ₂ L) L⁻¹ is similar to M = Lᵀ Σ₂ L.
    2. If Σ₁ is singular (no Cholesky factor), use its symmetric square root R instead: Σ₁Σ₂ = R (R Σ₂) has
       the eigenvalues of M = R Σ₂ R (AB and BA always share their characteristic polynomial).
    3. tr (Σ₁Σ₂)^{1/2} = Σ_i √λ_i(M), with λ clipped at 0 against rounding.

    Examples
    --------
    >>> frechet_distance([0.0], [[1.0]], [3.0], [[4.0]])
    10.0
    """
    mu1, mu2 = (check_array(np.asarray(m, dtype=np.float64), n, ndim=1) for m, n in ((mu1, "mu1"), (mu2, "mu2")))
    D = len(mu1)
    S1 = check_array(np.asarray(sigma1, dtype=np.float64), "sigma1", shape=(D, D))
    S2 = check_array(np.asarray(sigma2, dtype=np.float64), "sigma2", shape=(D, D))
    if mu2.shape != (D,):
        raise ValueError(f"mu2 must have shape ({D},) like mu1, got {mu2.shape}.")
    for S, name in ((S1, "sigma1"), (S2, "sigma2")):
        if not np.allclose(S, S.T, atol=1e-10 * max(1.0, np.abs(S).max())):
            raise ValueError(f"{name} must be a symmetric covariance matrix.")
    try:
        L = np.linalg.cholesky(S1)                                          # (D, D) Σ₁ = L Lᵀ
    except np.linalg.LinAlgError:                                           # singular Σ₁: its symmetric root
        L = _psd_sqrt(S1)
    M = L.T @ S2 @ L                                                        # (D, D) symmetric PSD, similar to Σ₁Σ₂
    tr_cross = np.sqrt(np.clip(np.linalg.eigvalsh((M + M.T) / 2), 0.0, None)).sum()
    value = float(((mu1 - mu2) ** 2).sum() + np.trace(S1) + np.trace(S2) - 2.0 * tr_cross)
    return max(value, 0.0)


def fid_from_features(features_a, features_b) -> float:
    """FID: :func:`frechet_distance` between Gaussians fitted to two sets of feature vectors.

    Defined in :ref:`sec-diffusion-fid` (Eq. :eq:`eq-diffusion-fid`).

    Parameters
    ----------
    features_a, features_b : (N, D) and (M, D) array_like
        Features of real and generated samples (Inception-v3 pool features in the paper; here a small CNN's).

    Returns
    -------
    float

    Notes
    -----
    FID is biased upwards for small N: two samples from one distribution do not score 0. Compare numbers
    computed with the same N and the same feature network only.

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(500, 2))
    >>> fid_from_features(X, X)
    0.0
    """
    A, B = _features(features_a, "features_a"), _features(features_b, "features_b")
    if A.shape[1] != B.shape[1]:
        raise ValueError(f"the two feature sets must have the same width, got {A.shape[1]} and {B.shape[1]}.")
    return frechet_distance(*gaussian_stats(A), *gaussian_stats(B))


def mmd_rbf(X, Y, bandwidth: float = 1.0) -> float:
    """Unbiased estimate of MMD² with the Gaussian kernel k(a, b) = exp(−‖a − b‖² / (2 h²)).

    Defined in :ref:`sec-diffusion-toy` (Eq. :eq:`eq-diffusion-mmd`).

    Parameters
    ----------
    X : (N, D) array_like
    Y : (M, D) array_like
        N, M >= 2.
    bandwidth : float
        h > 0.

    Returns
    -------
    float
        MMD²_u = mean_{i≠j} k(x_i, x_j) + mean_{i≠j} k(y_i, y_j) − 2 mean_{i,j} k(x_i, y_j); it can be slightly
        negative when the distributions are equal (it is unbiased).

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(300, 2))
    >>> abs(mmd_rbf(X, X + 3.0)) > 100 * abs(mmd_rbf(X[:150], X[150:]))
    True
    """
    X, Y = _features(X, "X"), _features(Y, "Y")
    if X.shape[1] != Y.shape[1]:
        raise ValueError(f"X and Y must have the same number of columns, got {X.shape[1]} and {Y.shape[1]}.")
    h = check_positive(bandwidth, "bandwidth")

    def gram(A, B):                                                         # (len(A), len(B))
        sq = (A ** 2).sum(1)[:, None] + (B ** 2).sum(1)[None, :] - 2.0 * A @ B.T
        return np.exp(-np.clip(sq, 0.0, None) / (2.0 * h * h))

    n, m = len(X), len(Y)
    Kxx, Kyy, Kxy = gram(X, X), gram(Y, Y), gram(X, Y)
    term_x = (Kxx.sum() - np.trace(Kxx)) / (n * (n - 1))
    term_y = (Kyy.sum() - np.trace(Kyy)) / (m * (m - 1))
    return float(term_x + term_y - 2.0 * Kxy.mean())
