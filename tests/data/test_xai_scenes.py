"""coursekit.data.xai_scenes: the digit sits where its mask says, scenes are seeded, concepts match the pixels."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from coursekit.data.digits import load_digits_split
from coursekit.data.xai_scenes import STROKE_CONCEPTS, digit_scenes, stroke_concepts


def test_digit_is_pasted_inside_its_box_and_scenes_are_seeded():
    d8 = load_digits_split(size=8)
    s = digit_scenes(d8.X_train[:30], d8.y_train[:30], np.random.default_rng(0), size=20, noise=0.0)
    assert s.X.shape == (30, 1, 20, 20) and s.X.dtype == torch.float32
    for i in range(30):
        x0, y0, x1, y1 = s.boxes[i]
        assert (x1 - x0, y1 - y0) == (8, 8) and s.masks[i].sum() == 64 and s.masks[i, y0:y1, x0:x1].all()
        patch = s.X[i, 0, y0:y1, x0:x1].numpy()
        assert (patch >= d8.X_train[i, 0].numpy() - 1e-7).all()       # the digit's ink is there (max with strokes)
    again = digit_scenes(d8.X_train[:30], d8.y_train[:30], np.random.default_rng(0), size=20, noise=0.0)
    assert torch.equal(s.X, again.X) and torch.equal(s.y, d8.y_train[:30])


def test_distractor_strokes_put_ink_outside_the_box():
    imgs = np.zeros((50, 1, 8, 8))
    s = digit_scenes(imgs, np.zeros(50, int), np.random.default_rng(1), size=24, n_distractors=2, noise=0.0)
    outside = (s.X[:, 0].numpy() * ~s.masks).reshape(50, -1).max(1)
    assert (outside == 1.0).mean() > 0.9                               # strokes rarely fall fully inside the box


def test_stroke_concepts_label_follows_the_rule_and_pixels_show_the_concepts():
    X, c, y = stroke_concepts(400, np.random.default_rng(2), noise=0.0)
    h, v = c[:, 0] + c[:, 1], c[:, 2] + c[:, 3]
    assert torch.equal(y, torch.where(h > v, 0, torch.where(h == v, 1, 2)))
    top = X[:, 0, 1:4, 6:11].amax(dim=(1, 2))      # rows 1..3, cols 6..10: only the top bar reaches there
    assert torch.equal(top > 0.5, c[:, 0] > 0.5)
    assert len(STROKE_CONCEPTS) == c.shape[1]


@pytest.mark.parametrize("call, words", [
    (lambda: digit_scenes(np.zeros((2, 1, 16, 16)), [0, 1], np.random.default_rng(0)), "8, 8"),
    (lambda: digit_scenes(np.zeros((2, 1, 8, 8)), [0], np.random.default_rng(0)), "labels"),
    (lambda: digit_scenes(np.zeros((2, 1, 8, 8)), [0, 1], np.random.default_rng(0), size=10), "size"),
    (lambda: digit_scenes(np.zeros((2, 1, 8, 8)), [0, 1], np.random.default_rng(0), noise=-1), "noise"),
    (lambda: stroke_concepts(0, np.random.default_rng(0)), "n"),
    (lambda: stroke_concepts(3, 0), "rng"),
])
def test_bad_input_raises(call, words):
    with pytest.raises(ValueError, match=words):
        call()
