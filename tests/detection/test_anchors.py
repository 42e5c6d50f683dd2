"""Anchors (3 sizes × 3 ratios), the box encoding and its inverse, and the anchor labelling rule."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit.detection.anchors import anchor_shapes, decode_boxes, encode_boxes, grid_anchors, match_anchors
from coursekit.detection.boxes import box_iou


def test_nine_anchors_have_the_asked_areas_and_ratios():
    wh = anchor_shapes(sizes=(32, 64, 128), ratios=(0.5, 1, 2))
    assert wh.shape == (9, 2)
    np.testing.assert_allclose(wh[:, 0] * wh[:, 1], np.tile([32.0 ** 2, 64.0 ** 2, 128.0 ** 2], 3))
    np.testing.assert_allclose(wh[:, 1] / wh[:, 0], np.repeat([0.5, 1, 2], 3))


def test_grid_anchors_are_centred_on_cells_in_row_major_order():
    a = grid_anchors((2, 3), stride=16, sizes=(32, 64, 128), ratios=(0.5, 1, 2))
    assert a.shape == (2 * 3 * 9, 4)
    centres = ((a[:, :2] + a[:, 2:]) / 2).reshape(2, 3, 9, 2)
    np.testing.assert_allclose(centres[1, 2, :, 0], 2.5 * 16)
    np.testing.assert_allclose(centres[1, 2, :, 1], 1.5 * 16)


def test_encode_then_decode_recovers_the_boxes(rng):
    anchors = grid_anchors((4, 4), 8, sizes=(8, 16, 32))
    ctr = rng.uniform(0, 32, (len(anchors), 2))
    wh = rng.uniform(2, 40, (len(anchors), 2))
    boxes = np.c_[ctr - wh / 2, ctr + wh / 2]
    for weights in [(1, 1, 1, 1), (10, 10, 5, 5)]:
        deltas = encode_boxes(boxes, anchors, weights)
        np.testing.assert_allclose(decode_boxes(deltas, anchors, weights), boxes, atol=1e-9)


def test_encoding_by_hand():
    # anchor centre (20, 15), size 20 × 10; box centre (25, 10), size 10 × 20
    d = encode_boxes(np.array([[20, 0, 30, 20.]]), np.array([[10, 10, 30, 20.]]))
    np.testing.assert_allclose(d, [[5 / 20, -5 / 10, np.log(0.5), np.log(2.0)]])


def test_decode_clips_huge_log_sizes():
    out = decode_boxes(np.array([[0, 0, 100.0, 100.0]]), np.array([[0, 0, 16, 16.]]))
    assert np.all(np.isfinite(out)) and out[0, 2] - out[0, 0] == pytest.approx(1000.0)


def test_match_anchors_follows_the_thresholds_and_keeps_every_object():
    anchors = grid_anchors((4, 4), 8, sizes=(8, 16), ratios=(1,))
    gt = np.array([[0, 0, 8, 8.], [13, 13, 31, 31.], [20, 2, 23, 5.]])      # the last is tiny: only low quality
    m = match_anchors(anchors, gt, high=0.7, low=0.3)
    iou = box_iou(gt, anchors)
    best = iou.max(axis=0)
    fg = m >= 0
    assert np.all(best[m == -1] < 0.3) and np.all((best[m == -2] >= 0.3) & (best[m == -2] < 0.7))
    assert set(m[fg]) == {0, 1, 2}                                           # every object got an anchor
    low_quality = np.any(iou == iou.max(axis=1, keepdims=True), axis=0)         # (A,) some object's best anchor
    assert np.all((best[fg] >= 0.7) | low_quality[fg])
    assert match_anchors(anchors, np.zeros((0, 4))).tolist() == [-1] * len(anchors)


def test_bad_anchor_input_raises():
    with pytest.raises(ValueError, match="ratios"):
        anchor_shapes(ratios=(0.0,))
    with pytest.raises(ValueError, match="pair up"):
        encode_boxes(np.ones((2, 4)) * [0, 0, 1, 1], np.ones((3, 4)) * [0, 0, 1, 1])
    with pytest.raises(ValueError, match="width and height > 0"):
        encode_boxes(np.array([[0, 0, 0, 1.]]), np.array([[0, 0, 1, 1.]]))
    with pytest.raises(ValueError, match="must not exceed"):
        match_anchors(np.array([[0, 0, 1, 1.]]), np.array([[0, 0, 1, 1.]]), high=0.3, low=0.7)
