"""Tests of coursekit.image.components against scipy.ndimage.label (Chapter 2, connected components)."""

import numpy as np
import pytest
from scipy import ndimage
from skimage import data

from coursekit.image import components as C
from coursekit.image import edges as E
from coursekit.image._union_find import hook_and_compress

STRUCTURE = {1: ndimage.generate_binary_structure(2, 1), 2: np.ones((3, 3), bool)}

MASKS = {
    "coins > 107": data.coins() > 107,
    "camera < 80": data.camera() < 80,
    "page < 120": data.page() < 120,
    "blobs": data.binary_blobs(length=128, blob_size_fraction=0.05, rng=1),
}


def _random_masks():
    rng = np.random.default_rng(0)
    for shape, p in [((1, 1), 0.5), ((1, 40), 0.5), ((40, 1), 0.5), ((37, 53), 0.3), ((64, 64), 0.6), ((20, 30), 1.0)]:
        yield f"random {shape} p={p}", rng.random(shape) < p


@pytest.mark.parametrize("connectivity", [1, 2])
@pytest.mark.parametrize("name", list(MASKS) + [n for n, _ in _random_masks()])
@pytest.mark.parametrize("fast", [True, False])
def test_labels_equal_scipy_ndimage_label(name, connectivity, fast):
    mask = MASKS.get(name)
    if mask is None:
        mask = dict(_random_masks())[name]
    ours, n = C.connected_components(mask, connectivity, fast=fast)
    ref, n_ref = ndimage.label(mask, structure=STRUCTURE[connectivity])
    # both number components 1..n in raster order of their first pixel, so the labels agree exactly
    assert n == n_ref
    np.testing.assert_array_equal(ours, ref)
    assert ours.dtype == np.int32


def test_diagonal_neighbours_join_only_with_8_connectivity():
    mask = np.eye(5, dtype=bool)
    assert C.connected_components(mask, 2)[1] == 1
    assert C.connected_components(mask, 1)[1] == 5


def test_a_u_shape_merges_two_runs_found_apart():
    # the two arms start as separate components in the first rows and meet at the bottom: the union step
    mask = np.array([[1, 0, 1], [1, 0, 1], [1, 1, 1]], dtype=bool)
    labels, n = C.connected_components(mask, 1)
    assert n == 1 and set(np.unique(labels)) == {0, 1}


def test_union_find_returns_each_sets_smallest_item_and_equals_the_vectorised_rung():
    rng = np.random.default_rng(3)
    n = 300
    a, b = rng.integers(0, n, 250), rng.integers(0, n, 250)
    roots = C.union_find(n, a, b)
    np.testing.assert_array_equal(roots, hook_and_compress(n, a, b))
    assert np.all(roots[a] == roots[b])                         # every pair ends in one set
    assert np.all(roots <= np.arange(n)) and np.all(roots[roots] == roots)
    # an independent oracle: scipy's graph components give the same partition
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components as graph_components
    _, comp = graph_components(coo_matrix((np.ones(a.size), (a, b)), shape=(n, n)), directed=False)
    for c in np.unique(comp):
        assert len(np.unique(roots[comp == c])) == 1


def test_runs_cover_exactly_the_true_pixels(rng):
    mask = rng.random((23, 31)) < 0.5
    row, start, stop = C.row_runs(mask)
    painted = np.zeros_like(mask)
    for r, s, e in zip(row, start, stop):
        assert not painted[r, s:e].any() and mask[r, s:e].all()
        painted[r, s:e] = True
    assert np.array_equal(painted, mask)
    assert np.all(np.diff(row * 100 + start) > 0)                  # raster order


def test_touching_runs_widen_the_overlap_by_one_column_for_8_connectivity():
    mask = np.array([[0, 1, 1, 0, 0, 0], [0, 0, 0, 1, 0, 0]], dtype=bool)   # meet at a corner only
    runs = C.row_runs(mask)
    assert len(C.touching_runs(*runs, width=6, connectivity=1)[0]) == 0
    np.testing.assert_array_equal(np.stack(C.touching_runs(*runs, width=6, connectivity=2)), [[0], [1]])


def test_hysteresis_uses_the_lesson_labelling_and_equals_propagation():
    nms = E.non_max_suppression(*E.gradient_magnitude_direction(data.camera().astype(float)))
    expected = ndimage.binary_propagation(nms > 150, structure=np.ones((3, 3)), mask=nms > 50)
    assert np.array_equal(E.hysteresis_threshold(nms, 50, 150), expected)


@pytest.mark.parametrize("bad", [np.zeros((3, 3, 2)), [[1, 0]], np.array([[1.0, np.nan]])])
def test_bad_masks_are_refused(bad):
    with pytest.raises(ValueError):
        C.connected_components(bad)


@pytest.mark.parametrize("connectivity", [0, 3, 1.5, True])
def test_connectivity_must_be_1_or_2(connectivity):
    with pytest.raises(ValueError, match="connectivity"):
        C.connected_components(np.ones((3, 3), bool), connectivity)


def test_empty_and_full_masks():
    assert C.connected_components(np.zeros((4, 5), bool))[1] == 0
    labels, n = C.connected_components(np.ones((4, 5), bool))
    assert n == 1 and np.all(labels == 1)
