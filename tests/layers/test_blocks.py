"""coursekit.layers.blocks: BatchNorm (function and module twin) against torch.nn, the blocks' shapes and parameter
counts against closed-form formulas, the zero-init residual identity, SE gates, and the torch battery for every op
(shapes, bad input, float64 gradcheck, module == function, a reference the op does not call)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import torch.nn.functional as F
from torch_battery import TorchOp, battery, functional, randn, run_check

from coursekit import layers
from coursekit import models


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


# ----------------------------------------------------------------------------- BatchNorm

def test_batch_norm2d_matches_torch_in_training_and_inference_mode():
    x = torch.randn(6, 4, 5, 7, generator=_gen(), dtype=torch.float64) * 3 + 2
    bn = nn.BatchNorm2d(4).double()
    with torch.no_grad():
        bn.weight.uniform_(0.5, 2.0, generator=_gen(1))
        bn.bias.uniform_(-1.0, 1.0, generator=_gen(2))
    bn.train()
    expected = bn(x)                                    # also updates the running statistics
    got = layers.batch_norm2d(x, bn.weight, bn.bias)
    # float64 throughout: the two differ only by summation order, ~1e-15.
    torch.testing.assert_close(got, expected, atol=1e-12, rtol=0)
    bn.eval()
    got = layers.batch_norm2d(x, bn.weight, bn.bias, bn.running_mean, bn.running_var)
    torch.testing.assert_close(got, bn(x), atol=1e-12, rtol=0)


def test_batch_norm2d_statistics_are_per_channel_not_per_pixel():
    x = torch.randn(8, 3, 4, 4, generator=_gen(), dtype=torch.float64)
    x[:, 1] += 10.0                                       # shift one channel only
    y = layers.batch_norm2d(x, torch.ones(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64))
    # each channel (pooled over B, H, W) has mean 0, but single pixel positions need not
    assert y.mean(dim=(0, 2, 3)).abs().max() < 1e-12
    assert y.mean(dim=0).abs().max() > 0.1


def test_batch_norm2d_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="gamma must have shape"):
        layers.batch_norm2d(torch.zeros(2, 3, 4, 4), torch.ones(4), torch.zeros(3))
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        layers.batch_norm2d(torch.zeros(3, 4, 4), torch.ones(3), torch.zeros(3))
    with pytest.raises(ValueError, match="together"):
        layers.batch_norm2d(torch.zeros(2, 3, 4, 4), torch.ones(3), torch.zeros(3), torch.zeros(3))
    with pytest.raises(ValueError, match="more than one value"):
        layers.batch_norm2d(torch.zeros(1, 3, 1, 1), torch.ones(3), torch.zeros(3))


def test_batch_norm_module_twin_tracks_running_statistics_like_torch():
    ours, theirs = layers.BatchNorm2d(4).double(), nn.BatchNorm2d(4).double()
    for step in range(3):                                   # three training batches, then inference
        x = randn(_gen(step), 5, 4, 3, 3, scale=2.0, shift=1.0)
        # float64, the same formulas: equal up to summation order, ~1e-15.
        torch.testing.assert_close(ours(x), theirs(x), atol=1e-12, rtol=0)
    torch.testing.assert_close(ours.running_mean, theirs.running_mean, atol=1e-12, rtol=0)
    torch.testing.assert_close(ours.running_var, theirs.running_var, atol=1e-12, rtol=0)
    ours.eval(), theirs.eval()
    x = randn(_gen(9), 2, 4, 3, 3)
    torch.testing.assert_close(ours(x), theirs(x), atol=1e-12, rtol=0)
    state = {k: v for k, v in theirs.state_dict().items() if k != "num_batches_tracked"}
    assert set(state) == set(ours.state_dict()), "the twin keeps torch's parameter and buffer names"


# ----------------------------------------------------------------------------- squeeze-and-excitation

def test_se_block_module_matches_the_numpy_reference():
    se = models.init_parameters_(layers.SEBlock(8, reduction=4).double(), _gen(4))
    x = torch.randn(3, 8, 5, 6, generator=_gen(), dtype=torch.float64)
    expected = se(x).detach().numpy()
    got = layers.se_block_forward(x.numpy(), se.squeeze.weight.detach().numpy(), se.squeeze.bias.detach().numpy(),
                               se.excite.weight.detach().numpy(), se.excite.bias.detach().numpy())
    np.testing.assert_allclose(got, expected, atol=1e-12)   # float64 both: rounding only
    # a single (C, H, W) map gives the same as its batch row
    one = layers.se_block_forward(x[0].numpy(), se.squeeze.weight.detach().numpy(), se.squeeze.bias.detach().numpy(),
                               se.excite.weight.detach().numpy(), se.excite.bias.detach().numpy())
    np.testing.assert_allclose(one, expected[0], atol=1e-12)


def test_se_block_scales_each_channel_by_a_gate_in_zero_one():
    se = layers.SEBlock(16, reduction=4)
    x = torch.rand(2, 16, 6, 6, generator=_gen()) + 0.1   # strictly positive, so the ratio is defined
    y = se(x)
    assert y.shape == x.shape
    ratio = y / x                                           # (B, C, H, W): constant over H, W per channel
    torch.testing.assert_close(ratio, ratio[:, :, :1, :1].expand_as(ratio), atol=1e-6, rtol=1e-5)
    s = se.gates(x)
    assert s.shape == (2, 16) and bool((s > 0).all() and (s < 1).all())
    torch.testing.assert_close(ratio[:, :, 0, 0], s, atol=1e-6, rtol=1e-5)
    # parameters: C·C/r + C/r + C/r·C + C
    assert models.count_parameters(se) == 16 * 4 + 4 + 4 * 16 + 16


def test_se_block_rejects_bad_arguments():
    with pytest.raises(ValueError, match="must divide"):
        layers.SEBlock(10, reduction=4)
    with pytest.raises(ValueError, match="W1 \\(C/r, C\\)"):
        layers.se_block_forward(np.ones((4, 3, 3)), np.ones((2, 3)), np.ones(2), np.ones((4, 2)), np.ones(4))
    with pytest.raises(ValueError, match="3-D or 4-D"):
        layers.se_block_forward(np.ones((3, 3)), np.ones((1, 3)), np.ones(1), np.ones((3, 1)), np.ones(3))
    with pytest.raises(ValueError, match="axis 1 must be 16"):
        layers.SEBlock(16)(torch.zeros(2, 8, 3, 3))


# ----------------------------------------------------------------------------- residual and inception blocks

@pytest.mark.parametrize("train", [True, False])
def test_residual_block_with_zero_initialised_last_bn_starts_as_the_identity(train):
    block = models.init_parameters_(layers.ResidualBlock(8, 8), _gen())
    block.train(train)
    x = torch.rand(4, 8, 6, 6, generator=_gen(1))          # non-negative, like the output of a ReLU
    # F(x) = 0 exactly (BN scale 0, shift 0), so y = ReLU(x + 0) = x, bit for bit.
    assert torch.equal(block(x), x)


def test_residual_block_without_zero_init_is_not_the_identity():
    block = models.init_parameters_(layers.ResidualBlock(8, 8, zero_init=False), _gen())
    x = torch.rand(4, 8, 6, 6, generator=_gen(1))
    assert (block(x) - x).abs().max() > 0.1


def test_residual_block_projection_shortcut_shapes_and_parameters():
    block = layers.ResidualBlock(8, 16, stride=2)
    assert block(torch.zeros(2, 8, 10, 10)).shape == (2, 16, 5, 5)
    assert isinstance(layers.ResidualBlock(8, 8).shortcut, nn.Identity)
    # two 3×3 convs without bias, two BNs (2 per channel), 1×1 projection without bias + its BN
    expected = 9 * 8 * 16 + 9 * 16 * 16 + 2 * 2 * 16 + 8 * 16 + 2 * 16
    assert models.count_parameters(block) == expected


def test_inception_block_concatenates_its_branches():
    blk = layers.InceptionBlock(32, c1=8, c3_reduce=12, c3=16, c5_reduce=4, c5=8, pool_proj=8)
    y = blk(torch.zeros(2, 32, 9, 9))
    assert y.shape == (2, 8 + 16 + 8 + 8, 9, 9)            # same H, W in every branch
    expected = ((32 * 8 + 8) + (32 * 12 + 12) + (9 * 12 * 16 + 16) + (32 * 4 + 4) + (25 * 4 * 8 + 8)
                + (32 * 8 + 8))
    assert models.count_parameters(blk) == expected


def test_residual_block_reset_parameters_keeps_zero_init_and_draws_from_the_generator():
    a = models.init_parameters_(layers.ResidualBlock(4, 8, stride=2), _gen(1))
    b = models.init_parameters_(layers.ResidualBlock(4, 8, stride=2), _gen(1))
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        assert torch.equal(p, q), name
    assert int(torch.count_nonzero(a.conv2[1].weight)) == 0
    with pytest.raises(ValueError, match="axis 1 must be 4"):
        a(torch.zeros(1, 8, 6, 6))


# ----------------------------------------------------------------------------- the torch battery

def _bn_eval_reference(x, gamma, beta, mean, var, eps=1e-5):
    """Inference BatchNorm written out, independent of batch_norm2d and of torch's kernels."""
    return (x - mean[:, None, None]) / torch.sqrt(var[:, None, None] + eps) * gamma[:, None, None] + beta[:, None, None]


