"""Pretext labels: rotations against NumPy's rot90, context-prediction pairs against crops at the labelled offset."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from coursekit.ssl.pretext import NEIGHBOUR_OFFSETS, context_pairs, rotation_batch


def _g(seed=0):
    return torch.Generator().manual_seed(seed)


def test_rotations_match_numpy_rot90_and_labels():
    x = torch.randn(3, 2, 5, 5, generator=_g(1))
    xr, y = rotation_batch(x)
    assert xr.shape == (12, 2, 5, 5) and y.tolist() == [0] * 3 + [1] * 3 + [2] * 3 + [3] * 3
    for i in range(12):
        expected = np.rot90(x[i % 3].numpy(), k=int(y[i]), axes=(1, 2))    # counter-clockwise in (H, W)
        assert np.array_equal(xr[i].numpy(), expected)


def test_offsets_are_the_eight_neighbours():
    assert sorted(NEIGHBOUR_OFFSETS) == sorted((dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if (dr, dc) != (0, 0))


def test_context_pair_is_found_at_the_labelled_offset():
    B, P, G = 40, 3, 1
    x = torch.randn(B, 1, 16, 16, generator=_g(2))     # distinct values: a patch identifies its position
    centre, neighbour, y = context_pairs(x, P, G, _g(3))
    assert set(y.tolist()) == set(range(8))
    for b in range(B):                                 # brute force: locate both patches in the image
        img = x[b, 0]
        found = {}
        for name, patch in (("c", centre[b, 0]), ("n", neighbour[b, 0])):
            hits = [(r, c) for r in range(16 - P + 1) for c in range(16 - P + 1)
                    if torch.equal(img[r:r + P, c:c + P], patch)]
            assert len(hits) == 1
            found[name] = hits[0]
        dr, dc = found["n"][0] - found["c"][0], found["n"][1] - found["c"][1]
        assert (dr, dc) == tuple(s * (P + G) for s in NEIGHBOUR_OFFSETS[int(y[b])])


def test_bad_inputs():
    with pytest.raises(ValueError, match="x must have shape"):
        rotation_batch(torch.zeros(1, 1, 4, 5))
    with pytest.raises(ValueError, match="at least 11"):
        context_pairs(torch.zeros(1, 1, 10, 10), 3, 1, _g())
