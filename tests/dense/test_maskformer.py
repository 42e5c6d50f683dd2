"""coursekit.dense.maskformer: set targets round-trip, matching equals brute force over permutations and recovers
a known permutation, inference recovers the semantic map, the loss rewards the right assignment."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from coursekit.data import shapes_scene
from coursekit.dense import maskformer as mf
from coursekit.dense.tasks import semantic_from_instances


@pytest.fixture(scope="module")
def scene():
    return shapes_scene(np.random.default_rng(7), size=32, n_objects=4)


def _queries(classes, masks, K, Q, rng, perm):
    """Confident, slightly noisy predictions of the segments, in the order ``perm``, plus 'no object' queries."""
    cls = np.full((Q, K + 1), -4.0)
    cls[:, K] = 4.0                                                # default: no object
    z = np.full((Q,) + masks.shape[1:], -6.0)
    for q, n in enumerate(perm):
        cls[q] = -4.0
        cls[q, classes[n]] = 4.0
        z[q] = np.where(masks[n], 6.0, -6.0) + rng.normal(size=masks.shape[1:])
    return cls, z


def test_semantic_map_round_trips_through_the_set_of_masks(scene):
    classes, masks = mf.masks_from_semantic(scene.semantic, 5)
    assert (masks.sum(0) == 1).all()                               # disjoint and covering
    np.testing.assert_array_equal(semantic_from_instances(masks, classes), scene.semantic)


def test_matching_equals_brute_force_over_all_assignments():
    rng = np.random.default_rng(0)
    for _ in range(20):
        cost = rng.normal(size=(5, 3))
        q, n = mf.match_masks(cost)
        best = min(sum(cost[p[i], i] for i in range(3)) for p in itertools.permutations(range(5), 3))
        assert cost[q, n].sum() == pytest.approx(best, abs=1e-12)


def test_matching_recovers_a_known_permutation_and_inference_the_semantic_map(scene):
    rng = np.random.default_rng(1)
    classes, masks = mf.masks_from_semantic(scene.semantic, 5)
    perm = rng.permutation(len(classes))
    cls, z = _queries(classes, masks, 5, 8, rng, perm)
    q, n = mf.match_masks(mf.mask_matching_cost(cls, z, classes, masks))
    np.testing.assert_array_equal(perm[q], n)                      # query q predicted segment perm[q]
    np.testing.assert_array_equal(mf.mask_classification_inference(cls, z), scene.semantic)


def test_loss_is_small_for_good_predictions_and_large_for_swapped_classes(scene):
    rng = np.random.default_rng(2)
    classes, masks = mf.masks_from_semantic(scene.semantic, 5)
    cls, z = _queries(classes, masks, 5, 8, rng, np.arange(len(classes)))
    good = mf.mask_classification_loss(cls, z, classes, masks)
    wrong_cls = cls.copy()
    wrong_cls[:len(classes)] = np.roll(cls[:len(classes)], 1, axis=0)   # right masks, classes shifted by one
    assert good < 0.2
    assert mf.mask_classification_loss(wrong_cls, z, classes, masks) > good + 1.0


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="one row per query"):
        mf.mask_classification_inference(np.zeros((3, 4)), np.zeros((2, 5, 5)))
    with pytest.raises(ValueError, match="at least as many queries"):
        mf.match_masks(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="no object"):
        mf.mask_matching_cost(np.zeros((2, 3)), np.zeros((2, 4, 4)), np.array([2]), np.zeros((1, 4, 4), bool))
    with pytest.raises(ValueError, match="outside"):
        mf.masks_from_semantic(np.array([[0, 3]]), 3)
