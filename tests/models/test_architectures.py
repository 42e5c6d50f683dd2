"""coursekit.models: LeNet-5, the VGG and ResNet sketches and the small CNN — output shapes, parameter counts
against closed-form formulas (the torch battery's shape check), depth as papers count it, configs that
validate themselves, and bad input."""

from __future__ import annotations

import pytest
import torch
from torch_battery import TorchOp, battery, randn, run_check

from coursekit import models

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _seeded(model, seed=0):
    return models.init_parameters_(model.double(), torch.Generator().manual_seed(seed)).eval()


def _resnet_params(n, widths=(16, 32, 64), in_channels=1, K=10):
    def block(c_in, c_out):
        p = 9 * c_in * c_out + 9 * c_out * c_out + 4 * c_out          # two 3×3 convs without bias, two BNs
        return p + (c_in * c_out + 2 * c_out if c_in != c_out else 0)  # 1×1 projection + its BN
    total, c = 9 * in_channels * widths[0] + 2 * widths[0], widths[0]   # stem conv + BN
    for w in widths:
        for _ in range(n):
            total, c = total + block(c, w), w
    return total + c * K + K                                          # head


# C1 6·(25+1), C3 16·(6·25+1) (full connection), C5 120·(16·25+1), F6 84·(120+1), out 10·(84+1)
LENET = 156 + 2416 + 48120 + 10164 + 850
VGG = ((9 * 1 * 16 + 16) + (9 * 16 * 32 + 32) + (9 * 32 * 32 + 32) + (9 * 32 * 64 + 64) + (9 * 64 * 64 + 64)
       + (64 * 4 * 4 * 128 + 128) + (128 * 10 + 10))
SMALL = (9 * 16 + 32) + (9 * 16 * 32 + 64) + (9 * 32 * 32 + 64) + (32 * 10 + 10)

OPS = [
    TorchOp("LeNet5", lambda g: (randn(g, 2, 1, 32, 32),), _seeded(models.LeNet5()), (2, 10), numel=LENET,
            bad=[(lambda: models.LeNet5()(torch.zeros(2, 1, 28, 28)), "axis 2 must be 32"),
                 (lambda: models.LeNet5(models.LeNet5Config(num_classes=1)), "num_classes")]),
    TorchOp("VGGSketch", lambda g: (randn(g, 2, 1, 32, 32),), _seeded(models.VGGSketch()), (2, 10), numel=VGG,
            bad=[(lambda: models.VGGConfig(in_size=20), "divisible by 2 \\*\\* 3"),
                 (lambda: models.VGGSketch()(torch.zeros(1, 3, 32, 32)), "axis 1 must be 1"),
                 (lambda: models.VGGSketch({"in_size": 32}), "VGGConfig")]),
    TorchOp("ResNetSketch-n1", lambda g: (randn(g, 2, 1, 16, 16),),
            _seeded(models.ResNetSketch(models.ResNetConfig(n=1))), (2, 10), numel=_resnet_params(1),
            bad=[(lambda: models.ResNetConfig(n=0), "n must be"),
                 (lambda: models.ResNetSketch(3), "ResNetConfig")]),
    TorchOp("ResNetSketch-n3-rgb", lambda g: (randn(g, 2, 3, 8, 8),),
            _seeded(models.ResNetSketch(models.ResNetConfig(n=3, widths=(8, 16), in_channels=3, num_classes=4))),
            (2, 4), numel=_resnet_params(3, (8, 16), 3, 4)),
    TorchOp("SmallCNN", lambda g: (randn(g, 3, 1, 16, 16),), _seeded(models.SmallCNN()), (3, 10), numel=SMALL,
            bad=[(lambda: models.SmallCNN((16, 32)), "SmallCNNConfig"),
                 (lambda: models.SmallCNNConfig(channels=(16,)), "pair"),
                 (lambda: models.SmallCNN()(torch.zeros(1, 1, 1, 1)), "at least 2×2")]),
    # A small float64 model: gradcheck through conv, BN (eval), max-pool, ReLU and the GAP head.
    TorchOp("SmallCNN-tiny", lambda g: (randn(g, 2, 1, 6, 6),),
            _seeded(models.SmallCNN(models.SmallCNNConfig(channels=(2, 3), num_classes=3))), (2, 3), grad=(0,)),
]


@pytest.mark.parametrize("op, check", battery(OPS))
def test_torch_battery(op, check):
    run_check(op, check)


@pytest.mark.parametrize("model, depth", [(models.LeNet5(), 5), (models.VGGSketch(), 7),
                                          (models.ResNetSketch(models.ResNetConfig(n=1)), 8),
                                          (models.ResNetSketch(models.ResNetConfig(n=3)), 20)])
def test_depth_is_counted_as_papers_do_6n_plus_2_for_resnets(model, depth):
    assert models.count_weight_layers(model) == depth


def test_small_cnn_last_feature_map_is_half_the_input():
    net = models.SmallCNN()
    assert net.features(torch.zeros(3, 1, 16, 16)).shape == (3, 32, 8, 8)   # what CAM and Grad-CAM explain


def test_a_model_keeps_its_config():
    config = models.ResNetConfig(n=2, widths=(8,), num_classes=3)
    assert models.ResNetSketch(config).config is config


def test_counts_reject_a_non_module():
    with pytest.raises(ValueError, match="nn.Module"):
        models.count_parameters([torch.zeros(3)])
