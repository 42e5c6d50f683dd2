"""Tests for coursekit.rendering.encoding (Chapter 9): NeRF's positional encoding."""

import math

import pytest
import torch

from coursekit.rendering.encoding import encoding_dim, positional_encoding


def test_encoding_matches_the_formula_entry_by_entry():
    p = torch.randn(7, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    L = 4
    enc = positional_encoding(p, L)
    assert enc.shape == (7, encoding_dim(3, L)) == (7, 27)
    assert torch.equal(enc[:, :3], p)
    for k in range(L):
        for i in range(3):
            col = 3 + k * 6
            assert torch.allclose(enc[:, col + i], torch.sin(2**k * math.pi * p[:, i]))
            assert torch.allclose(enc[:, col + 3 + i], torch.cos(2**k * math.pi * p[:, i]))


def test_each_frequency_pair_has_unit_norm():
    p = torch.rand(5, 2, dtype=torch.float64)
    e = positional_encoding(p, 3, include_input=False).reshape(5, 3, 2, 2)   # (N, L, sin/cos, d)
    assert torch.allclose((e**2).sum(2), torch.ones(5, 3, 2, dtype=torch.float64))


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="shape"):
        positional_encoding(torch.zeros(3), 2)
    with pytest.raises(ValueError, match="L"):
        positional_encoding(torch.zeros(3, 3), -1)
