"""Box formats, IoU and GIoU against brute-force references written here (pixel counting, loops)."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit.detection.boxes import box_area, box_convert, box_iou, generalized_box_iou


def random_boxes(rng, n, size=20):
    """Integer corners, so that pixel counting is an exact reference."""
    a = rng.integers(0, size, (n, 2, 2))
    lo, hi = a.min(axis=1), a.max(axis=1) + 1
    return np.c_[lo, hi].astype(np.float64)


def raster(box, size=22):
    m = np.zeros((size, size), bool)
    x0, y0, x1, y1 = box.astype(int)
    m[y0:y1, x0:x1] = True
    return m


def test_box_iou_equals_pixel_counting(rng):
    a, b = random_boxes(rng, 12), random_boxes(rng, 9)
    ref = np.array([[(raster(p) & raster(q)).sum() / (raster(p) | raster(q)).sum() for q in b] for p in a])
    np.testing.assert_allclose(box_iou(a, b), ref, atol=1e-12)      # exact rational numbers, float64 rounding


def test_giou_equals_brute_force_definition(rng):
    a, b = random_boxes(rng, 10), random_boxes(rng, 11)
    ref = np.zeros((10, 11))
    for i, p in enumerate(a):
        for j, q in enumerate(b):
            inter, union = (raster(p) & raster(q)).sum(), (raster(p) | raster(q)).sum()
            hull = (max(p[2], q[2]) - min(p[0], q[0])) * (max(p[3], q[3]) - min(p[1], q[1]))
            ref[i, j] = inter / union - (hull - union) / hull
    np.testing.assert_allclose(generalized_box_iou(a, b), ref, atol=1e-12)


def test_giou_is_at_most_iou_and_tends_to_minus_one_far_apart(rng):
    a, b = random_boxes(rng, 30), random_boxes(rng, 30)
    assert np.all(generalized_box_iou(a, b) <= box_iou(a, b) + 1e-12)
    far = generalized_box_iou(np.array([[0, 0, 1, 1.]]), np.array([[1000, 1000, 1001, 1001.]]))
    assert -1 < far[0, 0] < -0.999


def test_iou_of_a_box_with_itself_is_one_and_disjoint_is_zero():
    b = np.array([[1.5, 2.0, 7.25, 9.0]])
    assert box_iou(b, b)[0, 0] == 1.0 and generalized_box_iou(b, b)[0, 0] == 1.0
    assert box_iou(b, b + 10)[0, 0] == 0.0


@pytest.mark.parametrize("fmt", ["xywh", "cxcywh"])
def test_box_convert_round_trips(rng, fmt):
    b = random_boxes(rng, 20) + rng.random((20, 4)) * 0.5
    b[:, 2:] = np.maximum(b[:, 2:], b[:, :2])
    np.testing.assert_allclose(box_convert(box_convert(b, "xyxy", fmt), fmt, "xyxy"), b, atol=1e-12)


def test_box_convert_and_area_on_a_hand_worked_box():
    b = np.array([[2.0, 1.0, 5.0, 3.0]])                              # pixel columns 2..4, rows 1..2
    assert box_convert(b, "xyxy", "xywh").tolist() == [[2, 1, 3, 2]]
    assert box_convert(b, "xyxy", "cxcywh").tolist() == [[3.5, 2, 3, 2]]
    assert box_area(b).tolist() == [6.0] == [raster(b[0]).sum()]


def test_bad_boxes_raise():
    with pytest.raises(ValueError, match="x1 >= x0"):
        box_iou(np.array([[5, 0, 1, 1.]]), np.zeros((1, 4)))
    with pytest.raises(ValueError, match="shape"):
        box_area(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="in_fmt"):
        box_convert(np.zeros((1, 4)), "yxyx", "xyxy")
    with pytest.raises(ValueError, match="width and height"):
        box_convert(np.array([[0, 0, -1, 1.]]), "xywh", "xyxy")
