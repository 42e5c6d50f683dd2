"""Semantic, instance and panoptic segmentation, written as conversions between their label formats.

Chapter 6 (Segmentation and depth). The three tasks differ in what one pixel's label says:

* **semantic**: a class per pixel, ``(H, W)`` of ints — two touching circles are one blob of "circle";
* **instance**: a set of binary masks with a class each, ``(N, H, W)`` and ``(N,)``, for countable *things*
  only (objects); amorphous *stuff* (sky, road, our background) gets no instances and masks may overlap;
* **panoptic**: every pixel gets a class *and*, for things, an instance id; segments never overlap. It is
  stored as one integer per pixel, ``class · L + instance`` (L is a "label divisor", as in Cityscapes and
  Detectron2), with instance 0 for stuff.

Semantic labels follow from instance or panoptic ones; the reverse needs more than the labels, which the
connected-components shortcut shows: it splits a class into instances only where they do not touch.

References
----------
A. Kirillov, K. He, R. Girshick, C. Rother and P. Dollár, "Panoptic segmentation", CVPR 2019.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from coursekit.core.validation import check_array, check_int

__all__ = ["semantic_from_instances", "panoptic_from_semantic_instances", "split_panoptic",
           "instances_by_components"]


def semantic_from_instances(masks, labels, background: int = 0) -> np.ndarray:
    """The semantic map of a set of instance masks: pixel -> class of the (last) mask covering it.

    Defined in :ref:`sec-seg-tasks`.

    Parameters
    ----------
    masks : (N, H, W) ndarray of bool
        Instance masks (later masks win where masks overlap).
    labels : (N,) ndarray of int
        Class of each instance.
    background : int
        The class of pixels no mask covers.

    Returns
    -------
    (H, W) ndarray of int64

    Examples
    --------
    >>> m = np.zeros((2, 1, 4), bool); m[0, 0, :2] = True; m[1, 0, 2:3] = True
    >>> semantic_from_instances(m, np.array([1, 1]))                     # two instances, one class
    array([[1, 1, 1, 0]])
    """
    masks = check_array(masks, "masks", ndim=3, dtype_kind="b")
    labels = check_array(np.asarray(labels), "labels", ndim=1, dtype_kind="iu", shape=(masks.shape[0],))
    out = np.full(masks.shape[1:], check_int(background, "background", minimum=None), dtype=np.int64)
    for m, c in zip(masks, labels):
        out[m] = c
    return out


def panoptic_from_semantic_instances(semantic, instances, thing_classes, label_divisor: int = 1000) -> np.ndarray:
    """Panoptic ids ``class · L + instance`` from a semantic map and an instance-id map.

    Defined in :ref:`sec-seg-tasks` (Eq. :eq:`eq-panoptic-id`).

    Parameters
    ----------
    semantic : (H, W) ndarray of int
        Class per pixel.
    instances : (H, W) ndarray of int
        Instance id per pixel (> 0 on things; ignored on stuff).
    thing_classes : sequence of int
        The classes that have instances; the others are stuff and get instance 0.
    label_divisor : int
        L, larger than any instance id.

    Returns
    -------
    (H, W) ndarray of int64

    Examples
    --------
    >>> sem = np.array([[0, 1, 1, 1]]); inst = np.array([[0, 1, 1, 2]])
    >>> panoptic_from_semantic_instances(sem, inst, thing_classes=[1])
    array([[   0, 1001, 1001, 1002]])
    """
    semantic = check_array(semantic, "semantic", ndim=2, dtype_kind="iu")
    instances = check_array(instances, "instances", ndim=2, dtype_kind="iu", shape=semantic.shape)
    L = check_int(label_divisor, "label_divisor", minimum=2)
    if instances.max(initial=0) >= L:
        raise ValueError(f"instance ids reach {instances.max()}, but label_divisor is {L}; use a larger divisor.")
    thing = np.isin(semantic, np.asarray(list(thing_classes), dtype=np.int64))
    return semantic.astype(np.int64) * L + np.where(thing, instances, 0).astype(np.int64)


def split_panoptic(panoptic, label_divisor: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Undo :func:`panoptic_from_semantic_instances`: ``(semantic, instance) = divmod(panoptic, L)``.

    Defined in :ref:`sec-seg-tasks` (Eq. :eq:`eq-panoptic-id`).

    Returns
    -------
    semantic, instance : (H, W) ndarray of int64

    Examples
    --------
    >>> split_panoptic(np.array([[0, 1001, 2003]]))
    (array([[0, 1, 2]]), array([[0, 1, 3]]))
    """
    panoptic = check_array(panoptic, "panoptic", dtype_kind="iu")
    L = check_int(label_divisor, "label_divisor", minimum=2)
    sem, inst = np.divmod(panoptic.astype(np.int64), L)
    return sem, inst


def instances_by_components(semantic, thing_classes) -> np.ndarray:
    """Guess instances from a semantic map: each 4-connected blob of a thing class becomes one instance.

    Defined in :ref:`sec-seg-tasks`.

    The shortcut that shows why instance segmentation is its own task: two touching objects of one class
    merge into a single blob.

    Parameters
    ----------
    semantic : (H, W) ndarray of int
    thing_classes : sequence of int

    Returns
    -------
    (H, W) ndarray of int64
        0 on stuff, ids 1, 2, ... on the blobs (numbered class by class).

    Examples
    --------
    >>> instances_by_components(np.array([[1, 1, 0, 1], [0, 0, 0, 1]]), thing_classes=[1])
    array([[1, 1, 0, 2],
           [0, 0, 0, 2]])
    """
    semantic = check_array(semantic, "semantic", ndim=2, dtype_kind="iu")
    out = np.zeros(semantic.shape, dtype=np.int64)
    next_id = 1
    for c in thing_classes:
        blobs, n = ndimage.label(semantic == c)                         # 4-connectivity by default
        out[blobs > 0] = blobs[blobs > 0] + next_id - 1
        next_id += n
    return out
