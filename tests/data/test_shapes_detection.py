"""shapes_detection_set: tight boxes of the painted pixels, objects apart, seeded and fast."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit.data import COLORS, shapes_detection_set
from coursekit.detection.boxes import box_iou


def test_boxes_are_tight_around_the_painted_shapes():
    images, boxes, labels = shapes_detection_set(30, np.random.default_rng(0), noise=0.0)
    for img, bx in zip(images, boxes):
        coloured = np.zeros(img.shape[:2], bool)
        for c in COLORS:                                                    # pixels of any shape colour
            coloured |= np.all(np.abs(img - c) < 1e-6, axis=-1)
        for x0, y0, x1, y1 in bx.astype(int):
            inside = coloured[y0:y1, x0:x1]
            assert inside[0].any() and inside[-1].any() and inside[:, 0].any() and inside[:, -1].any()
        mask = np.zeros_like(coloured)
        for x0, y0, x1, y1 in bx.astype(int):
            mask[y0:y1, x0:x1] = True
        assert not (coloured & ~mask).any()                                 # nothing painted outside a box


def test_objects_stay_apart_and_counts_respect_the_range():
    _, boxes, labels = shapes_detection_set(200, np.random.default_rng(1), n_objects=(1, 4))
    for bx, lab in zip(boxes, labels):
        assert 1 <= len(bx) <= 4 and len(lab) == len(bx) and lab.max() < 4
        iou = box_iou(bx, bx)
        # shapes keep 1.1 (r_i + r_j) + 2 pixels between centres: their boxes can only touch at corners
        assert np.all(iou[~np.eye(len(bx), dtype=bool)] < 0.05)


def test_same_seed_same_scenes_and_bad_input_raises():
    a = shapes_detection_set(5, np.random.default_rng(3))
    b = shapes_detection_set(5, np.random.default_rng(3))
    np.testing.assert_array_equal(a[0], b[0])
    with pytest.raises(ValueError, match="radius"):
        shapes_detection_set(2, np.random.default_rng(0), radius=(0.3, 0.1))
