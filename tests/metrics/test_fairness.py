"""coursekit.metrics.fairness: per-group rates, demographic parity and equalised odds equal fairlearn's on the
generated scoring data with a known bias; the identities between the rates hold exactly; bad input raises."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit.data.fairness import fairness_scores
from coursekit.metrics import fairness as fm

flm = pytest.importorskip("fairlearn.metrics")


def _decisions(seed=0, n=4000, shift=1.0, base_rates=(0.3, 0.5), threshold=0.5, calibrated=False):
    a, y, s = fairness_scores(n, np.random.default_rng(seed), base_rates=base_rates, score_shift=shift,
                              calibrated=calibrated)
    return a, y, (s > threshold).astype(np.int64), s


CASES = [dict(seed=0), dict(seed=1, shift=0.0), dict(seed=2, shift=-1.5, base_rates=(0.1, 0.8)),
         dict(seed=3, threshold=0.8, calibrated=True)]


@pytest.mark.parametrize("case", CASES)
def test_per_group_rates_equal_fairlearn_metric_frame(case):
    a, y, p, _ = _decisions(**case)
    ours = fm.group_rates(y, p, a)
    frame = flm.MetricFrame(metrics={"selection_rate": flm.selection_rate, "tpr": flm.true_positive_rate,
                                     "fpr": flm.false_positive_rate, "tnr": flm.true_negative_rate,
                                     "fnr": flm.false_negative_rate, "count": flm.count},
                            y_true=y, y_pred=p, sensitive_features=a)
    by_group = frame.by_group
    for name in ("selection_rate", "tpr", "fpr", "tnr", "fnr", "count"):
        # Both are ratios of the same integer counts: equal to float rounding.
        np.testing.assert_allclose(ours[name], by_group[name].to_numpy(dtype=float), rtol=1e-12,
                                   err_msg=f"per-group {name} differs from fairlearn's MetricFrame")


@pytest.mark.parametrize("case", CASES)
def test_parity_and_odds_gaps_equal_fairlearn(case):
    a, y, p, _ = _decisions(**case)
    pairs = [(fm.demographic_parity_difference, flm.demographic_parity_difference),
             (fm.demographic_parity_ratio, flm.demographic_parity_ratio),
             (fm.equalized_odds_difference, flm.equalized_odds_difference),
             (fm.equalized_odds_ratio, flm.equalized_odds_ratio)]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours(y, p, a), theirs(y, p, sensitive_features=a), rtol=1e-12,
                                   err_msg=f"{ours.__name__} differs from fairlearn")


def test_a_biased_scorer_fails_independence_and_separation_and_a_fair_one_passes_separation():
    a, y, p, _ = _decisions(seed=4, n=40000, shift=2.0, base_rates=(0.4, 0.4))
    assert fm.demographic_parity_difference(y, p, a) > 0.15          # the shift selects group 1 more
    assert fm.equalized_odds_difference(y, p, a) > 0.15
    a, y, p, _ = _decisions(seed=5, n=40000, shift=0.0, base_rates=(0.4, 0.4))
    # no shift, equal base rates: every gap is sampling noise, ~1/sqrt(n per group) = 0.007
    assert fm.demographic_parity_difference(y, p, a) < 0.03
    assert fm.equalized_odds_difference(y, p, a) < 0.03


def test_calibrated_scores_satisfy_sufficiency_but_not_separation_when_base_rates_differ():
    """The impossibility result on generated data: a within-group calibrated score, thresholded once,
    gives equal-ish PPVs per score bin, but different error rates when base rates differ."""
    a, y, s = fairness_scores(60000, np.random.default_rng(6), base_rates=(0.2, 0.6), calibrated=True)
    _, edges, rate, count = fm.calibration_by_group(y, s, a, n_bins=10)
    centres = (edges[:-1] + edges[1:]) / 2
    ok = count.min(axis=0) > 500                                      # bins with enough points in both groups
    # binomial noise with >= 500 points: sd <= 0.022; the within-bin score spread adds <= 0.05
    np.testing.assert_allclose(rate[:, ok], np.broadcast_to(centres[ok], rate[:, ok].shape), atol=0.07)
    p = (s > 0.5).astype(np.int64)
    assert fm.equalized_odds_difference(y, p, a) > 0.1


def test_group_confusion_matches_a_loop():
    rng = np.random.default_rng(7)
    y, p, a = rng.integers(0, 2, 300), rng.integers(0, 2, 300), rng.choice(["x", "y", "z"], 300)
    labels, counts = fm.group_confusion(y, p, a)
    assert labels.tolist() == ["x", "y", "z"]
    for g, row in zip(labels, counts):
        m = a == g
        want = [np.sum(m & (y == 1) & (p == 1)), np.sum(m & (y == 0) & (p == 1)),
                np.sum(m & (y == 0) & (p == 0)), np.sum(m & (y == 1) & (p == 0))]
        np.testing.assert_array_equal(row, want, err_msg=f"group {g}: TP, FP, TN, FN")


@pytest.mark.parametrize("case", CASES)
def test_rate_identities_hold_exactly_per_group(case):
    a, y, p, _ = _decisions(**case)
    r = fm.group_rates(y, p, a)
    np.testing.assert_allclose(r["tpr"] + r["fnr"], 1.0, rtol=1e-12)
    np.testing.assert_allclose(r["fpr"] + r["tnr"], 1.0, rtol=1e-12)
    # selection rate = p TPR + (1 - p) FPR (total probability)
    np.testing.assert_allclose(r["selection_rate"], r["base_rate"] * r["tpr"] + (1 - r["base_rate"]) * r["fpr"],
                               rtol=1e-12)
    # Bayes: PPV from (p, TPR, FPR); Chouldechova: FPR from (p, PPV, FNR)
    np.testing.assert_allclose(fm.ppv_from_rates(r["base_rate"], r["tpr"], r["fpr"]), r["ppv"], rtol=1e-12)
    np.testing.assert_allclose(fm.fpr_from_ppv(r["base_rate"], r["ppv"], r["fnr"]), r["fpr"], rtol=1e-10)
    # accuracy = p TPR + (1 - p) TNR
    np.testing.assert_allclose(r["accuracy"], r["base_rate"] * r["tpr"] + (1 - r["base_rate"]) * r["tnr"],
                               rtol=1e-12)


def test_equal_ppv_and_fnr_force_unequal_fpr_when_base_rates_differ():
    fpr = fm.fpr_from_ppv(np.array([0.2, 0.6]), 0.7, 0.3)
    assert fpr[1] > fpr[0] * 5                      # p/(1-p): 0.25 vs 1.5, a factor of 6


def test_rates_with_empty_denominators_are_nan_not_zero():
    r = fm.group_rates([0, 0, 1, 1], [0, 0, 1, 0], [0, 0, 1, 1])
    assert np.isnan(r["tpr"][0]) and np.isnan(r["ppv"][0])          # group 0 has no positives, no selections
    assert np.isnan(fm.equalized_odds_difference([0, 0, 1, 1], [0, 0, 1, 0], [0, 0, 1, 1]))


@pytest.mark.parametrize("call, words", [
    (lambda: fm.group_rates([0, 1], [0, 1, 1], [0, 0]), "common length"),
    (lambda: fm.group_rates([0, 2], [0, 1], [0, 0]), "binary"),
    (lambda: fm.demographic_parity_difference([0, 1], [0.3, 0.9], [0, 1]), "threshold a score"),
    (lambda: fm.group_rates([], [], []), "common length"),
    (lambda: fm.calibration_by_group([0, 1], [0.5, 1.5], [0, 1]), "in [0, 1]"),
    (lambda: fm.calibration_by_group([0, 1], [0.5, 0.5], [0, 1], n_bins=0), "n_bins"),
])
def test_bad_input_raises(call, words):
    with pytest.raises(ValueError, match=words.replace("[", r"\[").replace("]", r"\]")):
        call()
