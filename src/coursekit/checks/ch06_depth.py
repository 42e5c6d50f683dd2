"""Checks of Chapter 6's depth exercises: the standard depth metrics and the least-squares scale-and-shift
alignment."""

from __future__ import annotations

import numpy as np

from coursekit import grading
from coursekit.data import shapes_scene
from coursekit.dense.depth import align_scale_shift, ssi_loss, ssi_loss_torch
from coursekit.grading import Case, Check
from coursekit.metrics.depth import abs_rel, delta_accuracy, depth_metrics, rmse, rmse_log, sq_rel


def _depth_map(rng, size=32):
    return shapes_scene(np.random.default_rng(int(rng.integers(1 << 30))), size=size).depth   # (H, W) in 1 .. 12


# ----------------------------------------------------------------------------------------------- metrics

def _metric_cases(rng):
    yield Case("hand-made: ratios 1.2, 1, 1.25, 2 (1.25 itself is not < 1.25)",
               (np.array([1.2, 2.0, 5.0, 2.0]), np.array([1.0, 2.0, 4.0, 1.0])))
    g = _depth_map(rng)
    yield Case("a generated 32×32 depth map with 20% multiplicative noise",
               (g * np.exp(0.2 * rng.normal(size=g.shape)), g))
    g = _depth_map(rng)
    yield Case("over- and under-estimates by the same ratio (δ is symmetric)",
               (np.where(rng.uniform(size=g.shape) < 0.5, g * 1.3, g / 1.3), g))
    g = _depth_map(rng)
    holes = g.copy()
    holes[:, :6] = 0.0                                                  # no ground truth there
    yield Case("a depth map whose first 6 columns have no ground truth (target 0): skip them",
               (g * np.exp(0.1 * rng.normal(size=g.shape)), holes))


def _metric_judge(case, got, expected):
    hint = grading.compare(got, expected, atol=1e-9, rtol=1e-9)
    if hint and isinstance(got, dict) and set(got) == set(expected):
        pred, target = case.args
        keep = target > 0
        p, t = pred[keep], target[keep]
        if "abs_rel" in got and _num(got["abs_rel"], np.mean(np.abs(p - t) / p)):
            hint += " Hint: AbsRel divides by the ground truth d*, not by the prediction."
        elif "delta1" in got and _num(got["delta1"], np.mean(p / t < 1.25)):
            hint += " Hint: δ uses max(d/d*, d*/d): over- and under-estimates count alike."
        elif "delta1" in got and _num(got["delta1"], np.mean(np.maximum(p / t, t / p) <= 1.25)):
            hint += " Hint: the threshold is strict: ratio < 1.25^k."
        elif not keep.all() and not all(_isnum(v) and np.isfinite(float(v)) for v in got.values()):
            hint += " Hint: pixels with target <= 0 have no ground truth; leave them out."
    return hint


def _isnum(v) -> bool:
    try:
        float(v)
        return True
    except Exception:
        return False


def _num(v, ref) -> bool:
    return _isnum(v) and abs(float(v) - float(ref)) < 1e-9


# ----------------------------------------------------------------------------------------------- alignment

def _align(pred, target):
    return align_scale_shift(pred, target)


def _align_cases(rng):
    g = 1 / _depth_map(rng)                                            # disparities
    yield Case("an exact affine map 3 d* + 0.5 of a disparity map", (3 * g + 0.5, g))
    g = 1 / _depth_map(rng)
    yield Case("a relative prediction sqrt(d*) with noise", (np.sqrt(g) + 0.01 * rng.normal(size=g.shape), g))
    g = 1 / _depth_map(rng)
    yield Case("near and far swapped, -d* + 1: the best s >= 0 is 0", (1 - g, g))
    yield Case("a constant prediction", (np.full((4, 5), 2.0), rng.uniform(1, 2, (4, 5))))
    yield Case("random 1-D vectors", (rng.normal(size=50), rng.normal(size=50) + 2))


def _align_judge(case, got, expected):
    hint = grading.compare(got, expected, atol=1e-8, rtol=1e-8)
    if hint and isinstance(got, (tuple, list)) and len(got) == 2 and all(_isnum(v) for v in got):
        d, g = (a.ravel().astype(np.float64) for a in case.args)
        s = float(got[0])
        if s < 0:
            hint += " Hint: the scale must be >= 0; when the free optimum is negative, use s = 0, t = mean(d*)."
        elif np.var(g) > 0 and abs(s - np.cov(d, g, bias=True)[0, 1] / np.var(g)) < 1e-8:
            hint += " Hint: you regressed the prediction on the truth; fit s d + t ≈ d*, dividing by var(d)."
    return hint


CHECKS = [
    Check("ch06.depth_metrics", cases=_metric_cases, reference=depth_metrics, judge=_metric_judge,
          implements=(depth_metrics, abs_rel, sq_rel, rmse, rmse_log, delta_accuracy)),
    Check("ch06.align_scale_shift", cases=_align_cases, reference=_align, judge=_align_judge,
          implements=(align_scale_shift, ssi_loss, ssi_loss_torch), forbidden=("numpy.linalg.lstsq", "np.linalg.lstsq",
                                                                                "np.polyfit", "scipy.stats.linregress")),
]
