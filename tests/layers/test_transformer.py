"""coursekit.layers.transformer: Post-LN and Pre-LN blocks equal torch.nn.TransformerEncoderLayer with copied weights
(norm_first False/True), the decoder block equals TransformerDecoderLayer, the encoder–decoder equals
torch.nn.Transformer; gradients, the KV cache and the Pre-LN identity path."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from coursekit.layers.attention import KVCache
from coursekit.layers.masks import causal_mask, padding_mask
from coursekit.layers.transformer import (
    DecoderBlock,
    EncoderDecoder,
    TransformerBlock,
    TransformerDecoder,
    TransformerEncoder,
)
from torch_battery import TorchOp, battery, functional, randn, run_check

pytestmark = pytest.mark.usefixtures("one_torch_thread")

D, H, FF = 16, 4, 24
# The target is agreement to 1e-6 in float64; the two implementations run the same float64 operations (LayerNorm,
# softmax, matmuls) in a different order, ~1e-15 apart, so 1e-10 leaves five orders of magnitude of room.
TOL = dict(atol=1e-10, rtol=0)


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _perturb_(module, seed):
    """Random non-trivial weights (LayerNorm scales and biases included), so that every parameter matters."""
    g = _gen(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(0.2 * torch.randn(p.shape, generator=g, dtype=p.dtype))
    return module


def _pair(torch_cls, mine_cls, norm_first, activation, seed=0):
    ref = _perturb_(torch_cls(D, H, FF, dropout=0.0, batch_first=True, norm_first=norm_first,
                              activation=activation).double(), seed)
    mine = mine_cls(D, H, FF, norm_first=norm_first, activation=activation).double()
    mine.load_state_dict(ref.state_dict())
    return ref, mine


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-LN", "pre-LN"])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("mask", ["none", "causal", "padding"])
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_encoder_block_equals_torch_transformer_encoder_layer(norm_first, activation, mask, mode):
    ref, mine = _pair(nn.TransformerEncoderLayer, TransformerBlock, norm_first, activation)
    x = randn(_gen(1), 3, 7, D)
    lengths = [7, 4, 1]
    ours = {"none": None, "causal": causal_mask(7), "padding": padding_mask(lengths, 7)}[mask]
    theirs = {"none": {}, "causal": {"src_mask": ~causal_mask(7)},
              "padding": {"src_key_padding_mask": ~padding_mask(lengths, 7)[:, 0]}}[mask]
    getattr(ref, mode)(), getattr(mine, mode)()
    with torch.set_grad_enabled(mode == "train"):              # eval + no_grad: PyTorch's fused fast path
        expected, got = ref(x, **theirs), mine(x, ours)
    if mask == "padding" and mode == "eval":                   # the fast path may zero the padded rows
        keep = padding_mask(lengths, 7)[:, 0, :, None].expand_as(got)
        expected, got = expected[keep], got[keep]
    torch.testing.assert_close(got, expected, **TOL)


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-LN", "pre-LN"])
def test_decoder_block_equals_torch_transformer_decoder_layer(norm_first):
    ref, mine = _pair(nn.TransformerDecoderLayer, DecoderBlock, norm_first, "relu", seed=2)
    g = _gen(3)
    x, memory = randn(g, 3, 5, D), randn(g, 3, 6, D)
    src = padding_mask([6, 3, 2], 6)
    expected = ref(x, memory, tgt_mask=~causal_mask(5), memory_key_padding_mask=~src[:, 0])
    torch.testing.assert_close(mine(x, memory, causal_mask(5), src), expected, **TOL)


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")     # PyTorch's note about its own fast path
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-LN", "pre-LN"])
def test_encoder_decoder_equals_torch_transformer(norm_first):
    ref = _perturb_(nn.Transformer(D, H, 2, 2, FF, dropout=0.0, batch_first=True, norm_first=norm_first).double(), 4)
    mine = EncoderDecoder(D, H, 2, 2, FF, norm_first=norm_first).double()
    mine.load_state_dict(ref.state_dict())                     # the same parameter names, key for key
    g = _gen(5)
    src, tgt = randn(g, 3, 6, D), randn(g, 3, 4, D)
    pad = padding_mask([6, 4, 1], 6)
    expected = ref(src, tgt, tgt_mask=~causal_mask(4), src_key_padding_mask=~pad[:, 0],
                   memory_key_padding_mask=~pad[:, 0])
    out, w = mine(src, tgt, pad, causal_mask(4), need_weights=True)
    torch.testing.assert_close(out, expected, **TOL)
    assert w.shape == (3, H, 4, 6) and torch.all(w[~pad[:, 0, None, None, :].expand_as(w)] == 0)


def test_encoder_stack_equals_torch_transformer_encoder():
    layer = nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, batch_first=True, norm_first=True)
    ref = _perturb_(nn.TransformerEncoder(layer, 3, norm=nn.LayerNorm(D), enable_nested_tensor=False).double(), 6)
    mine = TransformerEncoder(3, D, H, FF, norm_first=True).double()
    mine.load_state_dict(ref.state_dict())
    x = randn(_gen(7), 2, 5, D)
    torch.testing.assert_close(mine(x), ref(x), **TOL)
    assert TransformerDecoder(2, D, H, FF, final_norm=False).norm is None


def _block_numel(d, d_ff, n_norms, n_attn):
    return n_attn * (4 * d * d + 4 * d) + (d * d_ff + d_ff + d_ff * d + d) + n_norms * 2 * d


def _block_op(norm_first):
    block = TransformerBlock(4, 2, 4, norm_first=norm_first, generator=_gen(8)).double()   # tiny: gradcheck
    # perturbs each of its ~100 numbers
    names = tuple(name for name, _ in block.named_parameters())
    return TorchOp(f"TransformerBlock-{'pre' if norm_first else 'post'}-LN",
                   make=lambda g: (randn(g, 1, 3, 4), *(randn(g, *p.shape, scale=0.5) for p in block.parameters())),
                   op=functional(block, names), shape=(1, 3, 4), grad=tuple(range(1 + len(names))),
                   bad=[(lambda: block(torch.zeros(2, 3, 5, dtype=torch.float64)), r"\(B, N, 4\)"),
                        (lambda: TransformerBlock(6, 2, 8, activation="tanh"), "activation"),
                        (lambda: TransformerBlock(6, 4, 8), "divisible")])


@pytest.mark.parametrize("op, check", battery([_block_op(False), _block_op(True)]))
def test_torch_battery(op, check):
    run_check(op, check)


def test_parameter_counts_follow_the_closed_form():
    assert sum(p.numel() for p in TransformerBlock(D, H, FF).parameters()) == _block_numel(D, FF, 2, 1)
    assert sum(p.numel() for p in DecoderBlock(D, H, FF).parameters()) == _block_numel(D, FF, 3, 2)


def test_pre_ln_block_with_silent_branches_is_the_identity_but_post_ln_is_not():
    """Pre-LN keeps an untouched residual path; Post-LN normalises the stream after every block."""
    x = randn(_gen(9), 2, 4, D, scale=3.0, shift=1.0)
    for norm_first in (True, False):
        block = TransformerBlock(D, H, FF, norm_first=norm_first).double()
        with torch.no_grad():
            block.self_attn.out_proj.weight.zero_(), block.self_attn.out_proj.bias.zero_()
            block.linear2.weight.zero_(), block.linear2.bias.zero_()
        same = torch.allclose(block(x), x, atol=1e-12)
        assert same == norm_first


def test_block_with_kv_cache_equals_the_full_causal_pass():
    block = _perturb_(TransformerBlock(D, H, FF, norm_first=True).double(), 10)
    x = randn(_gen(11), 2, 6, D)
    full = block(x, causal_mask(6))
    cache = KVCache()
    steps = [block(x[:, t:t + 1], causal_mask(1, t + 1), cache) for t in range(6)]
    torch.testing.assert_close(torch.cat(steps, 1), full, atol=1e-12, rtol=0)
