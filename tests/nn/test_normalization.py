"""Batch normalisation of Chapter 3 against torch.nn.BatchNorm1d: outputs, running statistics, gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from coursekit.nn.mlp import numerical_gradient
from coursekit.nn.normalization import BatchNorm1d, batchnorm_backward, batchnorm_forward


pytestmark = pytest.mark.usefixtures("one_torch_thread")


# Both sides compute in float64 with the same formulas up to summation order, so agreement is at the
# level of a few ulps of the values involved (|x| <~ 10): 1e-12 is generous and still catches any
# biased/unbiased or momentum mix-up, which changes results at the 1e-2 level.
ATOL = 1e-12


def _torch_bn(C, gamma, beta, momentum=0.1):
    bn = torch.nn.BatchNorm1d(C, momentum=momentum, dtype=torch.float64)
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(gamma))
        bn.bias.copy_(torch.from_numpy(beta))
    return bn


def test_train_mode_outputs_and_running_stats_match_torch_over_several_steps(rng):
    C = 5
    gamma, beta = rng.uniform(0.5, 2, C), rng.standard_normal(C)
    bn_t = _torch_bn(C, gamma, beta, momentum=0.2)
    rm, rv = np.zeros(C), np.ones(C)
    for step in range(6):
        X = rng.normal(3.0, 2.0, (16 + step, C))          # batch sizes 16..21
        Y, rm, rv, _ = batchnorm_forward(X, gamma, beta, rm, rv, train=True, momentum=0.2)
        Y_t = bn_t(torch.from_numpy(X))
        np.testing.assert_allclose(Y, Y_t.detach().numpy(), atol=ATOL)
    np.testing.assert_allclose(rm, bn_t.running_mean.numpy(), atol=ATOL)
    np.testing.assert_allclose(rv, bn_t.running_var.numpy(), atol=ATOL)
    assert int(bn_t.num_batches_tracked) == 6


def test_eval_mode_uses_running_statistics_like_torch(rng):
    C = 4
    gamma, beta = rng.uniform(0.5, 2, C), rng.standard_normal(C)
    bn = BatchNorm1d(C)
    bn.gamma, bn.beta = gamma.copy(), beta.copy()
    bn_t = _torch_bn(C, gamma, beta)
    for _ in range(5):
        X = rng.normal(-1.0, 3.0, (32, C))
        bn(X), bn_t(torch.from_numpy(X))
    bn.training = False
    bn_t.eval()
    X = rng.normal(0.0, 1.0, (7, C))
    np.testing.assert_allclose(bn(X), bn_t(torch.from_numpy(X)).detach().numpy(), atol=ATOL)
    np.testing.assert_allclose(bn.running_var, bn_t.running_var.numpy(), atol=ATOL)


@pytest.mark.parametrize("train", [True, False])
def test_gradients_match_torch_autograd(train, rng):
    C, B = 3, 10
    gamma, beta = rng.uniform(0.5, 2, C), rng.standard_normal(C)
    rm, rv = rng.standard_normal(C), rng.uniform(0.5, 2, C)
    X, dY = rng.normal(1.0, 2.0, (B, C)), rng.standard_normal((B, C))
    Y, _, _, cache = batchnorm_forward(X, gamma, beta, rm, rv, train=train)
    dX, dgamma, dbeta = batchnorm_backward(dY, cache)

    bn_t = _torch_bn(C, gamma, beta)
    with torch.no_grad():
        bn_t.running_mean.copy_(torch.from_numpy(rm))
        bn_t.running_var.copy_(torch.from_numpy(rv))
    bn_t.train(train)
    Xt = torch.from_numpy(X).requires_grad_()
    bn_t(Xt).backward(torch.from_numpy(dY))
    np.testing.assert_allclose(dX, Xt.grad.numpy(), atol=ATOL)
    np.testing.assert_allclose(dgamma, bn_t.weight.grad.numpy(), atol=ATOL)
    np.testing.assert_allclose(dbeta, bn_t.bias.grad.numpy(), atol=ATOL)


def test_train_mode_input_gradient_matches_central_differences(rng):
    X, dY = rng.standard_normal((6, 2)), rng.standard_normal((6, 2))
    gamma, beta = np.array([1.5, 0.7]), np.array([0.1, -0.2])

    def loss():
        return float((batchnorm_forward(X, gamma, beta, np.zeros(2), np.ones(2))[0] * dY).sum())

    dX = batchnorm_backward(dY, batchnorm_forward(X, gamma, beta, np.zeros(2), np.ones(2))[3])[0]
    num = numerical_gradient(loss, X)
    assert np.abs(dX - num).max() < 1e-8           # central differences: O(eps^2) + 1e-10 round-off


def test_train_output_has_zero_mean_unit_variance_and_eval_output_ignores_the_batch(rng):
    X = rng.normal(5.0, 3.0, (64, 3))
    Y, rm, rv, _ = batchnorm_forward(X, np.ones(3), np.zeros(3), np.zeros(3), np.ones(3))
    np.testing.assert_allclose(Y.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(Y.var(0), 1, atol=1e-4)      # eps = 1e-5 over a variance of ~9
    one = batchnorm_forward(X[:1], np.ones(3), np.zeros(3), rm, rv, train=False)[0]
    all_ = batchnorm_forward(X, np.ones(3), np.zeros(3), rm, rv, train=False)[0]
    np.testing.assert_array_equal(one, all_[:1])            # eval: each example on its own
    assert not np.allclose(Y, all_)                          # train and eval differ


def test_bad_inputs_raise_clear_errors(rng):
    g, b = np.ones(3), np.zeros(3)
    with pytest.raises(ValueError, match="at least 2 examples"):
        batchnorm_forward(np.ones((1, 3)), g, b, np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="gamma"):
        batchnorm_forward(np.ones((4, 3)), np.ones(2), b, np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="momentum"):
        batchnorm_forward(np.ones((4, 3)), g, b, np.zeros(3), np.ones(3), momentum=1.5)
    with pytest.raises(ValueError, match="2-D"):
        batchnorm_forward(np.ones((4, 3, 2)), g, b, np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="before backward"):
        BatchNorm1d(3).backward(np.ones((4, 3)))
