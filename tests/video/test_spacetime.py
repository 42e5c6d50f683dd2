"""coursekit.video.spacetime: temporal and spatial attention are joint attention under a mask; the pair
counts equal the numbers of attention weights; the module's joint/divided paths against explicit compositions."""

import pytest
import torch

from coursekit.layers.attention import scaled_dot_product_attention
from coursekit.video.spacetime import (
    SpaceTimeAttention,
    joint_attention,
    space_time_attention_pairs,
    space_time_mask,
    spatial_attention,
    temporal_attention,
)
from tests.torch_battery import TorchOp, battery, randn, run_check

B, T, N, d = 1, 2, 3, 2                  # small: gradcheck perturbs every input value


def _qkv(g):
    return randn(g, B, T, N, d), randn(g, B, T, N, d), randn(g, B, T, N, d)


def _masked_joint(kind):
    return lambda q, k, v: joint_attention(q, k, v, mask=space_time_mask(T, N, kind))[0]


OPS = [
    TorchOp("temporal_attention", make=_qkv, op=lambda q, k, v: temporal_attention(q, k, v)[0], shape=(B, T, N, d),
            bad=[(lambda: temporal_attention(torch.zeros(2, 3, 4), torch.zeros(2, 3, 4), torch.zeros(2, 3, 4)), "q")],
            grad=(0, 1, 2), reference=_masked_joint("time"), atol=1e-12,
            why="the same softmax over the same keys; blocked keys get weight exactly 0: ~1e-16"),
    TorchOp("spatial_attention", make=_qkv, op=lambda q, k, v: spatial_attention(q, k, v)[0], shape=(B, T, N, d),
            bad=[(lambda: spatial_attention(torch.zeros(2, 3, 4, 4), torch.zeros(2, 2, 4, 4), torch.zeros(2, 3, 4, 4)),
                  "k")],
            grad=(0, 1, 2), reference=_masked_joint("space"), atol=1e-12,
            why="the same softmax over the same keys; blocked keys get weight exactly 0: ~1e-16"),
    TorchOp("joint_attention", make=_qkv, op=lambda q, k, v: joint_attention(q, k, v)[0], shape=(B, T, N, d),
            grad=(0, 1, 2),
            reference=lambda q, k, v: torch.nn.functional.scaled_dot_product_attention(
                q.reshape(B, T * N, d), k.reshape(B, T * N, d), v.reshape(B, T * N, d)).reshape(B, T, N, d),
            atol=1e-12, why="torch's fused float64 kernel vs the explicit softmax: ~1e-15"),
    # the module: two nn.MultiheadAttention-shaped layers (4D² + 4D parameters each), gradcheck through both
    TorchOp("SpaceTimeAttention(divided)", make=lambda g: (randn(g, 1, 2, 3, 4),),
            op=SpaceTimeAttention(4, 2, "divided", torch.Generator().manual_seed(0)).double(), shape=(1, 2, 3, 4),
            numel=2 * (4 * 4 * 4 + 4 * 4), grad=(0,),
            bad=[(lambda: SpaceTimeAttention(4, 2)(torch.zeros(1, 2, 3, 5)), "x")]),
    TorchOp("SpaceTimeAttention(joint)", make=lambda g: (randn(g, 1, 2, 3, 4),),
            op=SpaceTimeAttention(4, 2, "joint", torch.Generator().manual_seed(0)).double(), shape=(1, 2, 3, 4),
            numel=4 * 4 * 4 + 4 * 4, grad=(0,)),
]


@pytest.mark.parametrize("op, check", battery(OPS))
def test_torch_battery(op, check):
    run_check(op, check)


@pytest.mark.parametrize("T_, N_", [(4, 9), (8, 16), (1, 7)])
def test_pair_counts_equal_the_numbers_of_attention_weights(T_, N_):
    x = torch.zeros(1, T_, N_, 2)
    assert joint_attention(x, x, x)[1].numel() == space_time_attention_pairs(T_, N_, "joint")
    divided = temporal_attention(x, x, x)[1].numel() + spatial_attention(x, x, x)[1].numel()
    assert divided == space_time_attention_pairs(T_, N_, "divided")
    assert spatial_attention(x, x, x)[1].numel() == space_time_attention_pairs(T_, N_, "space")
    assert int(space_time_mask(T_, N_, "time").sum()) == N_ * T_ * T_


def test_module_paths_equal_explicit_compositions():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 5, 8, generator=g, dtype=torch.float64)
    for mode in ("joint", "divided"):
        m = SpaceTimeAttention(8, 2, mode, torch.Generator().manual_seed(1)).double()
        got = m(x)
        flat = x.reshape(2, 15, 8)
        if mode == "joint":
            mha = torch.nn.MultiheadAttention(8, 2, batch_first=True).double()
            mha.load_state_dict(m.attn.state_dict())
            want = (flat + mha(flat, flat, flat, need_weights=False)[0]).reshape(2, 3, 5, 8)
        else:
            mt = torch.nn.MultiheadAttention(8, 2, batch_first=True).double()
            ms = torch.nn.MultiheadAttention(8, 2, batch_first=True).double()
            mt.load_state_dict(m.attn.state_dict())
            ms.load_state_dict(m.attn_space.state_dict())
            full = torch.ones(15, 15, dtype=torch.bool)
            tmask = ~space_time_mask(3, 5, "time")             # nn.MultiheadAttention: True = blocked
            smask = ~space_time_mask(3, 5, "space")
            y = flat + mt(flat, flat, flat, attn_mask=tmask, need_weights=False)[0]
            want = (y + ms(y, y, y, attn_mask=smask, need_weights=False)[0]).reshape(2, 3, 5, 8)
            assert full.all()
        # float64, same weights, different kernels and summation orders: ~1e-15
        torch.testing.assert_close(got, want, rtol=0, atol=1e-12)


def test_divided_attention_reaches_every_token_in_two_steps():
    reach = space_time_mask(3, 5, "time").double() @ space_time_mask(3, 5, "space").double()
    assert bool((reach > 0).all())
    assert not bool(space_time_mask(3, 5, "time").all()) and not bool(space_time_mask(3, 5, "space").all())


@pytest.mark.parametrize("call, words", [
    (lambda: space_time_mask(3, 5, "diagonal"), "kind"),
    (lambda: space_time_attention_pairs(0, 5, "joint"), "T"),
    (lambda: SpaceTimeAttention(8, 2, "axial"), "mode"),
    (lambda: SpaceTimeAttention(8, 2)(torch.zeros(2, 3, 5, 6)), "x"),
])
def test_bad_input_raises(call, words):
    with pytest.raises(ValueError, match=words):
        call()


def test_sdpa_reference_is_independent():
    # the references above use masks + coursekit's sdpa or torch's kernel; check coursekit's sdpa once here
    g = torch.Generator().manual_seed(3)
    q, k, v = (torch.randn(2, 6, 4, generator=g, dtype=torch.float64) for _ in range(3))
    torch.testing.assert_close(scaled_dot_product_attention(q, k, v)[0],
                               torch.nn.functional.scaled_dot_product_attention(q, k, v), rtol=0, atol=1e-12)
