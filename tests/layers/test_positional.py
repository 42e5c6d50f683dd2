"""coursekit.layers.positional: the sinusoidal table against the paper's formula written out in plain Python,
the rotation property PE(p + k) = R_k PE(p), and the modules that add the codes."""

from __future__ import annotations

import math

import pytest
import torch

from coursekit.layers.positional import (
    LearnedPositionalEncoding,
    SinusoidalPositionalEncoding,
    sinusoidal_positional_encoding,
    sinusoidal_shift_matrix,
)


@pytest.mark.parametrize("n, d", [(50, 16), (7, 6), (128, 64)])
def test_sinusoidal_table_follows_the_paper_formula(n, d):
    """PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d)) (Vaswani et al., §3.5)."""
    expected = torch.tensor([[math.sin(pos / 10000 ** (2 * (c // 2) / d)) if c % 2 == 0
                              else math.cos(pos / 10000 ** (2 * (c // 2) / d)) for c in range(d)]
                             for pos in range(n)], dtype=torch.float64)
    # both are float64 sin/cos of the same angle, computed by math and by torch: ~1e-15 apart
    torch.testing.assert_close(sinusoidal_positional_encoding(n, d, dtype=torch.float64), expected, atol=1e-12, rtol=0)


def test_even_and_odd_columns_of_a_pair_share_one_frequency():
    pe = sinusoidal_positional_encoding(200, 8, dtype=torch.float64)
    # sin² + cos² = 1 holds only if the two columns of a pair use the same angle
    torch.testing.assert_close(pe[:, 0::2] ** 2 + pe[:, 1::2] ** 2, torch.ones(200, 4, dtype=torch.float64),
                               atol=1e-12, rtol=0)


@pytest.mark.parametrize("k", [1, 5, -3, 40])
def test_shift_matrix_maps_every_position_to_position_plus_k(k):
    pe = sinusoidal_positional_encoding(100, 16, dtype=torch.float64)
    R = sinusoidal_shift_matrix(k, 16)
    lo, hi = max(0, -k), min(100, 100 - k)
    torch.testing.assert_close(pe[lo:hi] @ R.T, pe[lo + k:hi + k], atol=1e-10, rtol=0)
    torch.testing.assert_close(R @ R.T, torch.eye(16, dtype=torch.float64), atol=1e-12, rtol=0)   # a rotation


def test_dot_product_of_two_codes_depends_only_on_their_offset():
    pe = sinusoidal_positional_encoding(64, 32, dtype=torch.float64)
    for k in (0, 1, 7):
        dots = (pe[: 64 - k] * pe[k:]).sum(1)                    # PE(p) · PE(p + k) for every p
        assert float(dots.max() - dots.min()) < 1e-10


def test_sinusoidal_module_adds_the_table_at_an_offset():
    enc = SinusoidalPositionalEncoding(8, max_positions=20)
    x = torch.randn(2, 5, 8, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(enc(x, offset=3), x + sinusoidal_positional_encoding(20, 8)[3:8])
    assert len(list(enc.parameters())) == 0 and "pe" not in enc.state_dict()   # fixed, not saved


def test_learned_encoding_is_seeded_and_cannot_extrapolate():
    a = LearnedPositionalEncoding(10, 4, generator=torch.Generator().manual_seed(1))
    b = LearnedPositionalEncoding(10, 4, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a.weight, b.weight) and abs(float(a.weight.detach().std()) - 0.02) < 0.01
    x = torch.zeros(1, 4, 4)
    assert torch.equal(a(x, offset=6), a.weight[6:10][None])
    with pytest.raises(ValueError, match="cannot extrapolate"):
        a(x, offset=7)


@pytest.mark.parametrize("call, words", [
    (lambda: sinusoidal_positional_encoding(4, 5), "even"),
    (lambda: sinusoidal_positional_encoding(0, 4), "n_positions"),
    (lambda: sinusoidal_positional_encoding(4, 4, base=0.0), "base"),
    (lambda: sinusoidal_shift_matrix(1, 7), "even"),
    (lambda: SinusoidalPositionalEncoding(4, max_positions=3)(torch.zeros(1, 4, 4)), "table holds"),
])
def test_positional_encodings_reject_bad_input(call, words):
    with pytest.raises(ValueError, match=words):
        call()