def _residual_reference(block, x):
    """conv-BN-ReLU-conv-BN + shortcut, ReLU, from the block's tensors with F.conv2d and BN written out (eval)."""
    def conv_bn(seq, h):
        conv, bn = seq
        h = F.conv2d(h, conv.weight, None, conv.stride, conv.padding)
        return torch.stack([_bn_eval_reference(hb, bn.weight, bn.bias, bn.running_mean, bn.running_var)
                            for hb in h])
    shortcut = x if isinstance(block.shortcut, nn.Identity) else conv_bn(block.shortcut, x)
    return F.relu(conv_bn(block.conv2, F.relu(conv_bn(block.conv1, x))) + shortcut)


def _inception_reference(blk, x):
    """The four branches from their weights with F.conv2d / F.max_pool2d, concatenated."""
    def conv(seq, h):
        c = seq[0]
        return F.relu(F.conv2d(h, c.weight, c.bias, padding=c.padding))
    b3 = conv(blk.branch3[1], conv(blk.branch3[0], x))
    b5 = conv(blk.branch5[1], conv(blk.branch5[0], x))
    bp = conv(blk.branch_pool[1], F.max_pool2d(x, 3, stride=1, padding=1))
    return torch.cat([conv(blk.branch1, x), b3, b5, bp], dim=1)


