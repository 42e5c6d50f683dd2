"""coursekit.metrics.segmentation: agreement with scikit-learn and torchmetrics, the identity
Dice = 2 IoU / (1 + IoU) on random masks, NaN for absent classes, ignore_index, and panoptic quality by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import accuracy_score, f1_score, jaccard_score
from sklearn.metrics import confusion_matrix as sk_confusion_matrix

from coursekit.data import shapes_dataset
from coursekit.metrics import segmentation as seg

torchmetrics = pytest.importorskip("torchmetrics")
tm_segmentation = pytest.importorskip("torchmetrics.segmentation")


@pytest.fixture(scope="module")
def maps():
    """Generated ground truth and a corrupted prediction: objects shifted by a pixel, some labels swapped."""
    d = shapes_dataset(8, np.random.default_rng(0), size=32)
    rng = np.random.default_rng(1)
    pred = np.roll(d.semantic, 1, axis=2).copy()
    swap = rng.uniform(size=pred.shape) < 0.05
    pred[swap] = rng.integers(0, 5, swap.sum())
    return pred, d.semantic


def test_confusion_matrix_equals_sklearn(maps):
    pred, target = maps
    np.testing.assert_array_equal(seg.confusion_matrix(pred, target, 5),
                                  sk_confusion_matrix(target.ravel(), pred.ravel(), labels=range(5)))


def test_iou_and_dice_per_class_equal_sklearn_and_torchmetrics(maps):
    pred, target = maps
    iou = seg.iou_per_class(pred, target, 5)
    dice = seg.dice_per_class(pred, target, 5)
    # exact integer counts on both sides; only the final float division differs
    np.testing.assert_allclose(iou, jaccard_score(target.ravel(), pred.ravel(), average=None, labels=range(5)),
                               atol=1e-12)
    np.testing.assert_allclose(dice, f1_score(target.ravel(), pred.ravel(), average=None, labels=range(5)),
                               atol=1e-12)
    p, t = torch.from_numpy(pred), torch.from_numpy(target)
    tm_iou = torchmetrics.classification.MulticlassJaccardIndex(num_classes=5, average="none")(p, t)
    np.testing.assert_allclose(iou, tm_iou.numpy(), atol=1e-6)     # torchmetrics divides in float32
    tm_dice = tm_segmentation.DiceScore(num_classes=5, input_format="index", average="none",
                                                  aggregation_level="global")(p, t)
    np.testing.assert_allclose(dice, tm_dice.numpy(), atol=1e-6)


def test_mean_iou_equals_torchmetrics_and_pixel_accuracy_equals_sklearn(maps):
    pred, target = maps
    p, t = torch.from_numpy(pred), torch.from_numpy(target)
    tm = torchmetrics.classification.MulticlassJaccardIndex(num_classes=5, average="macro")(p, t)
    assert seg.mean_iou(pred, target, 5) == pytest.approx(tm.item(), abs=1e-6)
    assert seg.pixel_accuracy(pred, target, 5) == pytest.approx(accuracy_score(target.ravel(), pred.ravel()))


def test_dice_equals_two_iou_over_one_plus_iou_on_random_masks():
    rng = np.random.default_rng(2)
    for _ in range(200):
        H, W = rng.integers(1, 30, 2)
        a = rng.uniform(size=(H, W)) < rng.uniform()
        b = rng.uniform(size=(H, W)) < rng.uniform()
        inter, union = (a & b).sum(), (a | b).sum()
        if union == 0:
            continue
        iou = inter / union
        dice = 2 * inter / (a.sum() + b.sum())                     # the definition, counted directly
        assert dice == pytest.approx(float(seg.dice_from_iou(iou)), abs=1e-12)
        assert dice >= iou - 1e-15
        K_iou = seg.iou_per_class(a.astype(int), b.astype(int), 2)
        np.testing.assert_allclose(seg.dice_per_class(a.astype(int), b.astype(int), 2),
                                   seg.dice_from_iou(K_iou), atol=1e-12)


def test_absent_class_is_nan_and_left_out_of_the_mean():
    pred = np.array([[0, 0, 1, 1]])
    target = np.array([[0, 1, 1, 1]])
    iou = seg.iou_per_class(pred, target, 4)
    assert np.isnan(iou[2:]).all()
    assert seg.mean_iou(pred, target, 4) == pytest.approx((1 / 2 + 2 / 3) / 2)


def test_ignore_index_drops_void_pixels():
    pred = np.array([0, 1, 1, 0])
    target = np.array([0, 1, 255, 255])
    assert seg.mean_iou(pred, target, 2, ignore_index=255) == 1.0
    with pytest.raises(ValueError, match="outside 0 .. 1"):
        seg.mean_iou(pred, target, 2)


def test_panoptic_quality_hand_worked():
    true = np.array([[1, 1, 1, 1, 2, 2, 0, 0]])
    pred = np.array([[1, 1, 1, 0, 2, 3, 3, 3]])
    # pred 1 vs true 1 (same class): IoU 3/4 -> match. pred 2 vs true 2: IoU 1/2, not > 0.5 -> no match.
    # pred 3 (class 0) has no partner of its class -> FP. So TP = 1, FP = 2, FN = 1.
    r = seg.panoptic_quality(pred, {1: 0, 2: 1, 3: 0}, true, {1: 0, 2: 1})
    assert (r["TP"], r["FP"], r["FN"]) == (1, 2, 1)
    assert r["SQ"] == pytest.approx(0.75)
    assert r["RQ"] == pytest.approx(1 / (1 + 1.5))
    assert r["PQ"] == pytest.approx(0.75 / 2.5)
    perfect = seg.panoptic_quality(true, {1: 0, 2: 1}, true, {1: 0, 2: 1})
    assert perfect["PQ"] == 1.0


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="same pixels"):
        seg.iou_per_class(np.zeros((2, 2), int), np.zeros((2, 3), int), 2)
    with pytest.raises(ValueError, match="int"):
        seg.iou_per_class(np.zeros((2, 2)), np.zeros((2, 2), int), 2)
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        seg.dice_from_iou(1.5)
    with pytest.raises(ValueError, match="no class for segment"):
        seg.panoptic_quality(np.ones((2, 2), int), {}, np.ones((2, 2), int), {1: 0})
