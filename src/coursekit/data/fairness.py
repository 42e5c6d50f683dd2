"""Generated data with a known group bias, for the fairness part of Chapter 18.

``fairness_scores``: a binary decision problem with a group attribute and a classifier score (independence,
separation, sufficiency). ``biased_embeddings``: word-like embeddings with a planted bias direction
(debiasing by projection, Bolukbasi et al., NeurIPS 2016).
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import (
    check_fraction,
    check_int,
    check_positive,
    check_rng,
)

__all__ = ["fairness_scores", "biased_embeddings"]


def fairness_scores(n: int, rng: np.random.Generator, base_rates=(0.3, 0.5),
                    score_shift: float = 0.0, noise: float = 1.0, calibrated: bool = False):
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
    calibrated : bool
        Add each group's prior log-odds ``logit(base_rate[a])`` to the logit, so that (with no shift) the
        score is the true posterior ``P(y = 1 | evidence, a)``: calibrated within each group (sufficiency).

    Returns
    -------
    a : (n,) ndarray of int64 in {0, 1}
        Group (half the points each, shuffled).
    y : (n,) ndarray of int64 in {0, 1}
        True label.
    score : (n,) ndarray of float64 in (0, 1)
        ``sigmoid(2 e / noise^2 + shift * a)`` where ``e ~ N(2y - 1, noise^2)`` (plus
        ``logit(base_rate[a])`` if ``calibrated``).

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
    if calibrated:
        if not 0 < min(r0, r1) <= max(r0, r1) < 1:
            raise ValueError(f"calibrated scores need base rates strictly between 0 and 1, got {base_rates!r}.")
        prior = np.log(np.array([r0, r1]) / (1 - np.array([r0, r1])))   # (2,) each group's prior log-odds
        logit = logit + prior[a]
    return a, y, 1.0 / (1.0 + np.exp(-logit))


def biased_embeddings(rng: np.random.Generator, dim: int = 16, n_pairs: int = 6, n_neutral: int = 40,
                      bias_strength: float = 1.0, noise: float = 0.1):
    """Embeddings of "definitional" word pairs and of neutral words, with a planted bias direction.

    Parameters
    ----------
    rng : np.random.Generator
    dim : int
        d, the embedding width (>= 2).
    n_pairs : int
        Number of definitional pairs (e.g. "he"/"she"): the two words differ by ±b along the direction v.
    n_neutral : int
        Number of neutral words (e.g. occupations); each carries a stereotype s_i v with s_i ~ U(-b, b).
    bias_strength : float
        b, the size of the bias component.
    noise : float
        Spread of the pair differences around v (standard deviation per coordinate).

    Returns
    -------
    pairs : (n_pairs, 2, d) ndarray of float64
        Rows ``u_i + b v + noise`` and ``u_i - b v + noise`` (u_i random, orthogonal to v).
    neutral : (n_neutral, d) ndarray of float64
        ``w_i + s_i v`` with w_i random and orthogonal to v.
    stereotype : (n_neutral,) ndarray of float64
        s_i, the planted bias of each neutral word.
    direction : (d,) ndarray of float64
        The unit vector v.

    Examples
    --------
    >>> pairs, neutral, s, v = biased_embeddings(np.random.default_rng(0))
    >>> pairs.shape, neutral.shape, round(float(v @ v), 6)
    ((6, 2, 16), (40, 16), 1.0)
    """
    check_rng(rng)
    d = check_int(dim, "dim", minimum=2)
    P, N = check_int(n_pairs, "n_pairs"), check_int(n_neutral, "n_neutral")
    b = check_positive(bias_strength, "bias_strength")
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}.")
    v = rng.standard_normal(d)
    v /= np.linalg.norm(v)                                              # (d,) the planted direction

    def orthogonal(k):                                                  # (k, d) random rows with no v-component
        u = rng.standard_normal((k, d))
        return u - np.outer(u @ v, v)

    u = orthogonal(P)                                                   # (P, d) what a pair shares
    signs = np.array([1.0, -1.0])
    pairs = u[:, None, :] + b * signs[None, :, None] * v + noise * rng.standard_normal((P, 2, d))
    s = rng.uniform(-b, b, N)                                           # (N,) stereotypes
    neutral = orthogonal(N) + s[:, None] * v                            # (N, d)
    return pairs, neutral, s, v
