"""Checks of Chapter 6's segmentation exercises: IoU per class, mask-classification inference, transposed
convolution and panoptic quality."""

from __future__ import annotations

import numpy as np

from coursekit import grading
from coursekit.data import shapes_scene
from coursekit.dense.maskformer import mask_classification_inference
from coursekit.dense.transposed import conv_transpose2d, conv_transpose2d_loops, conv_transpose2d_backward
from coursekit.grading import Case, Check
from coursekit.metrics.segmentation import dice_per_class, iou_per_class, panoptic_quality


def _shape_ok(got, expected) -> bool:
    try:
        return np.asarray(got).shape == np.shape(expected)
    except Exception:
        return False


def _close(got, other, atol=1e-9) -> bool:
    try:
        g, o = np.asarray(got, dtype=np.float64), np.asarray(other, dtype=np.float64)
    except Exception:
        return False
    return g.shape == o.shape and np.allclose(np.nan_to_num(g, nan=-7.0), np.nan_to_num(o, nan=-7.0), atol=atol)


# ----------------------------------------------------------------------------------------------- IoU per class

def _corrupt(semantic, rng):
    pred = np.roll(semantic, int(rng.integers(1, 3)), axis=-1).copy()
    noise = rng.uniform(size=pred.shape) < 0.05
    pred[noise] = rng.integers(0, 5, int(noise.sum()))
    return pred


def _iou_cases(rng):
    s = shapes_scene(np.random.default_rng(int(rng.integers(1 << 30))), size=48, n_objects=4)
    yield Case("a generated 48×48 scene, objects shifted by a pixel or two, K=5", (_corrupt(s.semantic, rng), s.semantic, 5))
    batch = np.stack([shapes_scene(np.random.default_rng(int(rng.integers(1 << 30))), size=32).semantic for _ in range(3)])
    yield Case("a batch of 3 scenes (3, 32, 32): one confusion matrix for the whole batch",
               (_corrupt(batch, rng), batch, 5))
    yield Case("class 3 in neither map (IoU undefined: NaN), K=4",
               (np.array([[0, 0, 1, 1], [2, 2, 1, 0]]), np.array([[0, 1, 1, 1], [2, 0, 1, 0]]), 4))
    yield Case("class 2 predicted but absent from the truth (IoU 0)",
               (np.array([[0, 2, 2, 1]]), np.array([[0, 0, 1, 1]]), 3))
    for n in range(2):
        K = int(rng.integers(2, 7))
        yield Case(f"random labels #{n + 1}, 20×30, K={K}",
                   (rng.integers(0, K, (20, 30)), rng.integers(0, K, (20, 30)), K))
    yield Case("probe: per-image averaging", (np.array([[[0, 1]], [[1, 1]]]), np.array([[[0, 0]], [[1, 1]]]), 2),
               probe=True)


def _iou_judge(case, got, expected):
    if _shape_ok(got, expected) and np.asarray(got).dtype.kind == "f":
        g = np.asarray(got)
        if not np.array_equal(np.isnan(g), np.isnan(expected)):
            hint = "your output has NaN in other places than expected."
        else:                                     # NaN where expected: compare the defined IoUs only
            hint = grading.compare(np.nan_to_num(g, nan=-1.0), np.nan_to_num(expected, nan=-1.0), atol=1e-9)
    else:
        hint = grading.compare(got, expected, atol=1e-9)
    if hint and _shape_ok(got, expected):
        pred, target, K = case.args
        if _close(got, dice_per_class(pred, target, K)):
            hint += " Hint: that is Dice, 2|A∩B| / (|A| + |B|); IoU divides by the union |A ∪ B|."
        elif _close(got, np.nan_to_num(expected, nan=0.0)):
            hint += " Hint: a class absent from both maps has no IoU (0/0): return NaN for it, not 0."
        elif _close(got, np.nan_to_num(expected, nan=1.0)):
            hint += " Hint: a class absent from both maps has no IoU (0/0): return NaN for it, not 1."
    return hint


def _iou_review(outcomes):
    probe = next(o for o in outcomes if o.case.probe)
    pred, target, K = probe.case.args
    per_image = np.nanmean([iou_per_class(p, t, K) for p, t in zip(pred, target)], axis=0)
    if probe.answer.kind == "returned" and _close(probe.got, per_image) and not _close(probe.got, probe.expected):
        for o in outcomes:
            if not o.case.probe and not o.result.passed:
                o.result.hint += " Hint: count over all images at once (one confusion matrix), not image by image."


# ----------------------------------------------------------------------------------------------- mask classification

def _mask_cases(rng):
    for n, (Q, K, H, W) in enumerate([(4, 3, 6, 7), (8, 5, 16, 16), (3, 2, 5, 5), (10, 4, 12, 9)]):
        yield Case(f"random queries #{n + 1}: Q={Q}, K={K}, {H}×{W}",
                   (rng.normal(0, 2, (Q, K + 1)), rng.normal(0, 3, (Q, H, W))))
    cls = np.full((3, 4), -6.0)
    cls[0, 0] = cls[1, 1] = 6.0
    cls[2, 3] = 8.0                                                     # a confident 'no object' query
    masks = np.full((3, 4, 4), -6.0)
    masks[0, :, :2] = masks[1, :, 2:] = 6.0
    masks[2] = 9.0                                                      # its mask covers everything
    yield Case("a 'no object' query whose mask covers the whole image", (cls, masks))


