"""coursekit.layers.blocks: BatchNorm against torch.nn, the blocks' shapes, parameter counts against closed-form
formulas, the zero-init residual identity, SE gates, compound scaling, and the digits CNN's accuracy."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from coursekit import training
from coursekit import models
from coursekit import data as ckdata
from coursekit import layers


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
    with pytest.raises(ValueError, match="gamma, beta of shape"):
        layers.batch_norm2d(torch.zeros(2, 3, 4, 4), torch.ones(4), torch.zeros(3))
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        layers.batch_norm2d(torch.zeros(3, 4, 4), torch.ones(3), torch.zeros(3))


# ----------------------------------------------------------------------------- squeeze-and-excitation

def test_se_block_module_matches_the_numpy_reference():
    torch.manual_seed(0)
    se = layers.SEBlock(8, reduction=4).double()
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


# ----------------------------------------------------------------------------- architectures

def test_lenet5_has_the_classic_parameter_count():
    net = models.LeNet5()
    assert net(torch.zeros(2, 1, 32, 32)).shape == (2, 10)
    # C1 6·(25+1), C3 16·(6·25+1) (full connection), C5 120·(16·25+1), F6 84·(120+1), out 10·(84+1)
    assert models.count_parameters(net) == 156 + 2416 + 48120 + 10164 + 850 == 61706
    assert models.count_weight_layers(net) == 5


def test_vgg_sketch_runs_and_counts():
    net = models.VGGSketch(stages=((1, 16), (2, 32), (2, 64)))
    assert net(torch.zeros(2, 1, 32, 32)).shape == (2, 10)
    convs = (9 * 1 * 16 + 16) + (9 * 16 * 32 + 32) + (9 * 32 * 32 + 32) + (9 * 32 * 64 + 64) + (9 * 64 * 64 + 64)
    fcs = (64 * 4 * 4 * 128 + 128) + (128 * 10 + 10)
    assert models.count_parameters(net) == convs + fcs
    assert models.count_weight_layers(net) == 7


@pytest.mark.parametrize("n", [1, 3])
def test_resnet_sketch_has_depth_6n_plus_2_and_the_formula_parameter_count(n):
    net = models.ResNetSketch(n=n)
    assert net(torch.zeros(2, 1, 32, 32)).shape == (2, 10)
    assert models.count_weight_layers(net) == 6 * n + 2

    def block(c_in, c_out):
        p = 9 * c_in * c_out + 9 * c_out * c_out + 4 * c_out
        return p + (c_in * c_out + 2 * c_out if c_in != c_out else 0)

    widths = [16, 32, 64]
    expected = 9 * 16 + 2 * 16 + 64 * 10 + 10
    c = 16
    for w in widths:
        for _ in range(n):
            expected += block(c, w)
            c = w
    assert models.count_parameters(net) == expected


def test_small_cnn_shapes_and_parameter_count():
    net = models.SmallCNN((16, 32))
    x = torch.zeros(3, 1, 16, 16)
    assert net.features(x).shape == (3, 32, 8, 8)
    assert net(x).shape == (3, 10)
    assert models.count_parameters(net) == (9 * 16 + 32) + (9 * 16 * 32 + 64) + (9 * 32 * 32 + 64) + (32 * 10 + 10)


def test_init_parameters_is_reproducible_and_bounded():
    a = models.init_parameters_(models.ResNetSketch(n=1), _gen(3))
    b = models.init_parameters_(models.ResNetSketch(n=1), _gen(3))
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)
    conv = a.stem[0][0]
    assert conv.weight.abs().max() <= 1 / math.sqrt(9)      # U(-1/√fan_in, 1/√fan_in), fan_in = 1·3·3
    assert all(int(torch.count_nonzero(blk.conv2[1].weight)) == 0 for blk in a.blocks)


# ----------------------------------------------------------------------------- compound scaling

def test_compound_scaling_spends_about_twice_the_flops_per_unit_of_phi():
    s = models.compound_scaling(1.0)
    # Tan & Le's constraint alpha·beta²·gamma² ≈ 2 (their grid search: 1.2, 1.1, 1.15 gives 1.92)
    assert 1.9 < s.flops < 2.0
    for phi in (0.0, 0.5, 2.0, 7.0):
        s = models.compound_scaling(phi)
        assert math.isclose(s.flops, s.depth * s.width ** 2 * s.resolution ** 2, rel_tol=1e-12)
        assert math.isclose(s.depth, 1.2 ** phi, rel_tol=1e-12)
    assert models.compound_scaling(0.0) == (1.0, 1.0, 1.0, 1.0)


def test_compound_scaling_rejects_bad_arguments():
    with pytest.raises(ValueError, match="phi"):
        models.compound_scaling(-1.0)
    with pytest.raises(ValueError, match="beta must be >= 1"):
        models.compound_scaling(1.0, beta=0.9)


# ----------------------------------------------------------------------------- digits

def test_digits_split_is_fixed_stratified_and_in_unit_range():
    a, b = ckdata.load_digits_split(16, seed=0), ckdata.load_digits_split(16, seed=0)
    assert a.X_train.shape[1:] == (1, 16, 16) and len(a.y_train) + len(a.y_test) == 1797
    assert torch.equal(a.y_test, b.y_test)
    assert 0.0 <= float(a.X_train.min()) and float(a.X_train.max()) <= 1.0
    counts = torch.bincount(a.y_test, minlength=10)
    assert counts.min() >= 43 and counts.max() <= 47           # 25% of ~180 per class, stratified
    assert ckdata.load_digits_split(8).X_test.shape[1:] == (1, 8, 8)
    with pytest.raises(ValueError, match="size"):
        ckdata.load_digits_split(2)
    with pytest.raises(ValueError, match="test_size"):
        ckdata.load_digits_split(16, test_size=1.5)


def test_small_cnn_reaches_97_percent_on_digits():
    result = training.train_digits(training.DigitsConfig(), ckdata.load_digits_split(), _gen(0), progress=False)
    # The target. Measured 98.9–99.6% over 4 generator seeds; 97% leaves room for BLAS differences.
    assert result.accuracy >= 0.97
    epochs = training.DigitsConfig().epochs
    for key in ("loss", "train_accuracy", "val_accuracy", "test_accuracy"):
        assert len(result.history[key]) == epochs, key
    assert result.history["val_accuracy"][-1] >= 0.95      # 135 held-out training images: ±2% at 99%
    assert result.history["loss"][-1] < result.history["loss"][0]
    assert not result.model.training
    data = ckdata.load_digits_split()
    assert training.accuracy(result.model, data.X_test, data.y_test) == result.accuracy
