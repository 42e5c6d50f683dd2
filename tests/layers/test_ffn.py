"""coursekit.layers.ffn: SwiGLU against a composition of torch.nn layers; the 2/3 width matches the parameters."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from coursekit.layers.ffn import SwiGLU, swiglu, swiglu_hidden_width
from torch_battery import TorchOp, battery, randn, run_check

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _module(inputs):
    x, w1, w3, w2 = inputs
    mod = SwiGLU(4, hidden=6).double()
    with torch.no_grad():
        mod.w1.weight.copy_(w1)
        mod.w3.weight.copy_(w3)
        mod.w2.weight.copy_(w2)
    return mod, (x,)


def _reference(x, w1, w3, w2):
    z = F.linear(x, w1)
    return F.linear(z * torch.sigmoid(z) * F.linear(x, w3), w2)        # SiLU written out


OPS = [
    TorchOp("swiglu", make=lambda g: (randn(g, 2, 3, 4), randn(g, 6, 4), randn(g, 6, 4), randn(g, 4, 6)),
            op=swiglu, shape=(2, 3, 4),
            bad=[(lambda: swiglu(torch.zeros(2, 4), torch.zeros(6, 3), torch.zeros(6, 3), torch.zeros(4, 6)),
                  "expected w1")],
            grad=(0, 1, 2, 3), module=_module, reference=_reference, atol=1e-13,
            why="the same float64 products through F.linear and an explicit z·sigmoid(z): ~1e-16"),
]


@pytest.mark.parametrize("op, check", battery(OPS))
def test_torch_battery(op, check):
    run_check(op, check)


@pytest.mark.parametrize("D", [64, 96, 512, 4096])
def test_two_thirds_width_matches_a_4d_mlp(D):
    H = swiglu_hidden_width(D)
    n_swiglu = sum(p.numel() for p in SwiGLU(D, H).parameters())
    n_mlp = 2 * D * 4 * D                                                     # two bias-free D×4D matrices
    assert abs(n_swiglu - n_mlp) <= 3 * D                                     # at most one rounding unit of H


def test_llama_widths():
    assert swiglu_hidden_width(4096, multiple_of=256) == 11008
    assert swiglu_hidden_width(5120, multiple_of=256) == 13824
    with pytest.raises(ValueError, match="multiple_of"):
        swiglu_hidden_width(64, multiple_of=0)
