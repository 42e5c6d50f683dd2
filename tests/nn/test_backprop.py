"""coursekit.nn.backprop: the affine layer's forward and backward against torch autograd, every activation's
derivative against central differences, inverted dropout's expectation and its backward."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from coursekit.nn.backprop import (
    ACTIVATIONS,
    activation_backward,
    activation_forward,
    dropout_backward,
    dropout_forward,
    linear_backward,
    linear_forward,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_linear_backward_matches_torch_autograd(rng):
    X, W = rng.standard_normal((7, 4)), rng.standard_normal((4, 3))
    b, dY = rng.standard_normal(3), rng.standard_normal((7, 3))
    Xt, Wt, bt = (torch.from_numpy(a).requires_grad_() for a in (X, W, b))
    (Xt @ Wt + bt).backward(torch.from_numpy(dY))
    for ours, theirs in zip(linear_backward(dY, X, W), (Xt.grad, Wt.grad, bt.grad)):
        np.testing.assert_allclose(ours, theirs.numpy(), atol=1e-13)   # float64, summation order only
    np.testing.assert_allclose(linear_forward(X, W, b), (Xt @ Wt + bt).detach().numpy(), atol=1e-14)


@pytest.mark.parametrize("kind", ACTIVATIONS)
def test_activation_backward_is_the_derivative(kind, rng):
    Z = rng.standard_normal(50)
    Z = Z[np.abs(Z) > 1e-3]                       # away from ReLU's kink
    eps = 1e-6
    fd = (activation_forward(Z + eps, kind) - activation_forward(Z - eps, kind)) / (2 * eps)
    got = activation_backward(np.ones_like(Z), Z, activation_forward(Z, kind), kind)
    # central differences: O(eps²) ≈ 1e-12 truncation + 1e-16 / eps = 1e-10 round-off
    np.testing.assert_allclose(got, fd, atol=1e-8, err_msg=f"{kind}: f' differs from central differences")


def test_sigmoid_does_not_overflow_and_matches_its_definition():
    z = np.array([-800.0, -3.0, 0.0, 3.0, 800.0])
    with np.errstate(over="raise"):
        s = activation_forward(z, "sigmoid")
    np.testing.assert_allclose(s[1:4], 1 / (1 + np.exp(-z[1:4])), rtol=1e-15)   # tanh form: rounding only
    assert s[0] == 0.0 and s[-1] == 1.0


def test_inverted_dropout_keeps_the_expected_activation(rng):
    X = rng.uniform(1, 2, (200, 500))
    Y, mask = dropout_forward(X, 0.3, rng)
    assert set(np.unique(mask)) == {0.0, 1 / 0.7}
    assert abs((mask == 0).mean() - 0.3) < 0.01      # 100,000 Bernoulli draws: std 0.0014
    assert abs(Y.mean() / X.mean() - 1) < 0.01
    assert np.array_equal(dropout_forward(X, 0.0, rng)[0], X)
    assert np.array_equal(dropout_backward(np.ones_like(X), mask), mask)   # d(X · mask)/dX = mask


def test_bad_inputs_raise_clear_errors(rng):
    with pytest.raises(ValueError, match="p must be < 1"):
        dropout_forward(np.ones(3), 1.0, rng)
    with pytest.raises(ValueError, match="mask must have the shape"):
        dropout_forward(np.ones(3), 0.5, mask=np.ones(2))
    with pytest.raises(ValueError, match="activation"):
        activation_forward(np.ones(3), "gelu")
