"""Small tabular and sequence data sets: 2-D classification, mixtures, regression, RNN tasks.

Used by Chapter 3 (machine-learning recap: logistic regression, MLPs, k-means,
GMM by EM, class imbalance, RNN/LSTM), Chapter 17 (2-D toy distributions for a
diffusion model) and Chapter 18 (group-fairness metrics on generated scores).
Every function draws only from the ``rng`` it is given.

References
----------
Hochreiter & Schmidhuber, "Long Short-Term Memory", 1997 (adding problem).
Arjovsky, Shah & Bengio, "Unitary Evolution RNNs", ICML 2016 (copy task).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coursekit.core.validation import (
    check_fraction,
    check_int,
    check_nonnegative,
    check_positive,
    check_rng,
)

__all__ = [
    "blobs", "two_moons", "spirals", "imbalanced_blobs", "GaussianMixtureSample", "gaussian_mixture",
    "TOY_2D_NAMES", "two_d_mixture", "linear_regression", "sine_regression",
]


def blobs(n: int, rng: np.random.Generator, n_classes: int = 3, std: float = 0.5,
          spread: float = 3.0, dim: int = 2):
    """Isotropic Gaussian blobs, one per class, with centres drawn uniformly in a box.

    Parameters
    ----------
    n : int
        Number of points (split as evenly as possible over the classes).
    rng : np.random.Generator
    n_classes : int
        Number of blobs K.
    std : float
        Standard deviation of every blob.
    spread : float
        Centres are uniform in ``[-spread, spread]^dim``.
    dim : int
        Dimension of the points.

    Returns
    -------
    X : (n, dim) ndarray of float64
    y : (n,) ndarray of int64
        Labels in ``0..K-1``.

    Used in Chapter 3 (kNN, k-means, softmax regression).

    Examples
    --------
    >>> X, y = blobs(90, np.random.default_rng(0))
    >>> X.shape, y.shape, sorted(set(y.tolist()))
    ((90, 2), (90,), [0, 1, 2])
    """
    n = check_int(n, "n")
    check_rng(rng)
    n_classes = check_int(n_classes, "n_classes")
    std = check_positive(std, "std")
    spread = check_positive(spread, "spread")
    dim = check_int(dim, "dim")
    centres = rng.uniform(-spread, spread, size=(n_classes, dim))  # (K, dim)
    y = np.arange(n) % n_classes                                    # (n,)
    X = centres[y] + std * rng.standard_normal((n, dim))            # (n, dim)
    perm = rng.permutation(n)
    return X[perm], y[perm].astype(np.int64)


def two_moons(n: int, rng: np.random.Generator, noise: float = 0.1):
    """Two interleaving half circles (the classic non-linearly-separable set).

    Parameters
    ----------
    n : int
        Number of points; class 0 gets ``ceil(n/2)``.
    rng : np.random.Generator
    noise : float
        Standard deviation of the Gaussian noise added to each coordinate.

    Returns
    -------
    X : (n, 2) ndarray of float64
    y : (n,) ndarray of int64 in {0, 1}

    Notes
    -----
    Class 0: ``(cos t, sin t)``; class 1: ``(1 - cos t, 0.5 - sin t)``, with ``t ~ U[0, pi]``
    (the same geometry as ``sklearn.datasets.make_moons``).

    Used in Chapter 3 (logistic regression fails, an MLP succeeds).

    Examples
    --------
    >>> X, y = two_moons(100, np.random.default_rng(0), noise=0.0)
    >>> bool(np.allclose(np.hypot(*X[y == 0].T), 1.0))
    True
    """
    n = check_int(n, "n", minimum=2)
    check_rng(rng)
    noise = check_nonnegative(noise, "noise")
    y = (np.arange(n) >= (n + 1) // 2).astype(np.int64)   # (n,)
    t = rng.uniform(0.0, np.pi, size=n)
    X = np.where(y[:, None] == 0,
                 np.stack([np.cos(t), np.sin(t)], axis=1),
                 np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1))  # (n, 2)
    X = X + noise * rng.standard_normal((n, 2))
    perm = rng.permutation(n)
    return X[perm], y[perm]


def spirals(n: int, rng: np.random.Generator, n_classes: int = 2, turns: float = 1.5,
            noise: float = 0.05):
    """Interleaved Archimedean spirals, one arm per class.

    Parameters
    ----------
    n : int
        Number of points.
    rng : np.random.Generator
    n_classes : int
        Number of arms K (rotated by ``2 pi / K`` from each other).
    turns : float
        How many turns each arm makes.
    noise : float
        Standard deviation of the Gaussian noise per coordinate.

    Returns
    -------
    X : (n, 2) ndarray of float64
        Points inside the unit disc (before noise).
    y : (n,) ndarray of int64

    Used in Chapter 3 (depth and width of an MLP).

    Examples
    --------
    >>> X, y = spirals(200, np.random.default_rng(0), n_classes=3)
    >>> X.shape, int(y.max())
    ((200, 2), 2)
    """
    n = check_int(n, "n")
    check_rng(rng)
    n_classes = check_int(n_classes, "n_classes")
    turns = check_positive(turns, "turns")
    noise = check_nonnegative(noise, "noise")
    y = np.arange(n) % n_classes
    r = rng.uniform(0.05, 1.0, size=n)                                   # radius along the arm
    theta = 2 * np.pi * turns * r + 2 * np.pi * y / n_classes
    X = r[:, None] * np.stack([np.cos(theta), np.sin(theta)], axis=1)   # (n, 2)
    X = X + noise * rng.standard_normal((n, 2))
    perm = rng.permutation(n)
    return X[perm], y[perm].astype(np.int64)


def imbalanced_blobs(n: int, rng: np.random.Generator, positive_fraction: float = 0.05,
                     separation: float = 2.0):
    """A binary set where the positive class is rare (for weighted CE, focal loss, PR curves).

    Parameters
    ----------
    n : int
        Number of points.
    rng : np.random.Generator
    positive_fraction : float
        Fraction of points with label 1, in (0, 1); the count is ``max(1, round(n * fraction))``.
    separation : float
        Distance between the two class means (unit-variance Gaussians); small values overlap.

    Returns
    -------
    X : (n, 2) ndarray of float64
    y : (n,) ndarray of int64 in {0, 1}

    Used in Chapter 3 (class imbalance) and Chapter 5 (focal loss).

    Examples
    --------
    >>> X, y = imbalanced_blobs(1000, np.random.default_rng(0), positive_fraction=0.1)
    >>> int(y.sum())
    100
    """
    n = check_int(n, "n", minimum=2)
    check_rng(rng)
    positive_fraction = check_fraction(positive_fraction, "positive_fraction")
    if not 0.0 < positive_fraction < 1.0:
        raise ValueError(f"positive_fraction must lie strictly between 0 and 1, got {positive_fraction}.")
    separation = check_nonnegative(separation, "separation")
    n_pos = min(n - 1, max(1, round(n * positive_fraction)))
    y = np.zeros(n, dtype=np.int64)
    y[:n_pos] = 1
    X = rng.standard_normal((n, 2))
    X[:, 0] += separation * (y - 0.5)
    perm = rng.permutation(n)
    return X[perm], y[perm]


@dataclass
class GaussianMixtureSample:
    """Points drawn from a Gaussian mixture, with the parameters that generated them.

    Attributes
    ----------
    X : (n, D) ndarray of float64
    z : (n,) ndarray of int64
        The component each point came from.
    weights : (K,) ndarray of float64
        Mixing proportions pi_k (sum to 1).
    means : (K, D) ndarray of float64
    covariances : (K, D, D) ndarray of float64
        Symmetric positive definite.

    Examples
    --------
    >>> sample = gaussian_mixture(50, np.random.default_rng(0), n_components=3, dim=2)
    >>> sample.X.shape, sample.z.shape, float(sample.weights.sum())
    ((50, 2), (50,), 1.0)
    """

    X: np.ndarray
    z: np.ndarray
    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray


def gaussian_mixture(n: int, rng: np.random.Generator, n_components: int = 3, dim: int = 2,
                     spread: float = 4.0, scale: float = 1.0) -> GaussianMixtureSample:
    """Sample a random Gaussian mixture and ``n`` points from it (the truth EM should recover).

    Parameters
    ----------
    n : int
    rng : np.random.Generator
    n_components : int
        K.
    dim : int
        D.
    spread : float
        Means are uniform in ``[-spread, spread]^D``.
    scale : float
        Typical standard deviation of a component.

    Returns
    -------
    GaussianMixtureSample

    Notes
    -----
    Weights ~ Dirichlet(5, ..., 5) (no tiny components); each covariance is
    ``Q diag(s^2) Q^T`` with a random rotation Q and ``s ~ scale * U[0.4, 1]``.

    Used in Chapter 3 (GMM by EM vs ``sklearn.mixture.GaussianMixture``).

    Examples
    --------
    >>> g = gaussian_mixture(500, np.random.default_rng(0))
    >>> g.X.shape, g.means.shape, g.covariances.shape, round(float(g.weights.sum()), 6)
    ((500, 2), (3, 2), (3, 2, 2), 1.0)
    """
    n = check_int(n, "n")
    check_rng(rng)
    K = check_int(n_components, "n_components")
    D = check_int(dim, "dim")
    spread = check_positive(spread, "spread")
    scale = check_positive(scale, "scale")
    weights = rng.dirichlet(np.full(K, 5.0))                       # (K,)
    means = rng.uniform(-spread, spread, size=(K, D))              # (K, D)
    Q, R = np.linalg.qr(rng.standard_normal((K, D, D)))            # (K, D, D) random orthogonal
    s = scale * rng.uniform(0.4, 1.0, size=(K, D))                 # (K, D)
    covs = np.einsum("kij,kj,klj->kil", Q, s**2, Q)                # (K, D, D) = Q diag(s^2) Q^T
    covs = 0.5 * (covs + np.swapaxes(covs, 1, 2))
    z = rng.choice(K, size=n, p=weights).astype(np.int64)          # (n,)
    L = np.linalg.cholesky(covs)                                   # (K, D, D)
    X = means[z] + np.einsum("nij,nj->ni", L[z], rng.standard_normal((n, D)))
    return GaussianMixtureSample(X=X, z=z, weights=weights, means=means, covariances=covs)


TOY_2D_NAMES = ("eight_gaussians", "ring", "checkerboard", "swiss_roll", "moons")


def two_d_mixture(n: int, rng: np.random.Generator, name: str = "eight_gaussians",
                  noise: float = 0.05) -> np.ndarray:
    """Samples from a named 2-D toy distribution (the data of a toy diffusion model).

    Parameters
    ----------
    n : int
    rng : np.random.Generator
    name : {"eight_gaussians", "ring", "checkerboard", "swiss_roll", "moons"}
        ``eight_gaussians``: 8 equal Gaussians (std ``noise``) on a circle of radius 2;
        ``ring``: radius-1.5 circle plus radial noise; ``checkerboard``: uniform on the
        black squares of a 4x4 board over ``[-2, 2]^2``; ``swiss_roll``: a 2-D spiral scaled
        to about ``[-2, 2]^2``; ``moons``: :func:`two_moons` centred and scaled.
    noise : float
        Gaussian noise (ignored by ``checkerboard``).

    Returns
    -------
    (n, 2) ndarray of float64
        Roughly zero-mean with unit-order spread, as a diffusion model wants.

    Used in Chapter 17 (forward process, DDPM/DDIM sampling in 2-D).

    Examples
    --------
    >>> x = two_d_mixture(800, np.random.default_rng(0), "eight_gaussians", noise=0.0)
    >>> bool(np.allclose(np.hypot(x[:, 0], x[:, 1]), 2.0))
    True
    """
    n = check_int(n, "n")
    check_rng(rng)
    noise = check_nonnegative(noise, "noise")
    if name == "eight_gaussians":
        k = rng.integers(0, 8, size=n)
        centres = 2.0 * np.stack([np.cos(k * np.pi / 4), np.sin(k * np.pi / 4)], axis=1)
        return centres + noise * rng.standard_normal((n, 2))
    if name == "ring":
        t = rng.uniform(0, 2 * np.pi, size=n)
        r = 1.5 + noise * rng.standard_normal(n)
        return r[:, None] * np.stack([np.cos(t), np.sin(t)], axis=1)
    if name == "checkerboard":
        cell = rng.integers(0, 4, size=(n, 2))                      # (n, 2) cell indices
        cell[:, 1] = (cell[:, 1] // 2) * 2 + (cell[:, 0] % 2)      # keep the squares with i + j even
        return -2.0 + cell + rng.random((n, 2))
    if name == "swiss_roll":
        t = 1.5 * np.pi * (1 + 2 * rng.random(n))
        x = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / 7.0
        return x + noise * rng.standard_normal((n, 2))
    if name == "moons":
        X, _ = two_moons(max(n, 2), rng, noise=0.0)
        X = (X[:n] - np.array([0.5, 0.25])) * 1.5
        return X + noise * rng.standard_normal((n, 2))
    raise ValueError(f"name must be one of {list(TOY_2D_NAMES)}, got {name!r}.")


def linear_regression(n: int, rng: np.random.Generator, n_features: int = 1, noise: float = 0.1):
    """Data from ``y = X w + b + noise`` with a random true ``w`` and ``b``.

    Parameters
    ----------
    n : int
    rng : np.random.Generator
    n_features : int
        D.
    noise : float
        Standard deviation of the Gaussian noise on ``y``.

    Returns
    -------
    X : (n, D) ndarray of float64
        Standard normal features.
    y : (n,) ndarray of float64
    w : (D,) ndarray of float64
        The true weights.
    b : float
        The true intercept.

    Used in Chapter 3 (normal equations).

    Examples
    --------
    >>> X, y, w, b = linear_regression(50, np.random.default_rng(0), n_features=3, noise=0.0)
    >>> bool(np.allclose(X @ w + b, y))
    True
    """
    n = check_int(n, "n")
    check_rng(rng)
    D = check_int(n_features, "n_features")
    noise = check_nonnegative(noise, "noise")
    w = rng.normal(0.0, 2.0, size=D)
    b = float(rng.normal(0.0, 1.0))
    X = rng.standard_normal((n, D))
    y = X @ w + b + noise * rng.standard_normal(n)
    return X, y, w, b


def sine_regression(n: int, rng: np.random.Generator, noise: float = 0.1):
    """A 1-D non-linear regression set ``y = sin(2 pi x) + noise`` with ``x ~ U[0, 1]``.

    Parameters
    ----------
    n : int
        Number of points.
    rng : np.random.Generator
        Draws x and the noise.
    noise : float
        Standard deviation of the Gaussian noise added to y.

    Returns
    -------
    x : (n, 1) ndarray of float64
    y : (n,) ndarray of float64

    Used in Chapter 3 (under- and over-fitting, L1 vs L2).

    Examples
    --------
    >>> x, y = sine_regression(20, np.random.default_rng(0), noise=0.0)
    >>> bool(np.allclose(y, np.sin(2 * np.pi * x[:, 0])))
    True
    """
    n = check_int(n, "n")
    check_rng(rng)
    noise = check_nonnegative(noise, "noise")
    x = rng.random((n, 1))
    return x, np.sin(2 * np.pi * x[:, 0]) + noise * rng.standard_normal(n)


