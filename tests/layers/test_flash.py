"""coursekit.layers.flash: tiled online-softmax attention equals naive attention (NumPy) and
F.scaled_dot_product_attention (torch) to 1e-6 and better, and its peak memory grows like N, not N²."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coursekit.layers.attention_scores import attention_numpy
from coursekit.layers.flash import peak_traced_bytes, tiled_attention, tiled_attention_numpy
from torch_battery import TorchOp, battery, randn, run_check

pytestmark = pytest.mark.usefixtures("one_torch_thread")

OPS = [
    TorchOp("tiled_attention", make=lambda g: (randn(g, 2, 5, 4), randn(g, 2, 7, 4), randn(g, 2, 7, 3)),
            op=lambda q, k, v: tiled_attention(q, k, v, block_k=3), shape=(2, 5, 3),
            bad=[(lambda: tiled_attention(torch.zeros(3, 4), torch.zeros(3, 5), torch.zeros(3, 2)), "expected q"),
                 (lambda: tiled_attention(torch.zeros(5, 4), torch.zeros(3, 4), torch.zeros(3, 2), causal=True),
                  "causal")],
            grad=(0, 1, 2), reference=lambda q, k, v: F.scaled_dot_product_attention(q, k, v), atol=1e-12,
            why="float64; the online rescaling exp(m_old - m_new) reorders the sums: ~1e-16"),
]


@pytest.mark.parametrize("op, check", battery(OPS))
def test_torch_battery(op, check):
    run_check(op, check)


@pytest.mark.parametrize("N, M, bq, bk", [(1, 1, 1, 1), (10, 37, 4, 5), (64, 64, 64, 64), (100, 100, 7, 128)])
def test_tiled_numpy_equals_naive(N, M, bq, bk):
    rng = np.random.default_rng(N + M)
    Q, K, V = rng.normal(size=(N, 8)) * 3, rng.normal(size=(M, 8)) * 3, rng.normal(size=(M, 5))
    # 1e-6 is the target; in float64 the two agree to ~1e-15 (the same terms, another order).
    np.testing.assert_allclose(tiled_attention_numpy(Q, K, V, bq, bk), attention_numpy(Q, K, V), atol=1e-12)


def test_tiled_causal_equals_masked_naive_and_sdpa():
    rng = np.random.default_rng(1)
    Q, K, V = (rng.normal(size=(50, 8)) for _ in range(3))
    mask = np.tril(np.ones((50, 50), bool))
    np.testing.assert_allclose(tiled_attention_numpy(Q, K, V, 8, 6, causal=True), attention_numpy(Q, K, V, mask),
                               atol=1e-12)
    q, k, v = (torch.from_numpy(a) for a in (Q, K, V))
    torch.testing.assert_close(tiled_attention(q, k, v, 6, causal=True),
                               F.scaled_dot_product_attention(q, k, v, is_causal=True), rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="causal"):
        tiled_attention_numpy(Q[:10], K, V, causal=True)


def test_tiled_survives_scores_that_overflow_a_plain_exp():
    Q = np.full((3, 2), 30.0)
    K = np.array([[30.0, 30.0], [29.0, 29.0], [-30.0, -30.0]])              # scores ~ 1270: exp overflows
    V = np.eye(3)
    out = tiled_attention_numpy(Q, K, V, 1, 1)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, attention_numpy(Q, K, V), atol=1e-12)


def test_peak_memory_grows_linearly_for_tiled_and_quadratically_for_naive():
    rng = np.random.default_rng(0)
    peaks = {}
    for N in (256, 1024):
        Q, K, V = (rng.normal(size=(N, 16)) for _ in range(3))
        peaks[N] = (peak_traced_bytes(attention_numpy, Q, K, V)[1],
                    peak_traced_bytes(tiled_attention_numpy, Q, K, V, 64, 64)[1])
    naive_growth = peaks[1024][0] / peaks[256][0]
    tiled_growth = peaks[1024][1] / peaks[256][1]
    assert naive_growth > 12            # ×4 tokens → ×16 scores (minus the O(N) part)
    assert tiled_growth < 4.5           # ×4 tokens → at most ×4 (the tile itself does not grow)
    assert peaks[1024][0] >= 8 * 1024 * 1024        # the naive path holds at least one N×N float64 matrix
    assert peaks[1024][1] < 8 * 1024 * 1024 / 4


def test_peak_traced_bytes_returns_the_result():
    out, peak = peak_traced_bytes(np.zeros, (10, 10))
    assert out.shape == (10, 10) and peak >= 800
