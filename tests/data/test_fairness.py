"""coursekit.data.fairness: calibrated scores are the within-group posterior, and the planted embedding bias
lies along the returned direction only."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit.data.fairness import biased_embeddings, fairness_scores


def test_calibrated_scores_are_the_posterior_within_each_group():
    a, y, s = fairness_scores(200000, np.random.default_rng(0), base_rates=(0.2, 0.7), calibrated=True)
    for g in (0, 1):
        for lo in (0.2, 0.5, 0.8):
            m = (a == g) & (s > lo) & (s < lo + 0.05)
            # mean score in the bin vs fraction of positives: binomial sd <= 0.5/sqrt(n) with n > 1000
            assert abs(y[m].mean() - s[m].mean()) < 0.04, (g, lo, m.sum())


def test_uncalibrated_scores_ignore_the_base_rate():
    a, y, s = fairness_scores(200000, np.random.default_rng(1), base_rates=(0.2, 0.7))
    m = (a == 0) & (s > 0.45) & (s < 0.55)
    assert y[m].mean() < 0.35                          # posterior ≈ 0.2 at score 0.5: not calibrated


def test_embedding_bias_is_planted_along_the_direction_only():
    pairs, neutral, s, v = biased_embeddings(np.random.default_rng(2), dim=10, noise=0.0, bias_strength=2.0)
    np.testing.assert_allclose(neutral @ v, s, atol=1e-12)
    np.testing.assert_allclose((pairs[:, 0] - pairs[:, 1]) @ v, 4.0, atol=1e-12)
    rest = (pairs[:, 0] - pairs[:, 1]) - np.outer((pairs[:, 0] - pairs[:, 1]) @ v, v)
    np.testing.assert_allclose(rest, 0.0, atol=1e-12)
    assert np.abs(s).max() <= 2.0


@pytest.mark.parametrize("call, words", [
    (lambda: fairness_scores(10, np.random.default_rng(0), base_rates=(0.0, 0.5), calibrated=True), "strictly"),
    (lambda: biased_embeddings(np.random.default_rng(0), dim=1), "dim"),
    (lambda: biased_embeddings(np.random.default_rng(0), bias_strength=0), "bias_strength"),
    (lambda: biased_embeddings(np.random.default_rng(0), noise=-1), "noise"),
])
def test_bad_input_raises(call, words):
    with pytest.raises(ValueError, match=words):
        call()
