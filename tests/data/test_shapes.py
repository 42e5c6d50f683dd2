"""Tests for coursekit.data.shapes (Chapters 5, 6, 17)."""

import numpy as np
import pytest

from coursekit.data.shapes import COLORS, SHAPE_NAMES, shape_images, shapes_dataset, shapes_scene
from coursekit.detection.boxes import masks_to_boxes


def _scenes(n=20, **kw):
    rng = np.random.default_rng(7)
    return [shapes_scene(rng, **kw) for _ in range(n)]


def test_same_seed_same_scene_and_new_seed_new_scene():
    a, b = (shapes_scene(np.random.default_rng(1)) for _ in range(2))
    c = shapes_scene(np.random.default_rng(2))
    for f in ("image", "boxes", "masks", "semantic", "depth"):
        assert np.array_equal(getattr(a, f), getattr(b, f))
    assert not np.array_equal(a.image, c.image)


def test_scene_shapes_dtypes_and_ranges():
    for s in _scenes(size=48):
        N = len(s.labels)
        assert 1 <= N <= 4
        assert s.image.shape == (48, 48, 3) and s.image.dtype == np.float64
        assert 0 <= s.image.min() and s.image.max() <= 1
        assert s.boxes.shape == (N, 4) and s.masks.shape == (N, 48, 48) and s.masks.dtype == bool
        assert s.semantic.dtype == np.int64 and s.labels.dtype == np.int64
        assert np.all((s.labels >= 0) & (s.labels < len(SHAPE_NAMES)))
        assert np.all(s.depth > 0)


def test_boxes_tightly_enclose_instance_masks():
    for s in _scenes():
        for box, m in zip(s.boxes, s.masks):
            rows, cols = np.nonzero(m)
            assert box.tolist() == [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]


def test_semantic_map_is_the_union_of_masks_by_class():
    for s in _scenes(rotate=True):
        expected = np.zeros_like(s.semantic)
        for label, m in zip(s.labels, s.masks):
            expected[m] = label + 1
        assert np.array_equal(s.semantic, expected)
        assert np.array_equal(s.semantic > 0, s.masks.any(0))
        assert np.array_equal(s.instances > 0, s.masks.any(0))


def test_masks_are_disjoint_and_mostly_visible():
    for s in _scenes(n_objects=4):
        assert s.masks.sum(0).max() <= 1
        # the visible area is at least half of a full shape of that radius (min_visible = 0.5);
        # a shape's area is at least 1.1 r^2 (the cross), so visible >= 0.5 * 1.1 r^2 minus edge pixels
        assert np.all(s.masks.sum((1, 2)) >= 0.4 * s.radii**2)


def test_noise_free_pixels_show_the_object_colour():
    for s in _scenes(noise=0.0):
        for m, c in zip(s.masks, s.colors):
            assert np.allclose(s.image[m], COLORS[c])


def test_depth_is_the_object_depth_on_masks_and_a_receding_plane_elsewhere():
    for s in _scenes():
        for m, z in zip(s.masks, s.object_depths):
            assert np.allclose(s.depth[m], z)
        bg = s.masks.any(0) == False  # noqa: E712
        # on the plane, inverse depth is linear in the row and decreases upwards (farther at the top)
        inv = 1 / s.depth
        col = np.flatnonzero(bg.all(0))
        if col.size:
            d = np.diff(inv[:, col[0]])
            assert np.all(d > 0) and np.allclose(d, d[0])
        # objects float in front of the plane
        assert s.object_depths.max(initial=0) < s.depth[bg].min()


def test_masks_to_boxes_matches_skimage_regionprops_bbox():
    from skimage.measure import regionprops
    s = shapes_scene(np.random.default_rng(3), n_objects=4)
    for box, m in zip(masks_to_boxes(s.masks), s.masks):
        r0, c0, r1, c1 = regionprops(m.astype(np.uint8))[0].bbox   # exclusive ends, like ours
        assert box.tolist() == [c0, r0, c1, r1]


def test_shapes_dataset_stacks_dense_maps_and_lists_objects():
    d = shapes_dataset(5, np.random.default_rng(0), size=32)
    assert d.images.shape == (5, 32, 32, 3) and d.depth.shape == (5, 32, 32)
    assert len(d.boxes) == len(d.masks) == 5
    assert all(len(b) == len(l) for b, l in zip(d.boxes, d.labels))


def test_shape_images_are_balanced_and_centred():
    x, y, c = shape_images(40, np.random.default_rng(0), size=16, gray=True)
    assert x.shape == (40, 16, 16) and np.bincount(y).tolist() == [10] * 4
    assert set(np.unique(x)) <= {0.0, 1.0}
    # the shape does not touch the border
    assert not x[:, [0, -1], :].any() and not x[:, :, [0, -1]].any()
    xc, _, _ = shape_images(8, np.random.default_rng(1), size=16)
    assert xc.shape == (8, 16, 16, 3)


def test_shape_images_deterministic():
    a = shape_images(5, np.random.default_rng(0))[0]
    b = shape_images(5, np.random.default_rng(0))[0]
    assert np.array_equal(a, b)


@pytest.mark.parametrize("call", [
    lambda: shapes_scene(np.random.default_rng(0), size=8),
    lambda: shapes_scene(np.random.default_rng(0), n_objects=(3, 1)),
    lambda: shapes_scene(np.random.default_rng(0), classes=("hexagon",)),
    lambda: shapes_scene(np.random.default_rng(0), noise=-0.1),
    lambda: shapes_scene(np.random.default_rng(0), radius=(0.3, 0.1)),
    lambda: shapes_scene(42),
    lambda: shapes_dataset(0, np.random.default_rng(0)),
    lambda: shape_images(4, np.random.default_rng(0), jitter=0.5),
    lambda: masks_to_boxes(np.zeros((4, 4))),
])
def test_bad_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()
