"""coursekit.layers.norms: RMSNorm equals torch.nn.RMSNorm, is scale-invariant and not shift-invariant; LayerScale
starts a block near the identity; block gradient norms separate Post-LN from Pre-LN stacks."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from coursekit.layers.norms import LayerScale, RMSNorm, block_gradient_norms, rms_norm
from coursekit.layers.transformer import TransformerBlock
from torch_battery import TorchOp, battery, randn, run_check

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _torch_rms(x, w):
    ref = nn.RMSNorm(x.shape[-1], eps=1e-6, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(w)
    return ref(x)


def _module(inputs):
    x, w = inputs
    mod = RMSNorm(x.shape[-1]).double()
    with torch.no_grad():
        mod.weight.copy_(w)
    return mod, (x,)


OPS = [
    TorchOp("rms_norm", make=lambda g: (randn(g, 2, 3, 5), randn(g, 5, shift=1.0)), op=rms_norm, shape=(2, 3, 5),
            bad=[(lambda: rms_norm(torch.zeros(3, dtype=torch.long)), "float tensor"),
                 (lambda: rms_norm(torch.zeros(2, 4), torch.ones(3)), "weight must have shape")],
            grad=(0, 1), module=_module, reference=_torch_rms, atol=1e-14,
            why="torch.nn.RMSNorm runs the same float64 formula; differences are rounding (~1e-16)"),
]


@pytest.mark.parametrize("op, check", battery(OPS))
def test_torch_battery(op, check):
    run_check(op, check)


def test_rms_norm_matches_torch_rmsnorm_in_float32():
    g = torch.Generator().manual_seed(1)
    x, w = torch.randn(4, 7, 16, generator=g) * 3, torch.randn(16, generator=g)
    ref = nn.RMSNorm(16, eps=1e-5)
    with torch.no_grad():
        ref.weight.copy_(w)
    # float32: both compute mean(x²) over 16 values; rounding differences stay below 1e-5 relative.
    torch.testing.assert_close(rms_norm(x, w, eps=1e-5), ref(x), rtol=1e-5, atol=1e-6)


def test_rms_norm_is_scale_invariant_but_not_shift_invariant():
    x = torch.randn(3, 8, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    torch.testing.assert_close(rms_norm(7.0 * x, eps=0.0), rms_norm(x, eps=0.0), rtol=1e-12, atol=1e-12)
    assert (rms_norm(x + 5.0, eps=0.0) - rms_norm(x, eps=0.0)).abs().max() > 0.1
    # LayerNorm = RMSNorm of the centred input
    ln = nn.functional.layer_norm(x, (8,), eps=0.0)
    torch.testing.assert_close(rms_norm(x - x.mean(-1, keepdim=True), eps=0.0), ln, rtol=1e-12, atol=1e-12)


def test_layer_scale_multiplies_channels_and_rejects_bad_width():
    ls = LayerScale(4, init=0.5)
    torch.testing.assert_close(ls(torch.ones(2, 4)), torch.full((2, 4), 0.5))
    assert ls.gamma.requires_grad
    with pytest.raises(ValueError, match="shape"):
        ls(torch.ones(2, 3))
    with pytest.raises(ValueError, match="init"):
        LayerScale(4, init=0.0)


def test_pre_ln_last_block_gradient_shrinks_with_depth_post_ln_does_not():
    # Xiong et al. (2020): at initialisation the gradient of the last block's weights is O(1) in the depth L for
    # Post-LN and O(1/√L) for Pre-LN. Measured at L = 6 and L = 48 with the same input and target.
    x = torch.randn(2, 16, 64, generator=torch.Generator().manual_seed(0))
    y = torch.randn(2, 16, 64, generator=torch.Generator().manual_seed(9))
    last = {}
    for pre in (False, True):
        for depth in (6, 48):
            g = torch.Generator().manual_seed(1)
            blocks = [TransformerBlock(64, 4, 256, norm_first=pre, generator=g) for _ in range(depth)]
            norms = block_gradient_norms(blocks, x, y, nn.LayerNorm(64) if pre else None)
            assert len(norms) == depth and all(n > 0 for n in norms)
            last[pre, depth] = norms[-1]
    assert last[True, 48] / last[True, 6] < 0.7          # ~ √(6/48) = 0.35 in theory
    assert last[False, 48] / last[False, 6] > 1.0


def test_block_gradient_norms_rejects_a_wrong_target():
    with pytest.raises(ValueError, match="target"):
        block_gradient_norms([nn.Linear(4, 4)], torch.ones(2, 4), torch.ones(3, 4))
