"""Centre heatmap targets, the penalty-reduced focal loss (torch battery) and decoding."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from coursekit.detection.centers import center_targets, decode_centers, heatmap_focal_loss

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_targets_peak_at_centres_and_decode_back_to_the_boxes(rng):
    boxes = [np.array([[4.0, 6.0, 20.0, 18.0], [30.0, 33.0, 41.0, 60.0]]), np.array([[10.0, 40.0, 22.0, 52.0]])]
    labels = [np.array([2, 0]), np.array([1])]
    heat, reg, pos = center_targets(boxes, labels, 3, 16, 4.0)
    assert heat.max() == 1.0 and (heat == 1).sum() == pos.sum() == 3
    # perfect logits: +inf-like at peaks, -inf-like elsewhere; offsets through the inverse sigmoid
    logits = torch.from_numpy(np.where(heat == 1, 9.0, -9.0))
    r = reg.copy()
    r[:, :2] = np.log(np.clip(r[:, :2], 1e-9, 1 - 1e-9) / (1 - np.clip(r[:, :2], 1e-9, 1 - 1e-9)))
    out = decode_centers(logits, torch.from_numpy(r), stride=4.0)
    for b in range(2):
        order = np.argsort(out[b]["labels"])
        ref = np.argsort(labels[b])
        np.testing.assert_allclose(out[b]["boxes"][order], boxes[b][ref], atol=1e-4)   # float32 round trip
        np.testing.assert_array_equal(out[b]["labels"][order], labels[b][ref])


def reference_penalty_focal(x, y, a=2.0, b=4.0):
    p = 1 / (1 + np.exp(-x))
    pos = y == 1
    loss = np.where(pos, (1 - p) ** a * np.log(p), (1 - y) ** b * p ** a * np.log(1 - p))
    return -loss.sum() / max(pos.sum(), 1)


def test_heatmap_focal_loss_matches_cornernets_formula(rng):
    heat, _, _ = center_targets([np.array([[4.0, 4.0, 20.0, 24.0]])], [np.array([1])], 2, 8, 4.0)
    x = rng.normal(0, 2, heat.shape)
    got = heatmap_focal_loss(torch.from_numpy(x), torch.from_numpy(heat.astype(np.float64))).item()
    assert got == pytest.approx(reference_penalty_focal(x, heat.astype(np.float64)), rel=1e-10)


def test_heatmap_focal_loss_battery(rng):
    heat = torch.from_numpy(center_targets([np.array([[0.0, 0.0, 8.0, 8.0]])], [np.array([0])], 1, 4, 4.0)[0]).double()
    x = torch.randn(1, 1, 4, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda z: heatmap_focal_loss(z, heat), (x,))
    with pytest.raises(ValueError, match="B, K, G, G"):
        heatmap_focal_loss(x[0], heat[0])


def test_center_targets_reject_bad_labels():
    with pytest.raises(ValueError, match="outside"):
        center_targets([np.array([[0.0, 0.0, 4.0, 4.0]])], [np.array([5])], 2, 4, 4.0)
    with pytest.raises(ValueError, match="one entry per image"):
        center_targets([np.zeros((0, 4))], [], 2, 4, 4.0)
