"""The MLP denoiser and its toy ControlNet (Chapter 17): shapes, parameter count from the layer sizes, bad
input, float64 gradcheck, the null label, embedding/residual hooks, and ControlNet's zero start and frozen base."""

from __future__ import annotations

import pytest
import torch

from coursekit.layers.init import init_parameters_
from coursekit.models.denoiser import Denoiser, DenoiserConfig
from coursekit.models.denoiser_control import ControlNet, ControlNetConfig

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _net(**kw):
    return init_parameters_(Denoiser(DenoiserConfig(**kw)), torch.Generator().manual_seed(0))


def test_parameter_count_follows_the_layer_sizes():
    D, H, L, E, K, F = 3, 16, 2, 8, 4, 2
    net = _net(dim=D, hidden=H, depth=L, time_dim=E, num_classes=K, fourier=F)
    expected = (E * H + H + H * H + H) + (D * (1 + 2 * F) * H + H) + (K + 1) * H + L * 2 * (H * H + H) + (H * D + D)
    assert sum(p.numel() for p in net.parameters()) == expected


def test_output_shapes_for_points_digits_and_classifier():
    t = torch.tensor([0, 999])
    assert _net()(torch.zeros(2, 2), t).shape == (2, 2)
    assert _net(dim=64, num_classes=10)(torch.zeros(2, 64), t, torch.tensor([3, 10])).shape == (2, 64)
    assert _net(out_dim=8)(torch.zeros(2, 2), t).shape == (2, 8)


def test_fourier_features_are_sin_and_cos_of_powers_of_two():
    net = _net(fourier=3)
    x = torch.tensor([[0.5, -1.0]])
    seen = {}
    net.inp.register_forward_hook(lambda m, inp, out: seen.update(x=inp[0]))      # returns None: output kept
    net(x, torch.tensor([5]))
    angles = torch.tensor([[0.5, 1.0, 2.0, -1.0, -2.0, -4.0]])
    torch.testing.assert_close(seen["x"], torch.cat([x, angles.sin(), angles.cos()], 1))


def test_label_embedding_and_embedding_hook_agree():
    net = _net(num_classes=3)
    x, t, y = torch.randn(4, 2), torch.tensor([1, 2, 3, 4]), torch.tensor([0, 1, 2, 3])
    via_vector = torch.stack([net(x[i:i + 1], t[i:i + 1], embedding=net.label.weight[y[i]]) for i in range(4)])
    torch.testing.assert_close(net(x, t, y), via_vector[:, 0])


def test_the_time_step_changes_the_output():
    net = _net()
    x = torch.randn(1, 2).repeat(2, 1)
    out = net(x, torch.tensor([3, 900]))
    assert not torch.allclose(out[0], out[1])


def test_gradcheck_in_float64():
    net = _net(hidden=8, depth=1, fourier=2).double()
    x = torch.randn(3, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: net(x, torch.tensor([0, 10, 500])), (x,))


@pytest.mark.parametrize("call, words", [
    (lambda: DenoiserConfig(time_dim=7), "even"),
    (lambda: DenoiserConfig(T=1), "T must be"),
    (lambda: _net()(torch.zeros(2, 3), torch.tensor([0, 1])), "shape"),
    (lambda: _net()(torch.zeros(2, 2), torch.tensor([0.0, 1.0])), "long tensor"),
    (lambda: _net()(torch.zeros(2, 2), torch.tensor([0, 1000])), "0 … 999"),
    (lambda: _net()(torch.zeros(2, 2), torch.tensor([0, 1]), torch.tensor([0, 1])), "unconditional"),
    (lambda: _net(num_classes=2)(torch.zeros(2, 2), torch.tensor([0, 1]), torch.tensor([0, 3])), "null"),
    (lambda: _net(num_classes=2)(torch.zeros(1, 2), torch.tensor([0]), torch.tensor([0]),
                                 embedding=torch.zeros(128)), "either y or embedding"),
    (lambda: Denoiser("big"), "DenoiserConfig"),
    (lambda: ControlNet(torch.nn.Linear(2, 2)), "Denoiser"),
    (lambda: ControlNet(_net())(torch.zeros(2, 2), torch.tensor([0, 1]), torch.zeros(2, 3)), "c must have"),
])
def test_bad_input_raises(call, words):
    with pytest.raises(ValueError, match=words):
        call()


def test_controlnet_starts_exactly_at_the_base_model():
    base = _net()
    net = init_parameters_(ControlNet(base, ControlNetConfig(2)), torch.Generator().manual_seed(1))
    x, t, c = torch.randn(5, 2), torch.randint(0, 1000, (5,)), torch.randn(5, 2)
    assert torch.equal(net(x, t, c), base(x, t))


def test_controlnet_trains_only_the_copy_and_the_zero_layers():
    base = _net()
    before = {k: v.clone() for k, v in base.state_dict().items()}
    net = ControlNet(base)
    names = {n for n, _ in net.named_parameters()}
    assert all(n.startswith(("copy.", "zero_in.", "zero_out.")) for n in names)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    for _ in range(3):
        loss = net(torch.randn(8, 2), torch.randint(0, 1000, (8,)), torch.randn(8, 2)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert all(torch.equal(before[k], v) for k, v in base.state_dict().items())
    assert net.zero_out.weight.abs().sum() > 0                # the zero layers do receive a gradient
