"""coursekit.dense.tasks: the three label formats agree on generated scenes, panoptic ids round-trip, and
connected components merge touching instances."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit.data import shapes_scene
from coursekit.dense import tasks


@pytest.mark.parametrize("seed", range(4))
def test_semantic_map_follows_from_the_instances(seed):
    s = shapes_scene(np.random.default_rng(seed), size=48, n_objects=(2, 5))
    np.testing.assert_array_equal(tasks.semantic_from_instances(s.masks, s.labels + 1), s.semantic)


@pytest.mark.parametrize("seed", range(4))
def test_panoptic_ids_round_trip(seed):
    s = shapes_scene(np.random.default_rng(seed), size=48, n_objects=(2, 5))
    pan = tasks.panoptic_from_semantic_instances(s.semantic, s.instances, thing_classes=[1, 2, 3, 4])
    sem, inst = tasks.split_panoptic(pan)
    np.testing.assert_array_equal(sem, s.semantic)
    np.testing.assert_array_equal(inst, s.instances)               # background (stuff) has instance 0 already
    assert len(np.unique(pan[pan > 0])) == len(s.labels)           # one panoptic segment per object


def test_components_split_apart_objects_but_merge_touching_ones():
    sem = np.zeros((6, 10), np.int64)
    sem[1:3, 1:3] = 1                                              # object A
    sem[1:3, 6:8] = 1                                              # object B, apart from A
    sem[3:5, 6:9] = 1                                              # object C, touching B
    inst = tasks.instances_by_components(sem, thing_classes=[1])
    assert len(np.unique(inst[inst > 0])) == 2                     # three objects, two blobs


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="label_divisor"):
        tasks.panoptic_from_semantic_instances(np.zeros((2, 2), int), np.full((2, 2), 5), [1], label_divisor=5)
    with pytest.raises(ValueError, match="shape"):
        tasks.semantic_from_instances(np.zeros((2, 3, 3), bool), np.array([1]))
