"""A generated scoring dataset with a known group bias, for the fairness metrics of Chapter 18."""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import (
    check_fraction,
    check_int,
    check_positive,
    check_rng,
)

__all__ = ["fairness_scores"]


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
