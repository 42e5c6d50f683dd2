"""JEPA toy: target blocks and context partition the grid, the loss is a latent MSE against a layer-normed,
detached target, the target encoder gets no gradient and moves only by EMA."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from coursekit.ssl.jepa import JEPA, block_target_ids, jepa_loss
from coursekit.ssl.mae import MAEConfig


def _g(seed=0):
    return torch.Generator().manual_seed(seed)


def test_target_block_and_context_partition_the_grid():
    t, c = block_target_ids(6, 4, 2, _g(1))
    for b in range(6):
        rows = {i // 4 for i in t[b].tolist()}
        cols = {i % 4 for i in t[b].tolist()}
        assert len(rows) == 2 and len(cols) == 2 and max(rows) - min(rows) == 1 and max(cols) - min(cols) == 1
        assert sorted(t[b].tolist() + c[b].tolist()) == list(range(16))


def test_loss_against_explicit_layer_norm():
    p, s = torch.randn(2, 3, 8, generator=_g(2)), torch.randn(2, 3, 8, generator=_g(3)) * 4 + 1
    mu, var = s.mean(-1, keepdim=True), s.var(-1, unbiased=False, keepdim=True)
    target = (s - mu) / torch.sqrt(var + 1e-5)
    assert float(jepa_loss(p, s)) == pytest.approx(float(F.mse_loss(p, target)), rel=1e-6)


def test_stop_gradient_target_gets_no_gradient():
    s = torch.randn(1, 2, 4, generator=_g(4), requires_grad=True)
    p = torch.randn(1, 2, 4, generator=_g(5), requires_grad=True)
    jepa_loss(p, s).backward()
    assert s.grad is None and p.grad is not None


def test_model_trains_context_encoder_only_and_target_follows_by_ema():
    model = JEPA(MAEConfig(dim=16, heads=2, depth=1), generator=_g(6))
    x = torch.rand(4, 1, 28, 28, generator=_g(7))
    loss = model(x, _g(8))
    loss.backward()
    assert all(p.grad is None and not p.requires_grad for p in model.target_encoder.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.context_encoder.parameters())
    assert model.query.grad is not None
    before = [p.clone() for p in model.target_encoder.parameters()]
    with torch.no_grad():
        for p in model.context_encoder.parameters():
            p.add_(1.0)
    model.step_target(0.75)
    for b, a, o in zip(before, model.target_encoder.parameters(), model.context_encoder.parameters()):
        assert torch.allclose(a, 0.75 * b + 0.25 * o, atol=1e-6)


def test_bad_inputs():
    with pytest.raises(ValueError, match="block"):
        block_target_ids(2, 4, 4, _g())
    with pytest.raises(ValueError, match="target_features"):
        jepa_loss(torch.zeros(1, 2, 4), torch.zeros(1, 3, 4))
    with pytest.raises(ValueError, match="images"):
        JEPA()(torch.zeros(1, 3, 28, 28), _g())
