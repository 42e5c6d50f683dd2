"""coursekit.compress.quantize: the integers agree with torch's own affine quantiser (torch.quantize_per_tensor /
per_channel), the round-trip error is at most s/2, and per-channel beats per-tensor on rows of different scales."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from coursekit.compress.quantize import dequantize, fake_quantize, fake_quantize_model, quantize

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _x(seed=0, shape=(6, 50)):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.filterwarnings("ignore:torch.quantize_per_tensor:UserWarning")
def test_asymmetric_integers_match_torch_quantize_per_tensor():
    x = _x() * 2 + 0.7
    qt = quantize(x, bits=8, symmetric=False)
    ref = torch.quantize_per_tensor(x, float(qt.scale), int(qt.zero_point), torch.quint8)
    assert torch.equal(qt.q, ref.int_repr().long())
    torch.testing.assert_close(dequantize(qt), ref.dequantize())


@pytest.mark.filterwarnings("ignore:torch.quantize_per_tensor:UserWarning")
def test_symmetric_per_channel_integers_match_torch_quantize_per_channel():
    x = _x(1) * torch.logspace(-2, 1, 6)[:, None]
    qt = quantize(x, bits=8, symmetric=True, axis=0)
    assert qt.scale.shape == (6, 1) and (qt.zero_point == 0).all()
    ref = torch.quantize_per_channel(x, qt.scale[:, 0].double(), torch.zeros(6, dtype=torch.long), 0, torch.qint8)
    assert torch.equal(qt.q, ref.int_repr().long())
    assert qt.q.abs().max() <= 127


def test_closed_form_scales():
    x = torch.tensor([[-2.0, 0.5, 1.0], [0.0, 3.0, 6.0]])
    assert float(quantize(x, symmetric=True).scale) == pytest.approx(6.0 / 127)
    asym = quantize(x, symmetric=False)
    assert float(asym.scale) == pytest.approx(8.0 / 255)
    assert int(asym.zero_point) == round(2.0 / (8.0 / 255))                  # z stores 0.0
    per_row = quantize(x, symmetric=True, axis=0).scale.flatten().tolist()
    assert per_row == pytest.approx([2.0 / 127, 6.0 / 127])


@pytest.mark.parametrize("bits", [2, 4, 8])
@pytest.mark.parametrize("symmetric", [True, False])
def test_round_trip_error_is_at_most_half_a_step(bits, symmetric):
    x = _x(bits)
    qt = quantize(x, bits, symmetric, axis=0)
    err = (dequantize(qt) - x).abs()
    assert (err <= qt.scale / 2 * (1 + 1e-5) + 1e-7).all()


def test_zero_is_exact_and_per_channel_beats_per_tensor():
    x = _x(2) * torch.tensor([0.01, 0.1, 1.0, 10.0, 0.05, 3.0])[:, None]
    x[:, 0] = 0.0
    for sym in (True, False):
        assert (fake_quantize(x, 8, sym)[:, 0] == 0).all()
    per_tensor = (fake_quantize(x, 8, True) - x).pow(2).mean(1)
    per_channel = (fake_quantize(x, 8, True, axis=0) - x).pow(2).mean(1)
    assert (per_channel <= per_tensor + 1e-12).all() and per_channel[0] < per_tensor[0] / 100


def test_asymmetric_is_better_for_one_sided_data():
    x = torch.rand(1000, generator=torch.Generator().manual_seed(3))      # ReLU-like: all >= 0
    assert (fake_quantize(x, 4, False) - x).abs().mean() < 0.6 * (fake_quantize(x, 4, True) - x).abs().mean()


def test_fake_quantize_model_changes_only_weights_of_a_copy():
    net = nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 2))
    q = fake_quantize_model(net, bits=3)
    assert not torch.equal(q[0].weight, net[0].weight) and torch.equal(q[0].bias, net[0].bias)
    assert all(len(torch.unique(row)) <= 7 for row in q[0].weight)          # 3 bits symmetric: 7 levels


def test_bad_input():
    with pytest.raises(ValueError, match="bits"):
        quantize(_x(), bits=1)
    with pytest.raises(ValueError, match="float tensor"):
        quantize(torch.arange(4))
    with pytest.raises(ValueError, match="axis"):
        quantize(_x(), axis=2)
