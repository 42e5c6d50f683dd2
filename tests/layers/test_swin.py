"""coursekit.layers.swin: windows round-trip, the shifted-window mask blocks exactly the pairs that came from
different regions (counted, and against an independent wrap-around rule), relative position indices, patch merging."""

from __future__ import annotations

import itertools

import pytest
import torch

from coursekit.layers.swin import (
    PatchMerging,
    RelativePositionBias,
    cyclic_shift,
    relative_position_index,
    shifted_window_attention,
    shifted_window_mask,
    window_partition,
    window_reverse,
)
from tests.torch_battery import TorchOp, battery, randn, run_check


def _merge_reference(x, m):
    """Patch merging written as a loop over 2×2 groups (order of the paper's code: (0,0), (1,0), (0,1), (1,1))."""
    B, H, W, C = x.shape
    out = torch.empty(B, H // 2, W // 2, 2 * C, dtype=x.dtype)
    for i, j in itertools.product(range(H // 2), range(W // 2)):
        g = torch.cat([x[:, 2 * i, 2 * j], x[:, 2 * i + 1, 2 * j], x[:, 2 * i, 2 * j + 1], x[:, 2 * i + 1, 2 * j + 1]], -1)
        out[:, i, j] = m.reduction(m.norm(g))
    return out


_MERGE = PatchMerging(3).double()

OPS = [
    TorchOp("window_partition", make=lambda g: (randn(g, 2, 4, 6, 3),), op=lambda x: window_partition(x, 2),
            shape=(12, 4, 3),
            bad=[(lambda: window_partition(torch.zeros(1, 5, 4, 1), 2), "multiples"),
                 (lambda: window_partition(torch.zeros(5, 4, 1), 2), "channels-last")],
            grad=(0,)),
    TorchOp("patch_merging", make=lambda g: (randn(g, 2, 4, 6, 3),), op=_MERGE, shape=(2, 2, 3, 6),
            bad=[(lambda: _MERGE(torch.zeros(1, 3, 4, 3, dtype=torch.float64)), "even")],
            grad=(0,), reference=lambda x: _merge_reference(x, _MERGE),
            atol=1e-12, why="the same float64 operations on the same 4C vector: bitwise equal up to ~1e-16",
            numel=8 * 3 + 8 * 3 * 3),
]


@pytest.mark.parametrize("op, check", battery(OPS))
def test_torch_battery(op, check):
    run_check(op, check)


@pytest.mark.parametrize("B, H, W, C, M", [(1, 8, 8, 1, 4), (2, 14, 21, 3, 7), (3, 6, 4, 2, 2)])
def test_partition_and_reverse_round_trip(B, H, W, C, M):
    x = torch.randn(B, H, W, C, generator=torch.Generator().manual_seed(H))
    win = window_partition(x, M)
    assert win.shape == (B * (H // M) * (W // M), M * M, C)
    assert torch.equal(window_reverse(win, M, H, W), x)
    # window k of image b holds the M×M block at window-grid position divmod(k, W/M)
    k = (H // M) * (W // M) - 1
    r, c = divmod(k, W // M)
    assert torch.equal(win[k].reshape(M, M, C), x[0, r * M:(r + 1) * M, c * M:(c + 1) * M])


def test_cyclic_shift_is_undone_by_the_opposite_shift():
    x = torch.randn(2, 8, 8, 3, generator=torch.Generator().manual_seed(0))
    assert torch.equal(cyclic_shift(cyclic_shift(x, 3), -3), x)
    assert torch.equal(cyclic_shift(x, 2)[:, 0, 0], x[:, 2, 2])


def test_mask_counts_for_an_8x8_map_with_4x4_windows_shifted_by_2():
    m = shifted_window_mask(8, 8, 4, 2)
    # window (0,0): one region of 16 → 256 allowed pairs; windows (0,1) and (1,0): two regions of 8 → 128 each;
    # window (1,1): four regions of 4 → 64. Counted by hand from the figure of Liu et al. (Fig. 4).
    assert [int(w.sum()) for w in m] == [256, 128, 128, 64]
    assert int((~m).sum()) == 4 * 256 - 576
    assert bool(m.transpose(1, 2).eq(m).all()) and bool(m.diagonal(dim1=1, dim2=2).all())   # symmetric, self allowed


@pytest.mark.parametrize("H, W, M, s", [(8, 8, 4, 2), (14, 21, 7, 3), (12, 8, 4, 1), (8, 8, 4, 0)])
def test_mask_allows_exactly_the_pairs_that_were_neighbours_before_the_roll(H, W, M, s):
    """Independent rule: after rolling by s, the token at (r, c) came from ((r + s) mod H, (c + s) mod W); it
    wrapped around iff r >= H - s (rows) or c >= W - s (columns). Inside a window, two tokens belong together
    iff they wrapped the same way in both directions."""
    m = shifted_window_mask(H, W, M, s)
    rows = torch.arange(H)[:, None].expand(H, W)
    cols = torch.arange(W)[None, :].expand(H, W)
    key = torch.stack([rows >= H - s, cols >= W - s], -1).double()[None]        # (1, H, W, 2)
    win = window_partition(key, M)                                             # (nW, M², 2)
    expected = (win[:, :, None, :] == win[:, None, :, :]).all(-1)
    assert torch.equal(m, expected)
    # and: an allowed pair was never more than M - 1 rows or columns apart in the unshifted map
    src = window_partition(torch.stack([(rows + s) % H, (cols + s) % W], -1)[None].double(), M)
    gap = (src[:, :, None, :] - src[:, None, :, :]).abs().amax(-1)
    assert bool((gap[m] <= M - 1).all())


def test_mask_rejects_a_shift_as_large_as_the_window():
    with pytest.raises(ValueError, match="shift < window"):
        shifted_window_mask(8, 8, 4, 4)


def test_relative_position_index_depends_only_on_the_offset():
    M = 3
    idx = relative_position_index(M)
    pos = [(i % M, i // M) for i in range(M * M)]                    # (x, y) of raster token i
    seen = {}
    for i, j in itertools.product(range(M * M), repeat=2):
        off = (pos[i][0] - pos[j][0], pos[i][1] - pos[j][1])
        assert seen.setdefault(off, int(idx[i, j])) == int(idx[i, j])
    assert len(seen) == (2 * M - 1) ** 2 == len(set(seen.values()))  # a bijection offsets ↔ table rows
    bias = RelativePositionBias(M, 2, generator=torch.Generator().manual_seed(0))()
    assert bias.shape == (2, 9, 9) and torch.equal(bias[:, 0, 0], bias[:, 4, 4])   # same offset (0, 0)
    assert sum(p.numel() for p in RelativePositionBias(7, 3).parameters()) == 13 * 13 * 3


def test_patch_merging_halves_resolution_and_doubles_width():
    assert PatchMerging(96)(torch.zeros(1, 56, 56, 96)).shape == (1, 28, 28, 192)    # Swin-T stage 1 → 2


def _weights(g, C, dtype=torch.float64):
    return (torch.randn(3 * C, C, generator=g, dtype=dtype) / C ** 0.5, torch.randn(3 * C, generator=g, dtype=dtype),
            torch.randn(C, C, generator=g, dtype=dtype) / C ** 0.5, torch.randn(C, generator=g, dtype=dtype))


def test_one_window_without_shift_is_plain_multi_head_attention():
    g = torch.Generator().manual_seed(0)
    B, H, W, C, h = 2, 4, 4, 6, 3
    x = torch.randn(B, H, W, C, generator=g, dtype=torch.float64)
    w_in, b_in, w_out, b_out = _weights(g, C)
    mha = torch.nn.MultiheadAttention(C, h, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        mha.in_proj_weight.copy_(w_in), mha.in_proj_bias.copy_(b_in)
        mha.out_proj.weight.copy_(w_out), mha.out_proj.bias.copy_(b_out)
    tokens = x.reshape(B, H * W, C)
    expected = mha(tokens, tokens, tokens, need_weights=False)[0].reshape(B, H, W, C)
    got = shifted_window_attention(x, w_in, b_in, w_out, b_out, n_heads=h, window=4, shift=0)
    torch.testing.assert_close(got, expected, atol=1e-12, rtol=0)    # float64: the same sums in another order


@pytest.mark.parametrize("H, W, M, s", [(8, 8, 4, 2), (6, 9, 3, 1), (8, 4, 4, 3)])
def test_cyclic_shift_with_mask_equals_shifted_windows_cut_at_the_borders(H, W, M, s):
    """Oracle without any roll: on the original map, shifted windows start at offset s, so the tokens of rows
    (and columns) before s form partial windows of their own. Two tokens attend iff they fall in the same such
    window, floor((y - s) / M) and floor((x - s) / M) equal; the bias is looked up from their offset. Attention
    itself is torch's F.scaled_dot_product_attention with an additive float mask."""
    g = torch.Generator().manual_seed(H + s)
    B, C, h = 2, 4, 2
    x = torch.randn(B, H, W, C, generator=g, dtype=torch.float64)
    w_in, b_in, w_out, b_out = _weights(g, C)
    rpb = RelativePositionBias(M, h, generator=g).double()
    with torch.no_grad():
        rpb.table.normal_(0, 1, generator=g)
    got = shifted_window_attention(x, w_in, b_in, w_out, b_out, n_heads=h, window=M, shift=s, bias=rpb())

    ys, xs = torch.meshgrid(torch.arange(H), torch.arange(W), indexing="ij")
    ys, xs = ys.reshape(-1), xs.reshape(-1)                                  # (N,) original coordinates
    same = (torch.div(ys - s, M, rounding_mode="floor")[:, None] == torch.div(ys - s, M, rounding_mode="floor")[None]) \
        & (torch.div(xs - s, M, rounding_mode="floor")[:, None] == torch.div(xs - s, M, rounding_mode="floor")[None])
    dy, dx = ys[:, None] - ys[None], xs[:, None] - xs[None]
    offset_row = ((dy + M - 1) * (2 * M - 1) + (dx + M - 1)).clamp(0, (2 * M - 1) ** 2 - 1)
    add = rpb.table.detach()[offset_row].permute(2, 0, 1)                    # (h, N, N)
    add = add.masked_fill(~same, float("-inf"))
    q, k, v = (t.reshape(B, H * W, h, C // h).transpose(1, 2)
               for t in torch.nn.functional.linear(x.reshape(B, H * W, C), w_in, b_in).chunk(3, -1))
    out = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=add[None])
    expected = torch.nn.functional.linear(out.transpose(1, 2).reshape(B, H * W, C), w_out, b_out).reshape(B, H, W, C)
    torch.testing.assert_close(got, expected, atol=1e-12, rtol=0)


def test_shifted_window_attention_gradcheck_and_bad_input():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(1, 4, 4, 2, generator=g, dtype=torch.float64, requires_grad=True)
    w_in, b_in, w_out, b_out = _weights(g, 2)
    bias = torch.randn(1, 4, 4, generator=g, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda t: shifted_window_attention(t, w_in, b_in, w_out, b_out, 1, 2, 1, bias), (x,))
    with pytest.raises(ValueError, match="in_proj_weight"):
        shifted_window_attention(x, w_in[:4], b_in, w_out, b_out, 1, 2, 1)
    with pytest.raises(ValueError, match="bias must have shape"):
        shifted_window_attention(x, w_in, b_in, w_out, b_out, 1, 2, 1, bias[:, :2])
    with pytest.raises(ValueError, match="shift < window"):
        shifted_window_attention(x, w_in, b_in, w_out, b_out, 1, 2, 2)
    with pytest.raises(ValueError, match="multiples of the window"):
        shifted_window_attention(x, w_in, b_in, w_out, b_out, 1, 3, 1)
