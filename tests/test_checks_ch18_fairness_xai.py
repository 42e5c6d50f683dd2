"""The graded checks of Chapter 18: the reference earns full points, a stub is "not done", and typical
mistakes fail with a hint that names them (and no expected values)."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit import grading
from coursekit.checks import ch18_fairness_xai as ch18
from coursekit.explain.counterfactuals import linear_counterfactual
from coursekit.explain.localization import pointing_game
from coursekit.fairness.debias import bias_direction, project_out
from coursekit.grading import Status
from coursekit.metrics.fairness import demographic_parity_difference, equalized_odds_difference


def _stub(*args, **kwargs):
    raise NotImplementedError


@pytest.mark.parametrize("eid,reference", [
    ("ch18.demographic_parity", demographic_parity_difference),
    ("ch18.project_out", project_out),
    ("ch18.pointing_game", pointing_game),
    ("ch18.linear_counterfactual", linear_counterfactual),
    ("ch18.equalized_odds", equalized_odds_difference),
    ("ch18.bias_direction", bias_direction),
])
def test_reference_passes_and_stub_is_not_done(eid, reference):
    result = grading.run_check(eid, reference, points=3)
    assert result.status is Status.PASSED and result.points == 3 and len(result.cases) >= 4, result.report()
    assert grading.run_check(eid, _stub).status is Status.NOT_DONE


def _fails_with(eid, fn, words):
    result = grading.run_check(eid, fn)
    assert result.status is Status.FAILED, result.report()
    assert words in result.report(), result.report()
    return result


@pytest.mark.parametrize("eid, wrong, words", [
    ("ch18.demographic_parity", ch18._dp_on_truth, "not the true outcomes"),
    ("ch18.demographic_parity", ch18._dp_ratio, "not the ratio"),
    ("ch18.project_out", ch18._project_not_normalised, "normalise the direction"),
    ("ch18.project_out", ch18._project_keep_only, "not the component itself"),
    ("ch18.pointing_game", ch18._pointing_transposed, "compare rows with rows"),
    ("ch18.pointing_game", ch18._pointing_no_tolerance, "within `tolerance`"),
    ("ch18.linear_counterfactual", ch18._cf_unit_norm, "not ‖w‖"),
    ("ch18.linear_counterfactual", ch18._cf_sign, "move towards the target"),
    ("ch18.equalized_odds", ch18._eo_tpr_only, "the FPR gap"),
    ("ch18.equalized_odds", ch18._eo_fpr_only, "the TPR gap matters"),
    ("ch18.equalized_odds", ch18._eo_mean, "not their mean"),
    ("ch18.equalized_odds", ch18._eo_ratio, "not a ratio"),
    ("ch18.bias_direction", ch18._direction_uncentred, "centre each pair"),
    ("ch18.bias_direction", ch18._direction_flipped, "wrong sign"),
    ("ch18.bias_direction", lambda pairs: 2 * bias_direction(pairs), "unit vector"),
])
def test_typical_mistakes_are_named(eid, wrong, words):
    _fails_with(eid, wrong, words)


def test_hints_never_print_expected_values():
    result = grading.run_check("ch18.linear_counterfactual", ch18._cf_unit_norm)
    want = linear_counterfactual(np.array([3.0, 4.0]), -5.0, np.array([0.0, 0.0]))
    assert "0.6" not in result.report() and str(want) not in result.report()
