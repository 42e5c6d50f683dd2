"""The graded checks of Chapter 6's segmentation exercises: the reference passes, a stub is not done, typical
mistakes fail with a hint that names the mistake."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit import grading
from coursekit.dense.maskformer import mask_classification_inference
from coursekit.dense.transposed import conv_transpose2d
from coursekit.grading import Status
from coursekit.metrics.segmentation import confusion_matrix, dice_per_class, iou_per_class, panoptic_quality


def _stub(*args, **kwargs):
    raise NotImplementedError


@pytest.mark.parametrize("eid,reference", [
    ("ch06.iou_per_class", iou_per_class),
    ("ch06.mask_classification_inference", mask_classification_inference),
    ("ch06.conv_transpose2d", lambda x, w, s, p: conv_transpose2d(x, w, None, s, p)),
    ("ch06.panoptic_quality", panoptic_quality),
])
def test_reference_passes_and_stub_is_not_done(eid, reference):
    result = grading.run_check(eid, reference, points=2)
    assert result.status is Status.PASSED and result.points == 2 and len(result.cases) >= 4
    assert grading.run_check(eid, _stub, points=2).status is Status.NOT_DONE


def _hints(eid, fn):
    result = grading.run_check(eid, fn, points=1)
    assert result.status is Status.FAILED and result.points == 0
    return result.report()


def test_iou_returning_dice_gets_the_dice_hint():
    assert "that is Dice" in _hints("ch06.iou_per_class", dice_per_class)


def test_iou_with_zero_for_absent_classes_gets_the_nan_hint():
    zero = lambda p, t, K: np.nan_to_num(iou_per_class(p, t, K), nan=0.0)      # noqa: E731
    assert "return NaN" in _hints("ch06.iou_per_class", zero)


def test_iou_averaged_image_by_image_gets_the_confusion_matrix_hint():
    def per_image(pred, target, K):
        if pred.ndim == 2:
            return iou_per_class(pred, target, K)
        return np.nanmean([iou_per_class(p, t, K) for p, t in zip(pred, target)], axis=0)
    assert "one confusion matrix" in _hints("ch06.iou_per_class", per_image)


def test_inference_keeping_no_object_gets_the_void_hint():
    def keep_void(cls, masks):
        p = np.exp(cls - cls.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        return np.einsum("qk,qhw->khw", p, 1 / (1 + np.exp(-masks))).argmax(0)
    assert "no object" in _hints("ch06.mask_classification_inference", keep_void)


def test_transposed_conv_without_cropping_gets_the_padding_hint():
    uncropped = lambda x, w, s, p: conv_transpose2d(x, w, None, s, 0)          # noqa: E731
    assert "crop them" in _hints("ch06.conv_transpose2d", uncropped)


def test_transposed_conv_with_flipped_kernel_gets_the_flip_hint():
    flipped = lambda x, w, s, p: conv_transpose2d(x, w[:, :, ::-1, ::-1].copy(), None, s, p)   # noqa: E731
    assert "do not flip" in _hints("ch06.conv_transpose2d", flipped)


def test_panoptic_quality_with_iou_at_least_half_gets_the_match_hint():
    def loose(pred_ids, pred_classes, true_ids, true_classes):
        # the same as the reference, but a pair with IoU >= 0.5 matches
        tp, ious, mp, mt = 0, [], set(), set()
        for i in [i for i in np.unique(pred_ids) if i > 0]:
            for j in [j for j in np.unique(true_ids) if j > 0]:
                if pred_classes[int(i)] != true_classes[int(j)]:
                    continue
                inter = ((pred_ids == i) & (true_ids == j)).sum()
                iou = inter / ((pred_ids == i).sum() + (true_ids == j).sum() - inter)
                if iou >= 0.5 and i not in mp and j not in mt:
                    mp.add(i); mt.add(j); ious.append(iou)
        tp = len(ious)
        fp = len([i for i in np.unique(pred_ids) if i > 0]) - tp
        fn = len([j for j in np.unique(true_ids) if j > 0]) - tp
        sq = float(np.mean(ious)) if ious else 0.0
        rq = tp / (tp + fp / 2 + fn / 2)
        return {"PQ": sq * rq, "SQ": sq, "RQ": rq, "TP": tp, "FP": fp, "FN": fn}
    assert "strictly greater than 0.5" in _hints("ch06.panoptic_quality", loose)


def test_checks_name_their_shortcuts():
    chk = grading.find_check("ch06.conv_transpose2d")
    assert "coursekit.dense.transposed.conv_transpose2d" in chk.implemented_names()
    assert "torch.nn.ConvTranspose2d" in chk.forbidden
    assert confusion_matrix is not None   # helpers a student may use are not listed
    assert "coursekit.metrics.segmentation.confusion_matrix" not in grading.find_check("ch06.iou_per_class").implemented_names()
