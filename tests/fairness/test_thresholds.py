"""coursekit.fairness.thresholds: per-group thresholds reach the target rate (and just so), close the gap the
fairlearn metrics measure, and bad input raises."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit.data.fairness import fairness_scores
from coursekit.fairness.thresholds import apply_thresholds, group_thresholds
from coursekit.metrics.fairness import group_rates

flm = pytest.importorskip("fairlearn.metrics")


@pytest.mark.parametrize("rule, rate", [("equal_opportunity", "tpr"), ("demographic_parity", "selection_rate")])
@pytest.mark.parametrize("target", [0.3, 0.8])
def test_each_group_reaches_the_target_with_the_highest_such_threshold(rule, rate, target):
    a, y, s = fairness_scores(5000, np.random.default_rng(0), score_shift=1.5)
    labels, t = group_thresholds(s, y, a, target, rule=rule)
    p = apply_thresholds(s, a, labels, t)
    r = group_rates(y, p, a)[rate]
    n_pool = [((a == g) & (y == 1)).sum() if rule == "equal_opportunity" else (a == g).sum() for g in labels]
    assert (r >= target).all() and (r - target < 1.0 / np.array(n_pool) + 1e-12).all()   # one person of slack
    for g, tg in zip(labels, t):                              # any higher threshold misses the target
        pool = s[(a == g) & (y == 1)] if rule == "equal_opportunity" else s[a == g]
        higher = pool[pool > tg]
        assert higher.size == 0 or (pool >= higher.min()).mean() < target


def test_group_thresholds_close_the_gap_fairlearn_measures():
    a, y, s = fairness_scores(20000, np.random.default_rng(1), score_shift=1.5)
    one = (s > 0.5).astype(int)
    labels, t = group_thresholds(s, y, a, 0.8, rule="demographic_parity")
    per_group = apply_thresholds(s, a, labels, t)
    before = flm.demographic_parity_difference(y, one, sensitive_features=a)
    after = flm.demographic_parity_difference(y, per_group, sensitive_features=a)
    assert before > 0.1 and after < 1e-3


@pytest.mark.parametrize("call, words", [
    (lambda: group_thresholds([0.1, 0.2], [0, 1], [0, 0], 0.0), "target"),
    (lambda: group_thresholds([0.1, 0.2], [0, 2], [0, 0], 0.5), "0/1"),
    (lambda: group_thresholds([0.1, 0.2], [0, 0], [0, 1], 0.5), "no positives"),
    (lambda: group_thresholds([0.1, np.nan], [0, 1], [0, 1], 0.5), "finite"),
    (lambda: group_thresholds([0.1, 0.2], [0, 1], [0, 1], 0.5, rule="odds"), "rule"),
    (lambda: apply_thresholds([0.1, 0.2], [0, 2], [0, 1], [0.5, 0.5]), "no threshold"),
])
def test_bad_input_raises(call, words):
    with pytest.raises(ValueError, match=words):
        call()
