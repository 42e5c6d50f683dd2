"""The fast union step behind :func:`coursekit.image.components.connected_components`.

:func:`coursekit.image.components.union_find` is the lesson: a loop of ``find`` and ``union`` with path
halving. :func:`hook_and_compress` computes the same roots with whole-array operations, the way parallel
connected-components algorithms do (Shiloach and Vishkin, J. Algorithms 3(1), 1982): every pair hooks the
larger of its two roots onto the smaller (``np.minimum.at``), then pointer jumping (``parent =
parent[parent]``) makes every item point straight at its root; repeat until no pair joins two roots. Each
round merges every set that still has a pair leaving it with at least one other, so the number of such sets
at least halves: O(log n) rounds. ``tests/image/test_components.py`` holds the two equal.

Used in Chapter 2 (connected components, and through them Canny's hysteresis).
"""

from __future__ import annotations

import numpy as np

__all__ = ["hook_and_compress"]


def hook_and_compress(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Roots of ``n`` items merged along the pairs ``(a[i], b[i])``: each set's smallest item.

    ``a`` and ``b`` are ``(P,)`` integer arrays; returns ``(n,)`` int64, equal to
    :func:`coursekit.image.components.union_find` (a root is always its set's smallest item, because a
    parent is never larger than its child).
    """
    parent = np.arange(int(n), dtype=np.int64)
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    while a.size:
        ra, rb = parent[a], parent[b]                     # (P,) roots: parent is compressed below
        join = ra != rb
        if not join.any():
            break
        a, b, ra, rb = a[join], b[join], ra[join], rb[join]   # pairs already inside one set are done
        np.minimum.at(parent, np.maximum(ra, rb), np.minimum(ra, rb))   # hook: larger root -> smaller
        while True:                                       # pointer jumping until every item sees its root
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
    return parent
