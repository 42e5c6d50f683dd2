"""Tests for coursekit.rendering.volume (Chapter 9): volume-rendering weights == alpha compositing."""

import numpy as np
import pytest
import torch

from coursekit.rendering.volume import alpha_composite, volume_render, volume_weights


def _ray_data(seed, R=6, S=9):
    rng = np.random.default_rng(seed)
    sigma = rng.exponential(2.0, size=(R, S)) * (rng.random((R, S)) < 0.6)
    t = np.sort(rng.uniform(1, 5, size=(R, S)), axis=1)
    far = t[:, -1] + rng.uniform(0.1, 0.5, size=R)
    rgb = rng.random((R, S, 3))
    delta = np.diff(np.concatenate([t, far[:, None]], 1), axis=1)
    return sigma, t, far, rgb, delta


@pytest.mark.parametrize("seed", range(4))
def test_volume_rendering_equals_front_to_back_alpha_compositing(seed):
    sigma, t, far, rgb, delta = _ray_data(seed)
    bg = np.array([1.0, 0.5, 0.0])
    w = volume_weights(sigma, delta)
    alpha = 1 - np.exp(-sigma * delta)
    ref = alpha_composite(alpha, rgb, bg)                                 # the "over" loop
    assert np.allclose((w[..., None] * rgb).sum(1) + (1 - w.sum(1, keepdims=True)) * bg, ref, atol=1e-12)
    c, depth, w_t = volume_render(*(torch.tensor(x) for x in (sigma, rgb, t, far, bg)))
    assert np.allclose(c.numpy(), ref, atol=1e-12) and np.allclose(w_t.numpy(), w, atol=1e-12)


def test_weights_match_the_transmittance_integral_of_a_constant_density():
    # sigma constant on [0, L]: T(t) = exp(-sigma t), sum of weights = 1 - exp(-sigma L) for any sampling
    S = 50
    delta = np.full((1, S), 2.0 / S)
    w = volume_weights(np.full((1, S), 1.5), delta)
    assert np.isclose(w.sum(), 1 - np.exp(-3.0))
    # and w_i = exp(-sigma t_i) - exp(-sigma t_{i+1}) exactly
    edges = np.arange(S + 1) * 2.0 / S
    assert np.allclose(w[0], np.exp(-1.5 * edges[:-1]) - np.exp(-1.5 * edges[1:]))


def test_an_opaque_sample_hides_everything_behind_it():
    w = volume_weights(np.array([[0.0, np.inf, 3.0]]), np.ones((1, 3)))
    assert w.tolist() == [[0.0, 1.0, 0.0]]


def test_volume_render_gradcheck():
    sigma, t, far, rgb, _ = _ray_data(7, R=3, S=5)
    args = [torch.tensor(x, requires_grad=True) for x in (sigma + 0.1, rgb)]
    fixed = [torch.tensor(x) for x in (t, far)]
    bg = torch.ones(3, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda s, c: volume_render(s, c, *fixed, bg)[0], args)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="non-negative"):
        volume_weights(np.array([[-1.0]]), np.ones((1, 1)))
    with pytest.raises(ValueError, match="delta"):
        volume_weights(np.ones((2, 3)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="rgb"):
        volume_render(torch.ones(2, 3), torch.ones(2, 3), torch.ones(2, 3), torch.ones(2), torch.ones(3))
