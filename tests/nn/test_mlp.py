"""The NumPy MLP of Chapter 3: hand-written backward == central differences == torch autograd, with the cache
passed explicitly from forward to backward (no hidden state); init, dropout in training only, SGD with
momentum == torch.optim.SGD."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coursekit.data.tabular import two_moons
from coursekit.nn.backprop import activation_forward
from coursekit.nn.mlp import (
    MLP,
    MLPCache,
    init_weight,
    mlp_to_torch,
    numerical_gradient,
    sgd_momentum_step,
)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _rel_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_backward_matches_central_differences_for_every_parameter(activation, rng):
    net = MLP((5, 7, 6, 3), activation=activation, init="xavier", rng=rng)
    for b in net.biases:                        # non-zero biases, so their gradients are not trivially tested
        b[:] = 0.1 * rng.standard_normal(b.shape)
    X, y = rng.standard_normal((8, 5)), rng.integers(0, 3, 8)
    _, grads = net.loss_and_grads(X, y)
    params = net.parameters()
    assert len(grads) == len(params) == 6
    for p, g in zip(params, grads):
        num = numerical_gradient(lambda: net.loss_and_grads(X, y)[0], p, eps=1e-6)
        # float64, eps = 1e-6: truncation O(eps^2) ~ 1e-12 and round-off ~ 1e-16 / eps = 1e-10 against
        # gradients of size ~1e-2..1, so 1e-6 leaves four orders of magnitude of margin (the target).
        assert _rel_error(g, num) < 1e-6, (p.shape, _rel_error(g, num))


def test_backward_with_a_fixed_dropout_mask_matches_central_differences(rng):
    net = MLP((4, 10, 10, 3), activation="relu", init="kaiming", rng=rng, dropout=0.3)
    X, y = rng.standard_normal((6, 4)), rng.integers(0, 3, 6)
    _, cache = net.forward(X, training=True, rng=rng)
    masks = [m.copy() for m in cache.masks]      # freeze the masks: the loss is then a smooth function
    assert len(masks) == 2 and any((m == 0).any() for m in masks)
    _, grads = net.loss_and_grads(X, y, training=True, masks=masks)
    for p, g in zip(net.parameters(), grads):
        num = numerical_gradient(lambda: net.loss_and_grads(X, y, training=True, masks=masks)[0], p)
        assert _rel_error(g, num) < 1e-6        # same budget as above


def test_loss_and_gradients_equal_torch_autograd(rng):
    net = MLP((6, 16, 16, 4), activation="tanh", init="xavier", rng=rng)
    X, y = rng.standard_normal((32, 6)), rng.integers(0, 4, 32)
    loss, grads = net.loss_and_grads(X, y)
    model = mlp_to_torch(net)
    t_loss = F.cross_entropy(model(torch.from_numpy(X)), torch.from_numpy(y))
    t_loss.backward()
    t_grads = [p.grad.numpy() for p in model.parameters()]
    assert abs(loss - t_loss.item()) < 1e-12   # float64 both: only summation order differs
    for g, tg in zip(grads, t_grads):
        tg = tg.T if tg.ndim == 2 else tg        # torch stores (out, in)
        np.testing.assert_allclose(g, tg, atol=1e-12)


def test_backward_uses_the_cache_it_is_given_not_the_last_forward_pass(rng):
    net = MLP((4, 6, 3), activation="tanh", init="xavier", rng=rng)
    X1, X2, dlogits = rng.standard_normal((5, 4)), rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    _, cache1 = net.forward(X1)
    expected = net.backward(dlogits, cache1)
    _, cache2 = net.forward(X2)                   # a second pass in between (e.g. a validation batch)
    got = net.backward(dlogits, cache1)
    for a, b in zip(got, expected):
        assert np.array_equal(a, b)
    assert not np.array_equal(net.backward(dlogits, cache2)[0], expected[0])
    assert isinstance(cache1, MLPCache) and cache1.masks == []


def test_mlp_to_torch_leaves_the_global_rng_alone(rng):
    net = MLP((3, 5, 2), rng=rng)
    torch.manual_seed(0)
    before = torch.random.get_rng_state()
    mlp_to_torch(net)
    assert torch.equal(torch.random.get_rng_state(), before)


def test_constant_init_keeps_every_hidden_unit_identical_during_training(rng):
    X, y = two_moons(128, rng, noise=0.1)
    net = MLP((2, 8, 2), activation="tanh", init="constant", init_value=0.3, rng=rng)
    vel = [np.zeros_like(p) for p in net.parameters()]
    for _ in range(100):
        _, grads = net.loss_and_grads(X, y)
        sgd_momentum_step(net.parameters(), grads, vel, lr=0.5, momentum=0.9)
    W1, W2 = net.weights
    # Symmetry: every hidden unit (a column of W1, a row of W2) received the same gradient at every step.
    assert np.ptp(W1, axis=1).max() < 1e-12 and np.ptp(W2, axis=0).max() < 1e-12
    assert np.ptp(net.biases[0]) < 1e-12
    assert np.abs(W1 - 0.3).max() > 1e-2        # the weights did move, just all together


def test_zero_init_with_relu_gets_no_gradient_at_all(rng):
    net = MLP((2, 8, 8, 2), activation="relu", init="zero", rng=rng)
    _, grads = net.loss_and_grads(*two_moons(64, rng))
    assert all(np.all(g == 0) for g in grads[:-1])   # only the output bias learns (the class prior)


def test_random_init_breaks_the_symmetry(rng):
    net = MLP((2, 8, 2), init="kaiming", rng=rng)
    assert np.linalg.matrix_rank(net.weights[0]) == 2


@pytest.mark.parametrize("scheme,activation,gain,low,high", [
    ("kaiming", "relu", 1.0, 0.25, 4.0),
    ("xavier", "identity", 1.0, 0.25, 4.0),
    ("xavier", "tanh", 5.0 / 3.0, 0.25, 4.0),
])
def test_activation_variance_stays_roughly_constant_through_20_layers(scheme, activation, gain, low, high):
    # Width 256, batch 512: each layer multiplies the second moment by a random factor whose log has a
    # standard deviation of about 0.1-0.15 (a chi-square average over 256 units), so after 20 layers the
    # ratio typically lies within e^(+-0.7); the band [1/4, 4] is two such standard deviations. A wrong
    # scheme misses it by orders of magnitude (Xavier with ReLU: ~1e-6, see the next test).
    for seed in range(3):
        rng = np.random.default_rng(seed)
        A = rng.standard_normal((512, 256))
        second_moments = []
        for _ in range(20):
            A = activation_forward(A @ init_weight(256, 256, scheme, rng, gain=gain), activation)
            second_moments.append(float((A ** 2).mean()))
        ratio = second_moments[-1] / second_moments[0]
        assert low < ratio < high, (scheme, activation, seed, ratio)


def test_xavier_with_relu_and_small_gaussian_init_vanish_through_20_layers(rng):
    for W_fn in (lambda: init_weight(256, 256, "xavier", rng), lambda: 0.01 * rng.standard_normal((256, 256))):
        A = rng.standard_normal((512, 256))
        first = None
        for _ in range(20):
            A = np.maximum(A @ W_fn(), 0)
            first = first if first is not None else (A ** 2).mean()
        assert (A ** 2).mean() / first < 1e-4    # halved per layer: 2^-19 ~ 2e-6


@pytest.mark.parametrize("scheme,torch_init", [
    ("xavier", lambda w: torch.nn.init.xavier_normal_(w)),
    ("kaiming", lambda w: torch.nn.init.kaiming_normal_(w, nonlinearity="relu")),
])
def test_init_std_matches_torch_nn_init(scheme, torch_init, rng):
    fan_in, fan_out = 300, 500
    ours = init_weight(fan_in, fan_out, scheme, rng).std()
    theirs = torch_init(torch.empty(fan_out, fan_in, dtype=torch.float64)).std().item()
    # 150,000 samples: the relative standard error of a sample std is 1/sqrt(2n) ~ 0.2 %; 2 % is 10 of them.
    assert abs(ours / theirs - 1) < 0.02


def test_dropout_is_off_in_evaluation(rng):
    net = MLP((3, 20, 2), dropout=0.5, rng=rng)
    X = rng.standard_normal((4, 3))
    assert np.array_equal(net.forward(X)[0], net.forward(X)[0])
    assert not np.array_equal(net.forward(X, training=True, rng=rng)[0], net.forward(X)[0])
    assert MLP((3, 4, 2), rng=rng).forward(X, training=True)[0].shape == (4, 2)   # training without dropout


def test_sgd_momentum_step_equals_torch_optim_sgd(rng):
    params = [rng.standard_normal((4, 3)), rng.standard_normal(3)]
    t_params = [torch.tensor(p, requires_grad=True) for p in params]
    opt = torch.optim.SGD(t_params, lr=0.05, momentum=0.9, weight_decay=1e-2)
    vel = [np.zeros_like(p) for p in params]
    for _ in range(5):
        grads = [rng.standard_normal(p.shape) for p in params]
        sgd_momentum_step(params, grads, vel, lr=0.05, momentum=0.9, weight_decay=1e-2)
        for tp, g in zip(t_params, grads):
            tp.grad = torch.from_numpy(g.copy())
        opt.step()
    for p, tp in zip(params, t_params):
        np.testing.assert_allclose(p, tp.detach().numpy(), atol=1e-14)


def test_mlp_learns_two_moons(rng):
    X, y = two_moons(256, rng, noise=0.1)
    net = MLP((2, 32, 32, 2), activation="relu", init="kaiming", rng=rng)
    vel = [np.zeros_like(p) for p in net.parameters()]
    for _ in range(300):
        _, grads = net.loss_and_grads(X, y)
        sgd_momentum_step(net.parameters(), grads, vel, lr=0.1, momentum=0.9)
    assert (net.predict(X) == y).mean() > 0.97   # a linear classifier reaches ~0.88 on this set


def test_numerical_gradient_of_a_known_function():
    x = np.array([[0.5, -1.0], [2.0, 3.0]])
    g = numerical_gradient(lambda: float(np.sin(x).sum()), x)
    np.testing.assert_allclose(g, np.cos(x), atol=1e-9)   # O(eps^2) truncation + 1e-10 round-off


def test_bad_inputs_raise_clear_errors(rng):
    with pytest.raises(ValueError, match="scheme"):
        init_weight(3, 4, "he", rng)
    with pytest.raises(ValueError, match="Generator"):
        init_weight(3, 4, "xavier", None)
    with pytest.raises(ValueError, match="features"):
        MLP((3, 4, 2), rng=rng).forward(np.ones((5, 2)))
    net = MLP((3, 4, 2), rng=rng, dropout=0.5)
    with pytest.raises(ValueError, match="MLPCache"):
        net.backward(np.ones((5, 2)), None)
    with pytest.raises(ValueError, match="MLPCache"):
        net.backward(np.ones((5, 2)), MLP((3, 4, 4, 2), rng=rng).forward(np.ones((5, 3)))[1])
    with pytest.raises(ValueError, match="shape of the logits"):
        net.backward(np.ones((4, 2)), net.forward(np.ones((5, 3)))[1])
    with pytest.raises(ValueError, match="training=True"):
        net.forward(np.ones((5, 3)), rng=rng)
    with pytest.raises(ValueError, match="needs rng"):
        net.forward(np.ones((5, 3)), training=True)
    with pytest.raises(ValueError, match="one mask per hidden layer"):
        net.forward(np.ones((5, 3)), training=True, masks=[])
    with pytest.raises(ValueError, match="sizes"):
        MLP((3,), rng=rng)
    with pytest.raises(ValueError, match="momentum"):
        sgd_momentum_step([np.ones(2)], [np.ones(2)], [np.zeros(2)], lr=0.1, momentum=1.0)
    with pytest.raises(ValueError, match="same length"):
        sgd_momentum_step([np.ones(2)], [], [np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match="float"):
        numerical_gradient(lambda: 0.0, np.array([1, 2]))
