"""coursekit.layers.gqa: GQA with as many groups as heads equals torch.nn.MultiheadAttention; the KV cache equals
recomputation and its bytes follow 2·L·B·T·g·d·bytes; QK-norm bounds the logits."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from coursekit.layers.attention import KVCache
from coursekit.layers.gqa import GroupedQueryAttention, grouped_query_attention, kv_cache_bytes, repeat_kv
from coursekit.layers.masks import causal_mask
from torch_battery import TorchOp, battery, randn, run_check

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _sdpa_gqa(q, k, v):
    # PyTorch's own grouped-query path (enable_gqa) — an independent implementation.
    return F.scaled_dot_product_attention(q, k, v, enable_gqa=True)


OPS = [
    TorchOp("grouped_query_attention", make=lambda g: (randn(g, 2, 4, 3, 4), randn(g, 2, 2, 5, 4), randn(g, 2, 2, 5, 4)),
            op=grouped_query_attention, shape=(2, 4, 3, 4),
            bad=[(lambda: grouped_query_attention(torch.zeros(1, 4, 3, 2), torch.zeros(1, 3, 3, 2),
                                                  torch.zeros(1, 3, 3, 2)), "must divide"),
                 (lambda: grouped_query_attention(torch.zeros(4, 3, 2), torch.zeros(1, 3, 3, 2),
                                                  torch.zeros(1, 3, 3, 2)), "expected q")],
            grad=(0, 1, 2), reference=_sdpa_gqa, atol=1e-12,
            why="PyTorch's float64 kernel sums the same products in another order: ~1e-16"),
]


@pytest.mark.parametrize("op, check", battery(OPS))
def test_torch_battery(op, check):
    run_check(op, check)


def _copy_to_torch_mha(att):
    ref = nn.MultiheadAttention(att.d_model, att.n_heads, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.cat([att.q_proj.weight, att.k_proj.weight, att.v_proj.weight]))
        ref.in_proj_bias.copy_(torch.cat([att.q_proj.bias, att.k_proj.bias, att.v_proj.bias]))
        ref.out_proj.weight.copy_(att.out_proj.weight)
        ref.out_proj.bias.copy_(att.out_proj.bias)
    return ref


@pytest.mark.parametrize("causal", [False, True])
def test_gqa_with_as_many_groups_as_heads_equals_multihead_attention(causal):
    g = torch.Generator().manual_seed(0)
    att = GroupedQueryAttention(24, 4, 4, bias=True, generator=g).double()
    ref = _copy_to_torch_mha(att)
    x = torch.randn(3, 9, 24, generator=g, dtype=torch.float64)
    mask = causal_mask(9) if causal else None
    got = att(x, mask=mask)
    expected = ref(x, x, x, attn_mask=None if mask is None else ~mask, need_weights=False)[0]
    # float64, the same products summed in another order: 1e-6 is the target, we are at ~1e-15.
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-12)


def test_mqa_equals_mha_whose_key_value_heads_are_all_equal():
    g = torch.Generator().manual_seed(1)
    mqa = GroupedQueryAttention(16, 4, 1, bias=True, generator=g).double()
    mha = GroupedQueryAttention(16, 4, 4, bias=True, generator=g).double()
    with torch.no_grad():
        mha.q_proj.load_state_dict(mqa.q_proj.state_dict())
        mha.out_proj.load_state_dict(mqa.out_proj.state_dict())
        for name in ("k_proj", "v_proj"):
            src, dst = getattr(mqa, name), getattr(mha, name)
            dst.weight.copy_(src.weight.repeat(4, 1))
            dst.bias.copy_(src.bias.repeat(4))
    x = torch.randn(2, 6, 16, generator=g, dtype=torch.float64)
    torch.testing.assert_close(mqa(x), mha(x), rtol=0, atol=1e-12)


@pytest.mark.parametrize("n_kv", [1, 2, 4])
def test_cache_equals_recomputation_and_has_the_formula_bytes(n_kv):
    g = torch.Generator().manual_seed(n_kv)
    att = GroupedQueryAttention(32, 4, n_kv, rope=True, qk_norm=True, generator=g)
    x = torch.randn(2, 10, 32, generator=g)
    full = att(x, mask=causal_mask(10))
    cache = KVCache()
    steps = [att(x[:, t:t + 1], mask=causal_mask(1, t + 1), cache=cache) for t in range(10)]
    torch.testing.assert_close(torch.cat(steps, 1), full, rtol=1e-5, atol=1e-6)   # float32 rounding
    measured = cache.k.nbytes + cache.v.nbytes
    assert measured == kv_cache_bytes(1, n_kv, 8, 10, batch=2, bytes_per_value=4)
    assert measured == 2 * 2 * 10 * n_kv * 8 * 4


def test_kv_cache_bytes_known_values_and_bad_input():
    assert kv_cache_bytes(32, 32, 128, 4096) == 2 * 32 * 32 * 128 * 4096 * 2             # 2 GiB
    assert kv_cache_bytes(32, 8, 128, 4096) * 4 == kv_cache_bytes(32, 32, 128, 4096)     # GQA-8: 4× smaller
    with pytest.raises(ValueError, match="n_layers"):
        kv_cache_bytes(0, 1, 1, 1)


def test_repeat_kv_and_bad_configs():
    x = torch.arange(6.0).reshape(1, 3, 2, 1)
    assert repeat_kv(x, 2)[0, :, 0, 0].tolist() == [0.0, 0.0, 2.0, 2.0, 4.0, 4.0]
    with pytest.raises(ValueError, match="n_kv_heads"):
        GroupedQueryAttention(16, 4, 3)
    with pytest.raises(ValueError, match="shape"):
        GroupedQueryAttention(16, 4)(torch.zeros(2, 3, 8))


def test_qk_norm_bounds_the_logits_when_weights_grow():
    g = torch.Generator().manual_seed(5)
    x = torch.randn(1, 12, 16, generator=g)
    for qk_norm in (False, True):
        att = GroupedQueryAttention(16, 2, qk_norm=qk_norm, generator=torch.Generator().manual_seed(6))
        with torch.no_grad():
            att.q_proj.weight.mul_(30.0)
            att.k_proj.weight.mul_(30.0)
        _, w = att(x, need_weights=True)
        entropy = -(w * w.clamp_min(1e-30).log()).sum(-1).mean()
        if qk_norm:
            assert entropy > 1.0            # logits ≤ √d: attention stays spread out
        else:
            assert entropy < 0.2            # logits grow with the weights²: attention collapses to one key
