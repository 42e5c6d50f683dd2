"""Tests for coursekit.data.figures (Chapter 7)."""

import numpy as np
import pytest

from coursekit.data.figures import KEYPOINT_NAMES, SKELETON, segment_distance, stick_figures


def _figs(n=15, **kw):
    rng = np.random.default_rng(11)
    return [stick_figures(rng, **kw) for _ in range(n)]


def test_same_seed_same_figures_new_seed_new_figures():
    a, b = (stick_figures(np.random.default_rng(0)) for _ in range(2))
    c = stick_figures(np.random.default_rng(1))
    assert np.array_equal(a.image, b.image) and np.array_equal(a.keypoints, b.keypoints)
    assert not np.array_equal(a.keypoints, c.keypoints) or a.keypoints.shape != c.keypoints.shape


def test_keypoints_lie_inside_the_image_with_valid_visibility():
    for f in _figs(size=48, occlusion=0.5):
        P = len(f.keypoints)
        assert f.keypoints.shape == (P, len(KEYPOINT_NAMES), 2) and f.visibility.shape == (P, 13)
        assert np.all((f.keypoints >= 0) & (f.keypoints < 48))
        assert set(np.unique(f.visibility)) <= {1, 2}


def test_limbs_are_drawn_where_the_skeleton_says():
    for f in _figs(noise=0.0):
        for p in range(len(f.keypoints)):
            for i, j in SKELETON:
                for s in (0.25, 0.5, 0.75):          # points along the limb
                    x, y = (1 - s) * f.keypoints[p, i] + s * f.keypoints[p, j]
                    r, c = int(y), int(x)
                    # the nearest pixel centre is within 0.71 px, inside half the limb width of 1 px
                    assert f.masks[p, r, c]
                    if not f.occluder[r, c]:
                        assert np.allclose(f.image[r, c], 0.95)


def test_masks_are_exactly_limbs_plus_head():
    f = stick_figures(np.random.default_rng(5), n_people=1, noise=0.0)
    H = W = f.image.shape[0]
    x, y = np.meshgrid(np.arange(W) + 0.5, np.arange(H) + 0.5)
    kp = f.keypoints[0]
    d = np.min([segment_distance(x, y, kp[i], kp[j]) for i, j in SKELETON], axis=0)
    expected = (d <= f.limb_width / 2) | (np.hypot(x - kp[0, 0], y - kp[0, 1]) <= f.head_radius[0])
    assert np.array_equal(f.masks[0], expected)
    rows, cols = np.nonzero(f.masks[0])
    assert f.boxes[0].tolist() == [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]


def test_occluded_keypoints_are_exactly_those_under_occluders():
    for f in _figs(occlusion=1.0):
        pix = np.floor(f.keypoints).astype(int)
        under = f.occluder[pix[..., 1], pix[..., 0]]
        assert np.array_equal(f.visibility == 1, under)
        assert f.occluder.any()


def test_several_people_and_left_is_on_the_image_right():
    figs = _figs(n_people=3)
    assert max(len(f.keypoints) for f in figs) == 3
    # shoulders: the person's left shoulder (index 1) is on the image's right of the right one
    kp = np.concatenate([f.keypoints for f in figs])
    assert np.all(kp[:, 1, 0] > kp[:, 2, 0])


def test_skeleton_edges_index_keypoints():
    assert all(0 <= i < 13 and 0 <= j < 13 and i != j for i, j in SKELETON)
    assert len(set(map(frozenset, SKELETON))) == len(SKELETON)


@pytest.mark.parametrize("call", [
    lambda: stick_figures(np.random.default_rng(0), size=16),
    lambda: stick_figures(np.random.default_rng(0), n_people=0),
    lambda: stick_figures(np.random.default_rng(0), occlusion=1.5),
    lambda: stick_figures(np.random.default_rng(0), limb_width=0),
    lambda: stick_figures(np.random.default_rng(0), height=(0.9, 0.2)),
    lambda: stick_figures(None),
])
def test_bad_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()