def _seeded(module, seed=0):
    return models.init_parameters_(module.double(), _gen(seed))


def _bn_twin(inputs, training=True):
    x, gamma, beta = inputs[:3]
    bn = layers.BatchNorm2d(x.shape[1]).double().train(training)
    with torch.no_grad():
        bn.weight.copy_(gamma), bn.bias.copy_(beta)
        if not training:
            bn.running_mean.copy_(inputs[3]), bn.running_var.copy_(inputs[4])
    return bn, (x,)


_SE = _seeded(layers.SEBlock(8, reduction=4), 1)
_SE_NAMES = ("squeeze.weight", "squeeze.bias", "excite.weight", "excite.bias")
_RES = _seeded(layers.ResidualBlock(3, 4, stride=2, zero_init=False), 2).eval()
_RES_ID = _seeded(layers.ResidualBlock(4, 4, zero_init=False), 3).eval()
_INC = _seeded(layers.InceptionBlock(4, c1=2, c3_reduce=2, c3=3, c5_reduce=2, c5=3, pool_proj=2), 4)

OPS = [
    TorchOp("batch_norm2d-train", lambda g: (randn(g, 4, 3, 3, 2, scale=2, shift=1), randn(g, 3), randn(g, 3)),
            layers.batch_norm2d, (4, 3, 3, 2), grad=(0, 1, 2),
            bad=[(lambda: layers.batch_norm2d(torch.zeros(2, 3, 4), torch.ones(3), torch.zeros(3)), "B, C, H, W"),
                 (lambda: layers.batch_norm2d(torch.zeros(2, 3, 4, 4), torch.ones(2), torch.zeros(3)), "gamma"),
                 (lambda: layers.batch_norm2d(torch.zeros(2, 3, 4, 4, dtype=torch.int64), torch.ones(3),
                                              torch.zeros(3)), "float")],
            module=_bn_twin,
            reference=lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True, eps=1e-5),
            atol=1e-12, why="float64, the same formula; summation order only"),
    TorchOp("batch_norm2d-eval",
            lambda g: (randn(g, 2, 3, 4, 4), randn(g, 3), randn(g, 3), randn(g, 3), randn(g, 3).abs() + 0.5),
            layers.batch_norm2d, (2, 3, 4, 4), grad=(0, 1, 2, 3, 4),
            bad=[(lambda: layers.batch_norm2d(torch.zeros(2, 3, 4, 4), torch.ones(3), torch.zeros(3),
                                              torch.zeros(2), torch.ones(3)), "running_mean")],
            module=lambda inputs: _bn_twin(inputs, training=False),
            reference=_bn_eval_reference, atol=1e-12, why="float64, the same formula"),
    TorchOp("SEBlock", lambda g: (randn(g, 2, 8, 3, 4),) + tuple(p.detach().clone() for p in _SE.parameters()),
            functional(_SE, _SE_NAMES), (2, 8, 3, 4), grad=(0, 1, 2, 3, 4),
            bad=[(lambda: _SE(torch.zeros(2, 4, 3, 3)), "axis 1 must be 8"),
                 (lambda: layers.SEBlock(8, reduction=3), "must divide")],
            module=lambda inputs: (_SE, inputs[:1]),
            reference=lambda x, *w: layers.se_block_forward(*(t.detach().numpy() for t in (x,) + w)),
            atol=1e-12, why="float64 NumPy twin, the same three steps"),
    TorchOp("ResidualBlock-projection", lambda g: (randn(g, 2, 3, 5, 5), _RES.conv1[0].weight.detach().clone()),
            functional(_RES, ("conv1.0.weight",)), (2, 4, 3, 3), grad=(0, 1),
            bad=[(lambda: _RES(torch.zeros(2, 4, 5, 5, dtype=torch.float64)), "axis 1 must be 3"),
                 (lambda: layers.ResidualBlock(0, 4), "c_in")],
            module=lambda inputs: (_RES, inputs[:1]),
            reference=lambda x, w: _residual_reference(_RES, x), atol=1e-12,
            why="float64; the same convolutions, BN written out: rounding only"),
    TorchOp("ResidualBlock-identity", lambda g: (randn(g, 2, 4, 4, 4),), _RES_ID, (2, 4, 4, 4), grad=(0,),
            reference=lambda x: _residual_reference(_RES_ID, x), atol=1e-12, why="float64, rounding only",
            numel=2 * (9 * 4 * 4 + 2 * 4)),
    TorchOp("InceptionBlock", lambda g: (randn(g, 2, 4, 5, 5),), _INC, (2, 2 + 3 + 3 + 2, 5, 5), grad=(0,),
            bad=[(lambda: _INC(torch.zeros(2, 3, 5, 5, dtype=torch.float64)), "axis 1 must be 4")],
            reference=lambda x: _inception_reference(_INC, x), atol=1e-12, why="float64, the same ops",
            numel=(4 * 2 + 2) + (4 * 2 + 2) + (9 * 2 * 3 + 3) + (4 * 2 + 2) + (25 * 2 * 3 + 3) + (4 * 2 + 2)),
    TorchOp("conv_bn", lambda g: (randn(g, 2, 3, 6, 6),), _seeded(layers.conv_bn(3, 5, 3, stride=2)).eval(),
            (2, 5, 3, 3), grad=(0,), numel=9 * 3 * 5 + 2 * 5),
]


@pytest.mark.parametrize("op, check", battery(OPS))
def test_torch_battery(op, check):
    run_check(op, check)
