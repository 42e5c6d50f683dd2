"""Tests for coursekit.models.ssl_encoder: shapes, features shared with gap_features, validation."""

import pytest
import torch

from coursekit.models.ssl_encoder import SSLEncoder, SSLEncoderConfig
from coursekit.training.transfer import gap_features


def test_shapes_and_represent_equals_gap_features():
    net = SSLEncoder(SSLEncoderConfig(channels=(4, 8), hidden=10, out_dim=5, predictor=True)).eval()
    x = torch.rand(3, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    assert net(x).shape == (3, 5) and net.predict(x).shape == (3, 5)
    with torch.no_grad():
        assert torch.allclose(net.represent(x), gap_features(net, x))
        assert torch.allclose(net(x), net.projector(net.features(x).mean((2, 3))))


def test_bad_inputs():
    with pytest.raises(ValueError):
        SSLEncoderConfig(channels=(4,))
    with pytest.raises(ValueError):
        SSLEncoderConfig(out_dim=0)
    with pytest.raises(ValueError):
        SSLEncoder("cfg")
    net = SSLEncoder(SSLEncoderConfig(channels=(4, 8)))
    with pytest.raises(ValueError):
        net.predict(torch.zeros(2, 1, 8, 8))
    with pytest.raises(ValueError):
        net(torch.zeros(2, 3, 8, 8))
