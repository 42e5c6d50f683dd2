"""Adam and the mini-batch schedule against torch.optim and the DataLoader's semantics (chapter 3)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from coursekit.nn.mlp import sgd_momentum_step
from coursekit.nn.optim import AdamState, adam_step, minibatches


def _quadratic_grads(params, A):
    # f(θ) = ½ Σ θᵀ A θ per parameter (flattened): a non-trivial, well-defined gradient A θ
    return [(A[: p.size, : p.size] @ p.ravel()).reshape(p.shape) for p in params]


@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
@pytest.mark.parametrize("betas", [(0.9, 0.999), (0.5, 0.9)])
def test_adam_equals_torch_optim_adam_step_for_step(weight_decay, betas):
    rng = np.random.default_rng(0)
    A = rng.normal(size=(12, 12)); A = A @ A.T / 12 + np.eye(12)
    params = [rng.normal(size=(3, 4)), rng.normal(size=(5,))]
    theirs = [torch.tensor(p.copy(), requires_grad=True) for p in params]
    opt = torch.optim.Adam(theirs, lr=0.05, betas=betas, eps=1e-8, weight_decay=weight_decay)
    state = AdamState.zeros_like(params)
    for _ in range(50):
        grads = _quadratic_grads(params, A)
        adam_step(params, grads, state, lr=0.05, betas=betas, eps=1e-8, weight_decay=weight_decay)
        opt.zero_grad()
        for t in theirs:
            t.grad = torch.tensor(_quadratic_grads([t.detach().numpy()], A)[0])
        opt.step()
        for p, t in zip(params, theirs):
            np.testing.assert_allclose(p, t.detach().numpy(), rtol=0, atol=1e-12)
    assert state.t == 50


def test_sgd_momentum_equals_torch_optim_sgd_step_for_step():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(6, 6)); A = A @ A.T / 6 + np.eye(6)
    params = [rng.normal(size=(6,))]
    theirs = [torch.tensor(params[0].copy(), requires_grad=True)]
    opt = torch.optim.SGD(theirs, lr=0.05, momentum=0.9, weight_decay=0.01)
    vel = [np.zeros(6)]
    for _ in range(40):
        sgd_momentum_step(params, _quadratic_grads(params, A), vel, lr=0.05, momentum=0.9, weight_decay=0.01)
        theirs[0].grad = torch.tensor(_quadratic_grads([theirs[0].detach().numpy()], A)[0])
        opt.step()
        np.testing.assert_allclose(params[0], theirs[0].detach().numpy(), rtol=0, atol=1e-12)


def test_adam_first_step_moves_every_coordinate_by_about_lr_whatever_the_gradient_scale():
    p = [np.zeros(4)]
    adam_step(p, [np.array([1e-6, 1.0, -1e3, 5.0])], AdamState.zeros_like(p), lr=0.01, eps=1e-12)
    np.testing.assert_allclose(np.abs(p[0]), 0.01, rtol=1e-5)


def test_adam_rejects_bad_arguments():
    p = [np.zeros(2)]
    with pytest.raises(ValueError, match="betas"):
        adam_step(p, [np.ones(2)], AdamState.zeros_like(p), betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="shape"):
        adam_step(p, [np.ones(3)], AdamState.zeros_like(p))
    with pytest.raises(ValueError, match="same length"):
        adam_step(p, [np.ones(2), np.ones(2)], AdamState.zeros_like(p))
    with pytest.raises(ValueError):
        adam_step(p, [np.ones(2)], AdamState.zeros_like(p), lr=0.0)


@pytest.mark.parametrize("n, batch, drop", [(10, 4, False), (10, 4, True), (12, 4, False), (3, 8, False)])
def test_minibatches_match_the_dataloader_sizes_and_cover_every_example_once(n, batch, drop):
    batches = minibatches(n, batch, np.random.default_rng(0), drop_last=drop)
    loader = torch.utils.data.DataLoader(list(range(n)), batch_size=batch, shuffle=True, drop_last=drop)
    assert [b.size for b in batches] == [len(b) for b in loader]
    seen = np.concatenate(batches) if batches else np.array([], dtype=int)
    assert len(set(seen.tolist())) == seen.size                      # no index twice
    if not drop:
        assert sorted(seen.tolist()) == list(range(n))


def test_minibatches_are_reshuffled_by_the_generator():
    a = np.concatenate(minibatches(50, 7, np.random.default_rng(0)))
    b = np.concatenate(minibatches(50, 7, np.random.default_rng(1)))
    assert not np.array_equal(a, b)
    with pytest.raises((TypeError, ValueError)):
        minibatches(0, 4, np.random.default_rng(0))
