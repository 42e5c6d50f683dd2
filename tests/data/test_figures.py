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


# ----------------------------------------------------------------------------- batches and crowds (Chapter 7)

from coursekit.data.figures import _figure_masks, stick_figure_batch, stick_figure_crowd  # noqa: E402


def test_vectorised_masks_equal_the_segment_distance_rule():
    b = stick_figure_batch(np.random.default_rng(3), 40, size=48, limb_width=2.5)
    masks = _figure_masks(b.keypoints, b.scale, 48, 2.5)
    x, y = np.meshgrid(np.arange(48) + 0.5, np.arange(48) + 0.5)
    for n in range(40):
        kp = b.keypoints[n]
        d = np.min([segment_distance(x, y, kp[i], kp[j]) for i, j in SKELETON], axis=0)
        expected = (d <= 1.25) | (np.hypot(x - kp[0, 0], y - kp[0, 1]) <= 0.07 * b.scale[n])
        # float32 squared distances against float64 distances: a pixel exactly on the edge could flip
        assert (masks[n] != expected).sum() <= 1


def test_batch_images_show_the_figures_inside_tight_boxes():
    b = stick_figure_batch(np.random.default_rng(4), 30, noise=0.0)
    assert b.images.shape == (30, 64, 64) and b.images.dtype == np.float32
    assert np.all((b.keypoints >= 0) & (b.keypoints < 64)) and np.all(b.visibility == 2)
    masks = _figure_masks(b.keypoints, b.scale, 64, 2.0)
    assert np.all(b.images[masks] == np.float32(0.95)) and np.all(b.images[~masks] < 0.55)
    for n in range(30):
        rows, cols = np.nonzero(masks[n])
        assert b.boxes[n].tolist() == [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]
    h = b.scale / 64
    assert np.all((h >= 0.45) & (h <= 0.8))


def test_crowds_overlap_up_to_max_iou_and_are_seeded():
    from coursekit.detection.boxes import box_iou

    f = [stick_figure_crowd(np.random.default_rng(s), n_people=5, max_iou=0.5) for s in range(10)]
    ious = [box_iou(x.boxes, x.boxes)[np.triu_indices(len(x.boxes), 1)] for x in f]
    assert max(i.max() for i in ious) > 0.2                       # people do overlap (drawn-pixel boxes)
    tight = [stick_figure_crowd(np.random.default_rng(s), n_people=5, max_iou=0.0) for s in range(5)]
    assert max(box_iou(x.boxes, x.boxes)[np.triu_indices(len(x.boxes), 1)].max(initial=0) for x in tight) == 0.0
    a, b = (stick_figure_crowd(np.random.default_rng(9)) for _ in range(2))
    assert np.array_equal(a.image, b.image) and np.array_equal(a.keypoints, b.keypoints)
    assert np.all((f[0].keypoints >= 0) & (f[0].keypoints < 96))


@pytest.mark.parametrize("call", [
    lambda: stick_figure_batch(np.random.default_rng(0), 0),
    lambda: stick_figure_batch(np.random.default_rng(0), 4, size=16),
    lambda: stick_figure_batch(np.random.default_rng(0), 4, height=(0.9, 0.2)),
    lambda: stick_figure_crowd(np.random.default_rng(0), max_iou=1.5),
    lambda: stick_figure_crowd(None),
])
def test_batch_and_crowd_bad_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()
