"""NMS, per-class NMS and Soft-NMS equal plain greedy loops written here from the papers."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit.detection.nms import batched_nms, nms, soft_nms


def iou1(a, b):
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - iw * ih
    return iw * ih / u if u > 0 else 0.0


def greedy_nms(boxes, scores, t):
    """The textbook loop: take the best remaining box, delete everything overlapping it by more than t."""
    remaining = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    keep = []
    while remaining:
        m = remaining.pop(0)
        keep.append(m)
        remaining = [i for i in remaining if iou1(boxes[m], boxes[i]) <= t]
    return keep


def soft_nms_loop(boxes, scores, f, score_threshold):
    """Bodla et al.'s Algorithm 1, literally."""
    B, S, D, DS = list(range(len(scores))), list(scores), [], []
    while B:
        m = max(B, key=lambda i: (S[i], -i))
        B.remove(m)
        D.append(m)
        DS.append(S[m])
        for i in B:
            S[i] *= f(iou1(boxes[m], boxes[i]))
    keep = [(d, s) for d, s in zip(D, DS) if s >= score_threshold]
    return [d for d, _ in keep], [s for _, s in keep]


def clustered_boxes(rng, n=60):
    centres = rng.uniform(10, 90, (6, 2))[rng.integers(0, 6, n)] + rng.normal(0, 3, (n, 2))
    wh = rng.uniform(8, 20, (n, 2))
    return np.c_[centres - wh / 2, centres + wh / 2], rng.random(n)


@pytest.mark.parametrize("t", [0.3, 0.5, 0.7])
def test_nms_equals_greedy_loop(rng, t):
    for _ in range(5):
        boxes, scores = clustered_boxes(rng)
        assert nms(boxes, scores, t).tolist() == greedy_nms(boxes, scores, t)


def test_nms_with_tied_scores_keeps_input_order(rng):
    boxes, _ = clustered_boxes(rng)
    scores = rng.choice([0.2, 0.5, 0.9], len(boxes))
    assert nms(boxes, scores, 0.5).tolist() == greedy_nms(boxes, scores, 0.5)


def test_batched_nms_equals_a_loop_per_class(rng):
    boxes, scores = clustered_boxes(rng, 80)
    labels = rng.integers(0, 3, 80)
    ref = []
    for k in range(3):
        idx = np.flatnonzero(labels == k)
        ref += [idx[i] for i in greedy_nms(boxes[idx], scores[idx], 0.5)]
    ref.sort(key=lambda i: -scores[i])
    assert batched_nms(boxes, scores, labels, 0.5).tolist() == ref
    # the offset trick of torchvision gives the same set: shift each class far away, then plain NMS
    shifted = boxes + (labels * 1000.0)[:, None]
    assert batched_nms(boxes, scores, labels, 0.5).tolist() == nms(shifted, scores, 0.5).tolist()


@pytest.mark.parametrize("method", ["gaussian", "linear"])
def test_soft_nms_equals_the_papers_loop(rng, method):
    f = (lambda o: np.exp(-o * o / 0.5)) if method == "gaussian" else (lambda o: 1 - o if o >= 0.3 else 1.0)
    for _ in range(3):
        boxes, scores = clustered_boxes(rng, 40)
        keep, s = soft_nms(boxes, scores, method=method, sigma=0.5, iou_threshold=0.3, score_threshold=0.001)
        ref_keep, ref_s = soft_nms_loop(boxes, scores, f, 0.001)
        assert keep.tolist() == ref_keep
        np.testing.assert_allclose(s, ref_s, rtol=1e-12)                # same products, same order


def test_soft_nms_hard_decay_is_greedy_nms(rng):
    boxes, scores = clustered_boxes(rng)
    keep, s = soft_nms(boxes, scores, method="hard", iou_threshold=0.5)
    assert keep.tolist() == greedy_nms(boxes, scores, 0.5)
    np.testing.assert_array_equal(s, scores[keep])


def test_soft_nms_keeps_an_occluded_object_that_nms_deletes():
    boxes = np.array([[0, 0, 10, 10.], [4, 0, 14, 10.]])                  # IoU 6/14 ≈ 0.43
    scores = np.array([0.9, 0.8])
    assert nms(boxes, scores, 0.3).tolist() == [0]
    keep, s = soft_nms(boxes, scores, method="gaussian", sigma=0.5)
    assert keep.tolist() == [0, 1] and 0 < s[1] < 0.8


def test_nms_rejects_bad_input():
    with pytest.raises(ValueError, match="one entry per box"):
        nms(np.zeros((2, 4)), np.zeros(3))
    with pytest.raises(ValueError, match="iou_threshold"):
        nms(np.zeros((1, 4)), np.zeros(1), 1.5)
    with pytest.raises(ValueError, match="method"):
        soft_nms(np.zeros((1, 4)), np.zeros(1), method="cubic")
