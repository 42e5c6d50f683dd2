"""coursekit.layers.init.init_parameters_: reproducible from the generator alone, torch's default distributions
(bounds and moments), the global RNG untouched, the reset_parameters(generator) protocol, and a clear error for a
module it does not know."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from coursekit import layers, models

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _zoo():
    return nn.ModuleDict({
        "conv": nn.Conv2d(3, 8, 3, groups=1), "grouped": nn.Conv2d(4, 8, 3, groups=2),
        "deconv": nn.ConvTranspose2d(4, 6, 3), "linear": nn.Linear(50, 20), "bilinear": nn.Bilinear(3, 4, 2),
        "conv1d": nn.Conv1d(2, 3, 5), "embedding": nn.Embedding(30, 8, padding_idx=0),
        "lstm": nn.LSTM(4, 6), "layernorm": nn.LayerNorm(5), "bn": nn.BatchNorm2d(4),
        "mha": nn.MultiheadAttention(8, 2), "residual": layers.ResidualBlock(4, 4), "twin": layers.BatchNorm2d(3),
    })


def test_same_generator_same_weights_other_generator_other_weights():
    a, b, c = (models.init_parameters_(_zoo(), _gen(s)) for s in (1, 1, 2))
    for (name, p), q, r in zip(a.named_parameters(), b.parameters(), c.parameters()):
        assert torch.equal(p, q), name
    assert not torch.equal(a["linear"].weight, c["linear"].weight)


def test_it_never_draws_from_the_global_generator():
    zoo = _zoo()                                   # constructing torch layers draws from the global RNG: not us
    torch.manual_seed(0)
    before = torch.random.get_rng_state()
    models.init_parameters_(zoo, _gen())
    assert torch.equal(torch.random.get_rng_state(), before)


@pytest.mark.parametrize("name, fan_in", [("conv", 3 * 9), ("grouped", 2 * 9), ("deconv", 6 * 9), ("linear", 50),
                                          ("bilinear", 3), ("conv1d", 2 * 5)])
def test_fan_in_layers_draw_torch_default_uniform_bound(name, fan_in):
    m = models.init_parameters_(_zoo(), _gen())[name]
    bound = 1 / math.sqrt(fan_in)                  # kaiming_uniform_(a=√5) = U(-1/√fan_in, 1/√fan_in), torch's default
    for p in (m.weight, m.bias):
        assert p.abs().max() <= bound
        # A uniform sample of ≥ 6 values reaches past half its bound with probability > 1 - 2^-6.
        assert p.abs().max() > bound / 2, f"{name}: drawn far inside its bound, wrong fan_in?"
    # torch's own constructor uses the same bound: its weights stay inside ours and reach past half of it.
    ref = dict(_zoo().named_children())[name]
    assert ref.weight.abs().max() <= bound and ref.weight.abs().max() > bound / 2


def test_other_layers_get_torch_default_distributions():
    zoo = models.init_parameters_(_zoo(), _gen())
    emb = zoo["embedding"].weight
    assert torch.equal(emb[0], torch.zeros(8))     # the padding row
    # N(0, 1) over 232 values: the sample std is within ±0.15 of 1 with probability > 0.99 (std error ≈ 0.046).
    assert abs(float(emb[1:].detach().std()) - 1.0) < 0.15
    for p in zoo["lstm"].parameters():
        assert p.abs().max() <= 1 / math.sqrt(6)
    mha = zoo["mha"]
    assert mha.in_proj_weight.abs().max() <= math.sqrt(6 / (24 + 8))   # xavier over (3D, D)
    assert torch.count_nonzero(mha.in_proj_bias) == 0 and torch.count_nonzero(mha.out_proj.bias) == 0
    assert zoo["layernorm"].weight.eq(1).all() and zoo["bn"].running_var.eq(1).all()
    assert int(torch.count_nonzero(zoo["residual"].conv2[1].weight)) == 0     # zero-init kept
    assert zoo["twin"].weight.eq(1).all()


def test_reset_parameters_with_a_generator_owns_its_subtree():
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(torch.empty(3))
            self.inner = nn.Linear(3, 3)

        def reset_parameters(self, generator):
            self.scale.data.fill_(2.0)
            self.inner.weight.data.zero_()
            self.inner.bias.data.normal_(generator=generator)

    m = models.init_parameters_(Scaled(), _gen())
    assert m.scale.eq(2).all() and m.inner.weight.eq(0).all()     # the Linear rule did not overwrite it


def test_unknown_parameter_owners_and_bad_arguments_raise():
    class Raw(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(2))

    with pytest.raises(ValueError, match="reset_parameters\\(self, generator\\)"):
        models.init_parameters_(Raw(), _gen())
    with pytest.raises(ValueError, match="torch.Generator"):
        models.init_parameters_(nn.Linear(2, 2), 0)
    with pytest.raises(ValueError, match="nn.Module"):
        models.init_parameters_(torch.zeros(2), _gen())
