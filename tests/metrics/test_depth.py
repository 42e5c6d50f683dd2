"""coursekit.metrics.depth: AbsRel and RMSE equal torchmetrics (MAPE and RMSE), SqRel and δ by hand, invalid
pixels are skipped, bad input raises."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from coursekit.data import shapes_dataset
from coursekit.metrics import depth as dm

torchmetrics = pytest.importorskip("torchmetrics")


@pytest.fixture(scope="module")
def depths():
    d = shapes_dataset(4, np.random.default_rng(0), size=32).depth   # (4, 32, 32), 1 .. 12
    rng = np.random.default_rng(1)
    return d * np.exp(0.2 * rng.normal(size=d.shape)), d            # multiplicative error


def test_abs_rel_equals_torchmetrics_mape_and_rmse_equals_torchmetrics(depths):
    pred, gt = depths
    p, t = torch.from_numpy(pred.ravel()), torch.from_numpy(gt.ravel())
    # MAPE = mean |t - p| / |t|, which is AbsRel for positive depths; torchmetrics keeps its running sums in
    # float32 states (relative error ~1e-7 over 4096 terms), hence rel=1e-6
    assert dm.abs_rel(pred, gt) == pytest.approx(torchmetrics.MeanAbsolutePercentageError()(p, t).item(), rel=1e-6)
    assert dm.rmse(pred, gt) == pytest.approx(torchmetrics.MeanSquaredError(squared=False)(p, t).item(), rel=1e-6)


def test_sq_rel_rmse_log_and_delta_by_hand():
    pred = np.array([2.0, 1.0, 3.0, 5.0])
    gt = np.array([1.0, 1.0, 2.0, 4.0])
    assert dm.sq_rel(pred, gt) == pytest.approx((1 / 1 + 0 + 1 / 2 + 1 / 4) / 4)
    assert dm.rmse_log(pred, gt) == pytest.approx(np.sqrt((np.log(2) ** 2 + np.log(1.5) ** 2 + np.log(1.25) ** 2) / 4))
    # ratios 2, 1, 1.5, 1.25: below 1.25 only the exact one (1.25 itself is not < 1.25)
    assert dm.delta_accuracy(pred, gt, 1) == 0.25
    assert dm.delta_accuracy(pred, gt, 2) == 0.75                  # 1.5625 admits 1.5 and 1.25
    assert dm.delta_accuracy(pred, gt, 3) == 0.75                  # 1.953 still below 2


def test_delta_is_symmetric_in_over_and_under_estimation():
    gt = np.full(10, 4.0)
    assert dm.delta_accuracy(gt * 1.3, gt) == dm.delta_accuracy(gt / 1.3, gt) == 0.0
    assert dm.delta_accuracy(gt * 1.2, gt) == dm.delta_accuracy(gt / 1.2, gt) == 1.0


def test_invalid_pixels_are_skipped(depths):
    pred, gt = depths
    gt2 = gt.copy()
    gt2[:, :4] = 0.0                                               # no ground truth there (e.g. sky)
    mask = gt2 > 0
    assert dm.abs_rel(pred, gt2) == pytest.approx(dm.abs_rel(pred[mask], gt[mask]))
    assert dm.depth_metrics(pred, gt, mask=mask)["rmse"] == pytest.approx(dm.rmse(pred[mask], gt[mask]))
    assert dm.depth_metrics(gt, gt) == {"abs_rel": 0.0, "sq_rel": 0.0, "rmse": 0.0, "rmse_log": 0.0,
                                         "delta1": 1.0, "delta2": 1.0, "delta3": 1.0}


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="no valid pixel"):
        dm.abs_rel(np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="pred must be > 0"):
        dm.abs_rel(np.array([0.0, 1.0]), np.ones(2))
    with pytest.raises(ValueError, match="shape"):
        dm.rmse(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="k must be"):
        dm.delta_accuracy(np.ones(3), np.ones(3), k=0)
