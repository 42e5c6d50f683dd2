"""coursekit.layers.attention_scores: the dot, bilinear and additive scores against explicit loops, and the NumPy
attention reference against torch's F.scaled_dot_product_attention."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coursekit.layers.attention_scores import additive_scores, attention_numpy, bilinear_scores, dot_product_scores
from torch_battery import TorchOp, battery, randn, run_check

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _loop_scores(q, k, f):
    """s_ij = f(q_i, k_j), one pair at a time."""
    return torch.tensor([[float(f(qi, kj)) for kj in k] for qi in q], dtype=torch.float64)


OPS = [
    TorchOp("dot_product_scores", make=lambda g: (randn(g, 4, 5), randn(g, 6, 5)),
            op=dot_product_scores, shape=(4, 6), grad=(0, 1),
            bad=[(lambda: dot_product_scores(torch.zeros(3, 4), torch.zeros(3, 5)), "same d_k")],
            reference=lambda q, k: _loop_scores(q, k, lambda a, b: (a @ b) / 5 ** 0.5),
            atol=1e-12, why="a five-term float64 dot product, summed in another order"),
    TorchOp("bilinear_scores", make=lambda g: (randn(g, 4, 3), randn(g, 6, 5), randn(g, 3, 5)),
            op=bilinear_scores, shape=(4, 6), grad=(0, 1, 2),
            bad=[(lambda: bilinear_scores(torch.zeros(3, 4), torch.zeros(3, 5), torch.zeros(5, 4)), "d_q, d_k")],
            reference=lambda q, k, W: _loop_scores(q, k, lambda a, b: a @ W @ b),
            atol=1e-12, why="fifteen float64 products, summed in another order"),
    TorchOp("additive_scores",
            make=lambda g: (randn(g, 4, 3), randn(g, 6, 5), randn(g, 7, 3), randn(g, 7, 5), randn(g, 7)),
            op=additive_scores, shape=(4, 6), grad=(0, 1, 2, 3, 4),
            bad=[(lambda: additive_scores(torch.zeros(2, 3), torch.zeros(2, 5), torch.zeros(7, 3), torch.zeros(6, 5),
                                          torch.zeros(7)), "W_k")],
            reference=lambda q, k, Wq, Wk, v: _loop_scores(q, k, lambda a, b: v @ torch.tanh(Wq @ a + Wk @ b)),
            atol=1e-12, why="the same float64 tanh of the same sums"),
]


@pytest.mark.parametrize("op, check", battery(OPS))
def test_torch_battery(op, check):
    run_check(op, check)


def test_bilinear_with_the_identity_is_the_unscaled_dot_product():
    g = torch.Generator().manual_seed(1)
    q, k = randn(g, 2, 4, 8), randn(g, 2, 3, 8)
    torch.testing.assert_close(bilinear_scores(q, k, torch.eye(8, dtype=torch.float64)),
                               dot_product_scores(q, k, scaled=False), atol=1e-12, rtol=0)


@pytest.mark.parametrize("masked", [False, True])
def test_numpy_attention_matches_torch_scaled_dot_product_attention(masked, rng):
    Q, K, V = rng.normal(size=(5, 8)), rng.normal(size=(7, 8)), rng.normal(size=(7, 3))
    mask = rng.random((5, 7)) < 0.6 if masked else None
    if masked:
        mask[:, 0] = True                                         # every query sees at least one key
    ref = F.scaled_dot_product_attention(*(torch.from_numpy(a) for a in (Q, K, V)),
                                         attn_mask=None if mask is None else torch.from_numpy(mask)).numpy()
    # float64 NumPy vs float64 torch: the same softmax, ~1e-16 apart.
    np.testing.assert_allclose(attention_numpy(Q, K, V, mask), ref, atol=1e-12, rtol=0)


def test_numpy_attention_rejects_bad_shapes_and_empty_rows():
    with pytest.raises(ValueError, match="K must have shape"):
        attention_numpy(np.zeros((2, 3)), np.zeros((4, 5)), np.zeros((4, 1)))
    with pytest.raises(ValueError, match="V must have shape"):
        attention_numpy(np.zeros((2, 3)), np.zeros((4, 3)), np.zeros((5, 1)))
    with pytest.raises(ValueError, match="at least one True"):
        attention_numpy(np.zeros((2, 3)), np.zeros((4, 3)), np.zeros((4, 1)), np.zeros((2, 4), bool))
