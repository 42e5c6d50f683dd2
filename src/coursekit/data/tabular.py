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

from ._common import check_fraction, check_int, check_rng
from .._validate import check_nonnegative, check_positive

__all__ = [
    "blobs",
    "two_moons",
    "spirals",
    "imbalanced_blobs",
    "GaussianMixtureSample",
    "gaussian_mixture",
    "TOY_2D_NAMES",
    "two_d_mixture",
    "linear_regression",
    "sine_regression",
    "adding_problem",
    "copy_task",
    "fairness_scores",
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


def adding_problem(n: int, T: int, rng: np.random.Generator):
    """The adding problem: sum the two values marked in a long sequence.

    Parameters
    ----------
    n : int
        Number of sequences.
    T : int
        Sequence length (>= 2). One marker falls in the first half, one in the second,
        so the network must remember over about ``T / 2`` steps.
    rng : np.random.Generator

    Returns
    -------
    X : (n, T, 2) ndarray of float64
        Channel 0: values ``U[0, 1]``; channel 1: the 0/1 markers (exactly two ones).
    y : (n,) ndarray of float64
        Sum of the two marked values. Predicting 1 always gives MSE ~ 0.167 (the baseline).

    Used in Chapter 3 (vanishing gradients: RNN vs LSTM).

    Examples
    --------
    >>> X, y = adding_problem(4, 10, np.random.default_rng(0))
    >>> X.shape, bool(np.allclose((X[..., 0] * X[..., 1]).sum(1), y))
    ((4, 10, 2), True)
    """
    n = check_int(n, "n")
    T = check_int(T, "T", minimum=2)
    check_rng(rng)
    values = rng.random((n, T))                                  # (n, T)
    half = T // 2
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, T, size=n)
    markers = np.zeros((n, T))
    markers[np.arange(n), first] = 1.0
    markers[np.arange(n), second] = 1.0
    X = np.stack([values, markers], axis=-1)                     # (n, T, 2)
    return X, (values * markers).sum(axis=1)


def copy_task(n: int, rng: np.random.Generator, length: int = 5, n_symbols: int = 8,
              delay: int = 10):
    """The copy task: read ``length`` symbols, wait ``delay`` blanks, then repeat them.

    Parameters
    ----------
    n : int
        Number of sequences.
    rng : np.random.Generator
    length : int
        Number of symbols to memorise.
    n_symbols : int
        Alphabet size; symbols are the tokens ``2 .. n_symbols + 1``.
    delay : int
        Blank steps between the input and the recall cue.

    Returns
    -------
    X : (n, T) ndarray of int64
        Tokens, ``T = 2 * length + delay + 1``: the symbols, ``delay`` blanks (token 0),
        the cue (token 1), then ``length`` blanks.
    Y : (n, T) ndarray of int64
        Targets: blanks everywhere except the last ``length`` steps, which hold the symbols.

    Used in Chapter 3 (RNN/LSTM memory). Vocabulary size is ``n_symbols + 2``.

    Examples
    --------
    >>> X, Y = copy_task(2, np.random.default_rng(0), length=3, n_symbols=4, delay=2)
    >>> X.shape, bool((Y[:, -3:] == X[:, :3]).all()), int(X[0, 5])
    ((2, 9), True, 1)
    """
    n = check_int(n, "n")
    check_rng(rng)
    length = check_int(length, "length")
    n_symbols = check_int(n_symbols, "n_symbols")
    delay = check_int(delay, "delay", minimum=0)
    T = 2 * length + delay + 1
    symbols = rng.integers(2, n_symbols + 2, size=(n, length))   # (n, length)
    X = np.zeros((n, T), dtype=np.int64)
    Y = np.zeros((n, T), dtype=np.int64)
    X[:, :length] = symbols
    X[:, length + delay] = 1
    Y[:, -length:] = symbols
    return X, Y


def fairness_scores(n: int, rng: np.random.Generator, base_rates=(0.3, 0.5),
                    score_shift: float = 0.0, noise: float = 1.0):
    """A binary decision problem with a sensitive group attribute and a classifier score.

    Parameters
    ----------
    n : int
    rng : np.random.Generator
    base_rates : pair of float
        ``P(y = 1 | a = 0)`` and ``P(y = 1 | a = 1)``; different rates make independence
        and separation incompatible (the impossibility lesson).
    score_shift : float
        Added to the logit of group 1 only: a biased scorer (0 means the score is the same
        function of the evidence in both groups).
    noise : float
        Standard deviation of the evidence around ``+-1``; larger means a weaker scorer.

    Returns
    -------
    a : (n,) ndarray of int64 in {0, 1}
        Group (half the points each, shuffled).
    y : (n,) ndarray of int64 in {0, 1}
        True label.
    score : (n,) ndarray of float64 in (0, 1)
        ``sigmoid(2 e / noise^2 + shift * a)`` where ``e ~ N(2y - 1, noise^2)``.

    Used in Chapter 18 (independence, separation, sufficiency).

    Examples
    --------
    >>> a, y, s = fairness_scores(1000, np.random.default_rng(0))
    >>> a.shape, bool(((s > 0) & (s < 1)).all())
    ((1000,), True)
    """
    n = check_int(n, "n", minimum=2)
    check_rng(rng)
    try:
        r0, r1 = (check_fraction(r, "base_rates") for r in base_rates)
    except TypeError:
        raise ValueError(f"base_rates must be a pair of fractions, got {base_rates!r}.") from None
    noise = check_positive(noise, "noise")
    if not np.isfinite(score_shift):
        raise ValueError(f"score_shift must be finite, got {score_shift!r}.")
    a = rng.permutation(np.arange(n) % 2).astype(np.int64)
    y = (rng.random(n) < np.where(a == 1, r1, r0)).astype(np.int64)
    evidence = (2 * y - 1) + noise * rng.standard_normal(n)
    logit = 2 * evidence / noise**2 + score_shift * a
    return a, y, 1.0 / (1.0 + np.exp(-logit))
