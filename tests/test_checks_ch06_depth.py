"""The graded checks of Chapter 6's depth exercises: the reference passes, a stub is not done, typical mistakes
fail with a hint that names the mistake."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit import grading
from coursekit.dense.depth import align_scale_shift
from coursekit.grading import Status
from coursekit.metrics.depth import depth_metrics


def _stub(*args, **kwargs):
    raise NotImplementedError


@pytest.mark.parametrize("eid,reference", [
    ("ch06.depth_metrics", depth_metrics),
    ("ch06.align_scale_shift", lambda d, g: align_scale_shift(d, g)),
])
def test_reference_passes_and_stub_is_not_done(eid, reference):
    result = grading.run_check(eid, reference, points=2)
    assert result.status is Status.PASSED and result.points == 2 and len(result.cases) >= 4
    assert grading.run_check(eid, _stub, points=2).status is Status.NOT_DONE


def _hints(eid, fn):
    result = grading.run_check(eid, fn, points=1)
    assert result.status is Status.FAILED and result.points == 0
    return result.report()


def _metrics(pred, target, rel_by_pred=False, one_sided=False, inclusive=False, skip=True):
    keep = target > 0 if skip else np.ones(target.shape, bool)
    p, t = pred[keep].astype(float), target[keep].astype(float)
    ratio = p / t if one_sided else np.maximum(p / t, t / p)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = {"abs_rel": float(np.mean(np.abs(p - t) / (p if rel_by_pred else t))),
               "sq_rel": float(np.mean((p - t) ** 2 / t)), "rmse": float(np.sqrt(np.mean((p - t) ** 2))),
               "rmse_log": float(np.sqrt(np.mean((np.log(p) - np.log(t)) ** 2)))}
    for k in (1, 2, 3):
        out[f"delta{k}"] = float(np.mean(ratio <= 1.25 ** k if inclusive else ratio < 1.25 ** k))
    return out


def test_my_metrics_helper_is_right_when_no_slip_is_made():
    rng = np.random.default_rng(0)
    g = rng.uniform(1, 5, 50)
    p = g * np.exp(0.2 * rng.normal(size=50))
    assert _metrics(p, g) == pytest.approx(depth_metrics(p, g))


@pytest.mark.parametrize("slip,hint", [
    (dict(rel_by_pred=True), "divides by the ground truth"),
    (dict(one_sided=True), "over- and under-estimates count alike"),
    (dict(inclusive=True), "threshold is strict"),
    (dict(skip=False), "leave them out"),
])
def test_metric_slips_get_their_hints(slip, hint):
    assert hint in _hints("ch06.depth_metrics", lambda p, t: _metrics(p, t, **slip))


def test_alignment_without_the_constraint_gets_the_sign_hint():
    def free(d, g):
        d, g = d.ravel(), g.ravel()
        s = np.cov(d, g, bias=True)[0, 1] / np.var(d) if np.var(d) > 0 else 0.0
        return s, g.mean() - s * d.mean()
    assert "must be >= 0" in _hints("ch06.align_scale_shift", free)


def test_alignment_regressing_the_wrong_way_gets_the_direction_hint():
    def backwards(d, g):
        d, g = d.ravel(), g.ravel()
        s = max(np.cov(d, g, bias=True)[0, 1] / np.var(g), 0.0)
        return s, g.mean() - s * d.mean()
    assert "regressed the prediction on the truth" in _hints("ch06.align_scale_shift", backwards)
