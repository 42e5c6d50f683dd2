"""coursekit.video.tubelets: reshape + linear equals a Conv3d with stride = kernel; counts and round-trip."""

import pytest
import torch
import torch.nn.functional as F

from coursekit.video.tubelets import TubeletEmbedding, tubelet_count, tubelet_embed, tubelets
from tests.torch_battery import TorchOp, battery, randn, run_check


def _twin(inputs):
    x, w, b = inputs
    m = TubeletEmbedding(2, 3, 2, 2).double()
    with torch.no_grad():
        m.proj.weight.copy_(w)
        m.proj.bias.copy_(b)
    return m, (x,)


OPS = [
    TorchOp("tubelet_embed",
            make=lambda g: (randn(g, 1, 2, 4, 2, 4), randn(g, 3, 2, 2, 2, 2), randn(g, 3)),   # small: gradcheck
            op=lambda x, w, b: tubelet_embed(x, w, b, 2, 2), shape=(1, 4, 3),
            bad=[(lambda: tubelet_embed(torch.zeros(1, 3, 3, 8, 8), torch.zeros(6, 3, 2, 4, 4), None, 2, 4),
                  "multiples"),
                 (lambda: tubelet_embed(torch.zeros(1, 3, 4, 8, 8), torch.zeros(6, 3, 4, 4), None, 2, 4), "weight"),
                 (lambda: tubelet_embed(torch.zeros(3, 4, 8, 8), torch.zeros(6, 3, 2, 4, 4), None, 2, 4), "x")],
            grad=(0, 1, 2), module=_twin,
            reference=lambda x, w, b: F.conv3d(x, w, b, stride=(2, 2, 2)).flatten(2).transpose(1, 2),
            atol=1e-12, why="float64 sums of 16 products in another order: ~1e-15"),
]


@pytest.mark.parametrize("op, check", battery(OPS))
def test_torch_battery(op, check):
    run_check(op, check)


def test_tubelets_hold_each_voxel_exactly_once_in_time_major_order():
    x = torch.arange(2 * 1 * 4 * 4 * 6, dtype=torch.float64).reshape(2, 1, 4, 4, 6)
    tok = tubelets(x, 2, 2)                                    # (B, N, 8) with N = 2·2·3
    assert tok.shape == (2, 12, 8)
    assert torch.equal(tok.flatten().sort().values, x.flatten().sort().values)
    assert torch.equal(tok[0, 0], x[0, 0, 0:2, 0:2, 0:2].flatten())      # first tubelet: frames 0-1
    assert torch.equal(tok[0, 6], x[0, 0, 2:4, 0:2, 0:2].flatten())      # 7th: frames 2-3 (time-major)


def test_tubelet_count():
    assert tubelet_count(16, 224, 224, 2, 16) == 8 * 14 * 14
    assert tubelets(torch.zeros(1, 3, 8, 32, 32), 2, 8).shape[1] == tubelet_count(8, 32, 32, 2, 8)
    with pytest.raises(ValueError, match="multiples"):
        tubelet_count(15, 224, 224, 2, 16)