def _mask_judge(case, got, expected):
    hint = grading.compare(got, expected, atol=0)
    if hint:
        cls, masks = case.args
        g = np.asarray(got) if _shape_ok(got, expected) else None
        p = np.exp(cls - cls.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        with_void = np.einsum("qk,qhw->khw", p, 1 / (1 + np.exp(-masks))).argmax(0)
        if g is not None and np.array_equal(g, with_void):
            hint += " Hint: drop the last column ('no object') before the argmax: it is not a class."
        elif g is not None and g.size and g.max() >= cls.shape[1] - 1:
            hint += f" Hint: classes run from 0 to K-1 = {cls.shape[1] - 2}; the last column is 'no object'."
    return hint


# ----------------------------------------------------------------------------------------------- transposed conv

def _tconv(x, weight, stride, padding):
    return conv_transpose2d(x, weight, None, stride, padding)


def _tconv_cases(rng):
    for n, (B, Ci, Co, H, W, k, s, p) in enumerate([(1, 1, 1, 3, 3, 2, 2, 0), (2, 3, 2, 4, 5, 3, 1, 0),
                                                   (1, 2, 3, 5, 4, 3, 2, 1), (2, 4, 2, 6, 6, 4, 2, 1),
                                                   (1, 2, 2, 3, 4, 5, 3, 2)]):
        yield Case(f"B={B}, C_in={Ci}, C_out={Co}, {H}×{W}, k={k}, stride={s}, padding={p}",
                   (rng.normal(size=(B, Ci, H, W)), rng.normal(size=(Ci, Co, k, k)), s, p))


def _tconv_judge(case, got, expected):
    hint = grading.compare(got, expected, atol=1e-9)
    if hint:
        x, w, s, p = case.args
        full = conv_transpose2d(x, w, None, s, 0)                       # no crop
        if _shape_ok(got, full) and p > 0:
            hint += " Hint: padding p removes p rows and columns from each side of the output; crop them."
        elif _close(got, conv_transpose2d(x, w[:, :, ::-1, ::-1].copy(), None, s, p)):
            hint += " Hint: do not flip the kernel; stamp w[c, o, u, v] at (s i + u - p, s j + v - p)."
        elif _shape_ok(got, expected) and w.shape[0] == w.shape[1] and _close(
                got, conv_transpose2d(x, w.transpose(1, 0, 2, 3).copy(), None, s, p)):
            hint += " Hint: the weight is (C_in, C_out, k, k): input channels come first."
    return hint


# ----------------------------------------------------------------------------------------------- panoptic quality

def _pq_cases(rng):
    true = np.array([[1, 1, 1, 1, 2, 2, 0, 0]])
    pred = np.array([[1, 1, 1, 0, 2, 3, 3, 3]])
    yield Case("hand-made: one match, one IoU of exactly 0.5, one class mismatch",
               (pred, {1: 0, 2: 1, 3: 0}, true, {1: 0, 2: 1}))
    yield Case("a perfect prediction", (true, {1: 0, 2: 1}, true, {1: 0, 2: 1}))
    for n in range(3):
        s = shapes_scene(np.random.default_rng(int(rng.integers(1 << 30))), size=48, n_objects=(3, 5))
        true_ids = s.instances
        pred_ids = np.roll(true_ids, int(rng.integers(0, 4)), axis=int(rng.integers(0, 2)))
        true_classes = {k + 1: int(c) for k, c in enumerate(s.labels)}
        pred_classes = dict(true_classes)
        pred_classes[1] = (pred_classes[1] + 1) % 4                     # one wrong class
        yield Case(f"generated scene #{n + 1}: instances shifted by a few pixels, one class wrong",
                   (pred_ids, pred_classes, true_ids, true_classes))


def _pq_judge(case, got, expected):
    hint = grading.compare(got, expected, atol=1e-9)
    if hint and isinstance(got, dict) and set(got) == set(expected):
        if got.get("TP") != expected["TP"]:
            pred, pc, true, tc = case.args
            hint += (" Hint: a match needs the same class and IoU strictly greater than 0.5; count each segment at "
                     "most once.")
        elif got.get("RQ") is not None and expected["TP"] and abs(got["RQ"] - expected["TP"] / (
                expected["TP"] + expected["FP"] + expected["FN"])) < 1e-9:
            hint += " Hint: RQ is TP / (TP + FP/2 + FN/2), an F1 score."
    return hint


CHECKS = [
    Check("ch06.iou_per_class", cases=_iou_cases, reference=iou_per_class, judge=_iou_judge, review=_iou_review,
          forbidden=("sklearn.metrics.jaccard_score", "torchmetrics.functional.jaccard_index",
                     "torchmetrics.classification.MulticlassJaccardIndex")),
    Check("ch06.mask_classification_inference", cases=_mask_cases, reference=mask_classification_inference,
          judge=_mask_judge),
    Check("ch06.conv_transpose2d", cases=_tconv_cases, reference=_tconv, judge=_tconv_judge,
          implements=(conv_transpose2d, conv_transpose2d_loops, conv_transpose2d_backward),
          forbidden=("torch.nn.functional.conv_transpose2d", "torch.nn.ConvTranspose2d", "F.conv_transpose2d")),
    Check("ch06.panoptic_quality", cases=_pq_cases, reference=panoptic_quality, judge=_pq_judge),
]
