"""Tests for coursekit.ssl.momentum: the EMA rule against its formula, the queue against collections.deque."""

from collections import deque

import pytest
import torch
from torch import nn

from coursekit.ssl.momentum import FeatureQueue, ema_update_, momentum_copy


def _net(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2)).double()


@pytest.mark.parametrize("m", [0.0, 0.5, 0.99, 1.0])
def test_ema_update_is_exact(m):
    target, online = _net(0), _net(1)
    online[1].running_mean.fill_(0.3)
    before = [p.detach().clone() for p in target.parameters()]
    ema_update_(target, online, m)
    for t0, t, o in zip(before, target.parameters(), online.parameters()):
        assert torch.allclose(t, m * t0 + (1 - m) * o, atol=1e-15, rtol=0)   # float64 arithmetic
    assert torch.equal(target[1].running_mean, online[1].running_mean)


def test_momentum_copy_is_frozen_and_independent():
    online = _net(2)
    target = momentum_copy(online)
    assert not any(p.requires_grad for p in target.parameters())
    assert all(p.requires_grad for p in online.parameters())
    with torch.no_grad():
        online[0].weight.add_(1.0)
    assert not torch.equal(online[0].weight, target[0].weight)


def test_queue_is_fifo_like_a_deque():
    g = torch.Generator().manual_seed(0)
    K, D = 7, 3
    q = FeatureQueue(D, K, g)
    ref = deque((row.clone() for row in q.keys()), maxlen=K)
    for step, n in enumerate([3, 3, 2, 5, 7, 1]):
        keys = torch.randn(n, D, generator=g)
        q.enqueue(keys)
        for row in keys:
            ref.append(row / row.norm())
        assert torch.allclose(q.keys(), torch.stack(list(ref)), atol=1e-6), step
    assert torch.allclose(q.keys().norm(dim=1), torch.ones(K))


def test_queue_detaches_and_validates():
    q = FeatureQueue(2, 4, torch.Generator().manual_seed(0))
    k = torch.ones(2, 2, requires_grad=True)
    q.enqueue(k)
    assert not q.buffer.requires_grad
    with pytest.raises(ValueError):
        q.enqueue(torch.ones(5, 2))
    with pytest.raises(ValueError):
        q.enqueue(torch.ones(2, 3))


def test_bad_inputs():
    with pytest.raises(ValueError):
        ema_update_(_net(0), nn.Linear(3, 4), 0.9)
    with pytest.raises(ValueError):
        ema_update_(_net(0), _net(1), 1.5)
    with pytest.raises(TypeError):
        momentum_copy("net")
    with pytest.raises(ValueError):
        FeatureQueue(0, 4, torch.Generator())
    with pytest.raises(ValueError):
        FeatureQueue(2, 4, 0)
