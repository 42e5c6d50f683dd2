"""coursekit.layers.mixing: FNet mixing equals explicit DFT matrices; linear attention equals its attention matrix;
the causal prefix-sum version equals the token-by-token recurrence."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from coursekit.layers.mixing import (
    causal_linear_attention,
    causal_linear_attention_loop,
    elu_feature_map,
    fourier_mix,
    linear_attention,
)
from torch_battery import TorchOp, battery, randn, run_check

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _dft_matrix(n):
    j = np.arange(n)
    return np.exp(-2j * np.pi * np.outer(j, j) / n)


def _fnet_reference(x):
    X = x.detach().numpy()
    N, D = X.shape[-2:]
    return torch.from_numpy(np.real(_dft_matrix(N) @ X @ _dft_matrix(D)))  # Re(F_N X F_D), F symmetric


def _kernel_attention(q, k, v, causal=False):
    A = elu_feature_map(q) @ elu_feature_map(k).transpose(-2, -1)          # (..., N, M) unnormalised weights
    if causal:
        A = torch.tril(A)
    return (A @ v) / (A.sum(-1, keepdim=True) + 1e-6)


OPS = [
    TorchOp("fourier_mix", make=lambda g: (randn(g, 2, 5, 6),), op=fourier_mix, shape=(2, 5, 6),
            bad=[(lambda: fourier_mix(torch.zeros(4)), "float tensor")], grad=(0,),
            reference=_fnet_reference, atol=1e-11,
            why="explicit complex DFT matrices in NumPy vs an FFT: O(N) summands of rounding, ~1e-14"),
    TorchOp("linear_attention", make=lambda g: (randn(g, 2, 4, 3), randn(g, 2, 6, 3), randn(g, 2, 6, 2)),
            op=linear_attention, shape=(2, 4, 2),
            bad=[(lambda: linear_attention(torch.zeros(4, 3), torch.zeros(5, 2), torch.zeros(5, 2)), "expected q")],
            grad=(0, 1, 2), reference=_kernel_attention, atol=1e-12,
            why="the same kernel weights as an explicit (N, M) matrix, summed in another order"),
    TorchOp("causal_linear_attention", make=lambda g: (randn(g, 2, 5, 3), randn(g, 2, 5, 3), randn(g, 2, 5, 2)),
            op=causal_linear_attention, shape=(2, 5, 2),
            bad=[(lambda: causal_linear_attention(torch.zeros(4, 3), torch.zeros(5, 3), torch.zeros(5, 2)),
                  "N = M")],
            grad=(0, 1, 2), reference=lambda q, k, v: _kernel_attention(q, k, v, causal=True), atol=1e-12,
            why="the lower-triangular kernel matrix, float64 rounding"),
]


@pytest.mark.parametrize("op, check", battery(OPS))
def test_torch_battery(op, check):
    run_check(op, check)


@pytest.mark.parametrize("shape", [(1, 1, 2), (3, 17, 4), (2, 2, 40, 8)])
def test_causal_prefix_sums_equal_the_recurrence(shape):
    g = torch.Generator().manual_seed(len(shape))
    q, k, v = (torch.randn(*shape, generator=g, dtype=torch.float64) for _ in range(3))
    torch.testing.assert_close(causal_linear_attention(q, k, v), causal_linear_attention_loop(q, k, v),
                               rtol=0, atol=1e-12)


def test_causal_output_ignores_the_future():
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(1, 8, 4, generator=g, dtype=torch.float64) for _ in range(3))
    k2, v2 = k.clone(), v.clone()
    k2[:, 5:], v2[:, 5:] = 10.0, -10.0
    torch.testing.assert_close(causal_linear_attention(q, k, v)[:, :5], causal_linear_attention(q, k2, v2)[:, :5])


def test_fnet_mixes_every_token():
    x = torch.zeros(1, 6, 4, dtype=torch.float64)
    x[0, 2, 1] = 1.0                                                          # one non-zero input token
    assert (fourier_mix(x)[0].abs().sum(-1) > 0).all()                        # reaches every output token
