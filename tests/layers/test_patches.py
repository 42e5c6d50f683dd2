"""coursekit.layers.patches: the two patchify paths agree (reshape + linear vs conv with stride P), patchify
round-trips, the 2D sinusoidal code is built from the 1D one, and position tables resample correctly."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coursekit.layers.patches import (
    PatchEmbedding,
    interpolate_position_embedding,
    patch_embed,
    patchify,
    prepend_tokens,
    sinusoidal_2d_positional_encoding,
    unpatchify,
)
from coursekit.layers.positional import sinusoidal_positional_encoding
from tests.torch_battery import TorchOp, battery, randn, run_check


def _conv_path(x, w, b, P):
    return F.conv2d(x, w, b, stride=P).flatten(2).transpose(1, 2)      # (B, N, D)


def _module_twin(inputs):
    x, w, b = inputs
    m = PatchEmbedding(3, 6, 4).double()
    with torch.no_grad():
        m.proj.weight.copy_(w)
        m.proj.bias.copy_(b)
    return m, (x,)


OPS = [
    TorchOp("patch_embed",
            make=lambda g: (randn(g, 2, 3, 8, 12), randn(g, 6, 3, 4, 4), randn(g, 6)),
            op=lambda x, w, b: patch_embed(x, w, b, 4), shape=(2, 6, 6),
            bad=[(lambda: patch_embed(torch.zeros(1, 3, 9, 8), torch.zeros(6, 3, 4, 4), None, 4), "multiple of"),
                 (lambda: patch_embed(torch.zeros(1, 3, 8, 8), torch.zeros(6, 1, 4, 4), None, 4), "weight must"),
                 (lambda: patch_embed(torch.zeros(3, 8, 8), torch.zeros(6, 3, 4, 4), None, 4), "x")],
            grad=(0, 1, 2), module=_module_twin,
            reference=lambda x, w, b: _conv_path(x, w, b, 4),
            atol=1e-12, why="float64 sums of 48 products in a different order: ~1e-15"),
    TorchOp("interpolate_position_embedding",
            make=lambda g: (randn(g, 1 + 9, 4),),
            op=lambda pos: interpolate_position_embedding(pos, (3, 3), (5, 5), mode="bilinear"),
            shape=(26, 4),
            bad=[(lambda: interpolate_position_embedding(torch.zeros(9, 4), (3, 3), (5, 5)), "pos must"),
                 (lambda: interpolate_position_embedding(torch.zeros(10, 4), (3, 3), (5, 5), mode="area"), "mode")],
            grad=(0,)),
]


@pytest.mark.parametrize("op, check", battery(OPS))
def test_torch_battery(op, check):
    run_check(op, check)


@pytest.mark.parametrize("P, C, H, W, D", [(16, 3, 224, 224, 8), (4, 1, 16, 16, 64), (2, 2, 6, 10, 5)])
def test_conv_with_stride_P_equals_reshape_plus_linear_with_the_same_weights(P, C, H, W, D):
    g = torch.Generator().manual_seed(P)
    x = torch.randn(2, C, H, W, generator=g, dtype=torch.float64)
    emb = PatchEmbedding(C, D, P).double()
    linear = patch_embed(x, emb.proj.weight, emb.proj.bias, P)
    # the same products summed in another order in float64: 1e-12 is ~1000× the rounding error of C·P² ≤ 768 terms
    torch.testing.assert_close(linear, emb(x), atol=1e-12, rtol=0)


def test_patchify_is_raster_order_and_round_trips():
    x = torch.arange(2 * 4 * 6, dtype=torch.float64).reshape(1, 2, 4, 6)
    p = patchify(x, 2)                                             # (1, 6, 8)
    assert p.shape == (1, 6, 8)
    # patch 4 is grid row 1, column 1: rows 2:4, columns 2:4 of channel 0 then channel 1
    assert p[0, 4].tolist() == x[0, :, 2:4, 2:4].reshape(-1).tolist()
    assert torch.equal(unpatchify(p, 2, (2, 3), 2), x)


def test_prepend_tokens_puts_shared_tokens_first():
    x = torch.zeros(3, 4, 2)
    out = prepend_tokens(x, torch.tensor([1.0, 1.0]), torch.full((1, 1, 2), 2.0))
    assert out.shape == (3, 6, 2) and out[:, 0].eq(1).all() and out[:, 1].eq(2).all() and out[:, 2:].eq(0).all()
    with pytest.raises(ValueError, match="width"):
        prepend_tokens(x, torch.zeros(3))


def test_2d_sinusoidal_code_is_two_1d_codes_of_x_and_y():
    gh, gw, D = 3, 5, 16
    pe = sinusoidal_2d_positional_encoding(gh, gw, D, dtype=torch.float64)
    one_d = sinusoidal_positional_encoding(5, D // 2, dtype=torch.float64)
    for n in range(gh * gw):
        y, x = divmod(n, gw)
        assert torch.equal(pe[n, : D // 2], one_d[x]) and torch.equal(pe[n, D // 2:], one_d[y])
    assert len({tuple(r.tolist()) for r in pe}) == gh * gw          # every patch gets its own code
    with pytest.raises(ValueError, match="multiple of 4"):
        sinusoidal_2d_positional_encoding(2, 2, 6)


def test_interpolation_keeps_prefix_and_identity_and_reproduces_a_smooth_table():
    g = torch.Generator().manual_seed(0)
    pos = torch.randn(1 + 16, 6, generator=g, dtype=torch.float64)
    same = interpolate_position_embedding(pos, (4, 4), (4, 4))
    torch.testing.assert_close(same, pos, atol=1e-12, rtol=0)         # same grid: identity (bicubic at the knots)
    # a table linear in the patch-centre coordinates is reproduced exactly by bilinear resampling (inside the hull)
    def linear_table(n):
        c = (np.arange(n) + 0.5) / n                                  # centres in [0, 1]
        yy, xx = np.meshgrid(c, c, indexing="ij")
        return torch.tensor(np.stack([xx.ravel(), yy.ravel()], 1) * 3.0 + 1.0)
    new = interpolate_position_embedding(torch.cat([torch.full((1, 2), 7.0, dtype=torch.float64), linear_table(4)]),
                                         (4, 4), (8, 8), mode="bilinear")
    assert new[0].tolist() == [7.0, 7.0]
    inner = linear_table(8).reshape(8, 8, 2)[1:-1, 1:-1]            # border centres fall outside the old hull (clamped)
    torch.testing.assert_close(new[1:].reshape(8, 8, 2)[1:-1, 1:-1], inner, atol=1e-12, rtol=0)
