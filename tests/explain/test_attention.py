"""coursekit.explain.attention: rollout against a loop written from Abnar & Zuidema's definition, its
fixed points; mean attention distance against hand-computed values and a brute-force loop."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from coursekit.explain.attention import attention_rollout, mean_attention_distance


def _random_attention(rng, *shape):
    a = rng.random(shape)
    return a / a.sum(-1, keepdims=True)


def test_rollout_matches_the_definition_written_as_a_loop():
    rng = np.random.default_rng(0)
    layers = [_random_attention(rng, 3, 5, 5) for _ in range(4)]
    R = np.eye(5)
    for a in layers:                                    # Â_l = ½(mean_h A_l + I), R ← Â_l R
        A = 0.5 * (a.mean(0) + np.eye(5))
        R = A @ R
    # the same float64 products in the same order; 1e-12 leaves room for the renormalisation's rounding
    np.testing.assert_allclose(attention_rollout(layers), R, atol=1e-12, rtol=0)
    np.testing.assert_allclose(attention_rollout(layers).sum(-1), 1.0, atol=1e-12)   # rows stay distributions


def test_rollout_fixed_points_and_batches():
    eye = np.broadcast_to(np.eye(4), (2, 4, 4))
    np.testing.assert_allclose(attention_rollout([eye, eye, eye]), np.eye(4), atol=0)   # identity attention
    rng = np.random.default_rng(1)
    batch = [_random_attention(rng, 3, 2, 6, 6) for _ in range(2)]
    out = attention_rollout([torch.from_numpy(b) for b in batch])
    assert out.shape == (3, 6, 6)
    np.testing.assert_allclose(out[1], attention_rollout([b[1] for b in batch]), atol=1e-14)
    # with no residual the product is plain: A_2 A_1
    np.testing.assert_allclose(attention_rollout([b[0] for b in batch], residual=0.0),
                               batch[1][0].mean(0) @ batch[0][0].mean(0), atol=1e-14)


def test_rollout_rejects_bad_input():
    with pytest.raises(ValueError, match="empty"):
        attention_rollout([])
    with pytest.raises(ValueError, match="sum to 1"):
        attention_rollout([np.ones((1, 3, 3))])
    with pytest.raises(ValueError, match="same shape"):
        attention_rollout([np.full((1, 2, 2), 0.5), np.full((1, 3, 3), 1 / 3)])


def test_mean_distance_hand_values():
    T = 1 + 9                                                     # [CLS] + 3×3 grid
    eye = np.eye(T)[None]
    assert mean_attention_distance(eye, (3, 3), 4)[0] == 0.0      # each patch attends to itself
    uniform = np.full((1, T, T), 1 / T)
    # centre patch: 4 neighbours at P, 4 diagonals at P√2; corner patch: 2·P, 1·P√2, 2·2P, 2·P√5, 1·2P√2 ... averaged
    d = np.array([[math.hypot(x1 - x2, y1 - y2) for x2 in range(3) for y2 in range(3)] for x1 in range(3) for y1 in range(3)])
    assert math.isclose(mean_attention_distance(uniform, (3, 3), 4)[0], 4 * d.mean(), rel_tol=1e-12)


def test_mean_distance_matches_a_brute_force_loop():
    rng = np.random.default_rng(2)
    gh, gw, P, k = 2, 3, 5, 2
    a = _random_attention(rng, 2, 3, k + gh * gw, k + gh * gw)   # (B, h, T, T)
    got = mean_attention_distance(a, (gh, gw), P, n_prefix=k)
    expected = np.zeros(3)
    for h in range(3):
        vals = []
        for b in range(2):
            for i in range(gh * gw):
                w = a[b, h, k + i, k:]
                w = w / w.sum()
                vals.append(sum(w[j] * P * math.hypot(i % gw - j % gw, i // gw - j // gw) for j in range(gh * gw)))
        expected[h] = np.mean(vals)
    np.testing.assert_allclose(got, expected, rtol=1e-12)          # same sums, different order: ~1e-15
    with pytest.raises(ValueError, match="prefix"):
        mean_attention_distance(a, (3, 3), P, n_prefix=k)
