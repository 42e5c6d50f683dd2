"""Tests for coursekit.data.video (Chapter 16)."""

import numpy as np
import pytest
from scipy.ndimage import binary_erosion, map_coordinates

from coursekit.data.video import ACTION_NAMES, action_clips, moving_shapes_clip, texture_motion_clip


def _warp_back(frame_next, flow):
    """Sample frame t+1 at x + flow(x) (SciPy bilinear; indices are pixel centres)."""
    i, j = np.mgrid[0:flow.shape[0], 0:flow.shape[1]]
    return map_coordinates(frame_next, [i + flow[..., 1], j + flow[..., 0]], order=1, mode="nearest")


def test_clips_are_deterministic():
    a, b = (moving_shapes_clip(np.random.default_rng(0)) for _ in range(2))
    c = moving_shapes_clip(np.random.default_rng(1))
    assert np.array_equal(a.frames, b.frames) and np.array_equal(a.flow, b.flow)
    assert not np.array_equal(a.frames, c.frames)
    X1, y1 = action_clips(8, np.random.default_rng(0))
    X2, y2 = action_clips(8, np.random.default_rng(0))
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)


def test_clip_shapes_dtypes_and_ranges():
    c = moving_shapes_clip(np.random.default_rng(0), T=5, size=24, n_objects=2, color=True)
    assert c.frames.shape == (5, 24, 24, 3) and c.flow.shape == (4, 24, 24, 2)
    assert c.frames.dtype == np.float64 and 0 <= c.frames.min() and c.frames.max() <= 1
    assert c.masks.shape == (5, len(c.labels), 24, 24) and c.masks.sum(1).max() <= 1


@pytest.mark.parametrize("seed", range(4))
def test_ground_truth_flow_warps_each_frame_onto_the_next(seed):
    c = moving_shapes_clip(np.random.default_rng(seed), n_objects=2, rotate=True, max_speed=2.0)
    for t in range(len(c.frames) - 1):
        inner = binary_erosion(c.masks[t].any(0), iterations=2)   # away from occlusion edges
        warped = _warp_back(c.frames[t + 1], c.flow[t])
        err = np.abs(warped - c.frames[t])[inner]
        # bilinear resampling of a texture with wavelength >= 5 px errs by < 0.02 (measured 0.008)
        assert err.max() < 0.02
        # a wrong flow (e.g. zero) does much worse wherever objects move more than half a pixel
        moving = inner & (np.linalg.norm(c.flow[t], axis=-1) > 0.5)
        if moving.sum() > 20:
            assert err[moving[inner]].mean() < 0.5 * np.abs(c.frames[t + 1] - c.frames[t])[moving].mean()
    bg = ~c.masks[:-1].any(1)                                       # static background: zero flow
    assert np.all(c.flow[bg] == 0)


def test_object_flow_equals_its_velocity_without_rotation():
    c = moving_shapes_clip(np.random.default_rng(3), n_objects=2, rotate=False)
    for k, v in enumerate(c.velocities):
        assert np.allclose(c.flow[c.masks[:-1, k]], v)


def test_texture_clip_flow_is_exact_for_translation_and_rotation():
    frames, flow = texture_motion_clip(np.random.default_rng(0), T=3, size=48,
                                       velocity=(0.7, -0.4), rotation=0.05)
    assert frames.shape == (3, 48, 48) and flow.shape == (2, 48, 48, 2)
    # flow at the rotation centre is the translation; elsewhere (R - I)(x - c) + v
    x, y = np.meshgrid(np.arange(48) + 0.5, np.arange(48) + 0.5)
    c, s = np.cos(0.05), np.sin(0.05)
    fx = (c - 1) * (x - 24) - s * (y - 24) + 0.7
    fy = s * (x - 24) + (c - 1) * (y - 24) - 0.4
    assert np.allclose(flow[0], np.stack([fx, fy], -1))
    # brightness constancy: cubic resampling of a smooth texture (wavelength >= 10 px) errs < 1e-3
    i, j = np.mgrid[0:48, 0:48]
    warped = map_coordinates(frames[1], [i + flow[0, ..., 1], j + flow[0, ..., 0]], order=3)
    assert np.abs(warped - frames[0])[6:-6, 6:-6].max() < 1e-3
    assert np.abs(frames[1] - frames[0]).mean() > 0.01              # and the frames do differ


def test_action_clips_are_balanced_and_the_motion_matches_the_label():
    X, y = action_clips(64, np.random.default_rng(0), T=8, size=32, noise=0.0)
    assert X.shape == (64, 8, 32, 32) and np.bincount(y).tolist() == [8] * 8
    for clip, label in zip(X, y):
        fg = clip > clip[0].min() + 0.2                            # shape pixels (bg <= 0.35 < 0.56)
        area = fg.sum((1, 2))
        first, last = np.argwhere(fg[0]).mean(0), np.argwhere(fg[-1]).mean(0)
        dy, dx = last - first
        name = ACTION_NAMES[label]
        if name == "left":
            assert dx < -3
        elif name == "right":
            assert dx > 3
        elif name == "up":
            assert dy < -3
        elif name == "down":
            assert dy > 3
        elif name == "grow":
            assert area[-1] > 1.3 * area[0]
        elif name == "shrink":
            assert area[-1] < area[0] / 1.3
        else:
            assert abs(dx) < 1 and abs(dy) < 1 and not np.array_equal(fg[0], fg[-1])


@pytest.mark.parametrize("call", [
    lambda: moving_shapes_clip(np.random.default_rng(0), T=1),
    lambda: moving_shapes_clip(np.random.default_rng(0), size=4),
    lambda: moving_shapes_clip(np.random.default_rng(0), max_speed=-1),
    lambda: texture_motion_clip(np.random.default_rng(0), velocity=(1.0,)),
    lambda: texture_motion_clip(np.random.default_rng(0), rotation=2.0),
    lambda: action_clips(4, np.random.default_rng(0), classes=("jump",)),
    lambda: action_clips(4, np.random.default_rng(0), T=2),
    lambda: action_clips(4, 123),
])
def test_bad_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_the_middle_frame_of_an_action_clip_does_not_reveal_the_direction():
    """A linear classifier (scikit-learn, an independent learner) on the middle frame stays at chance; on the
    difference of the last and first frames it reads the direction. The chapter's single-frame lesson rests on it."""
    from sklearn.linear_model import LogisticRegression

    directions = ("left", "right", "up", "down")
    X, y = action_clips(600, np.random.default_rng(160), T=6, size=16, classes=directions)
    X_test, y_test = action_clips(400, np.random.default_rng(161), T=6, size=16, classes=directions)
    middle = lambda A: A[:, 3].reshape(len(A), -1)
    change = lambda A: (A[:, -1] - A[:, 0]).reshape(len(A), -1)
    acc_middle = LogisticRegression(max_iter=2000).fit(middle(X), y).score(middle(X_test), y_test)
    acc_change = LogisticRegression(max_iter=2000).fit(change(X), y).score(change(X_test), y_test)
    # measured 0.26 and 0.98; chance is 0.25 (400 test clips: a binomial std of 0.022 around chance)
    assert acc_middle < 0.33 and acc_change > 0.9, (acc_middle, acc_change)
