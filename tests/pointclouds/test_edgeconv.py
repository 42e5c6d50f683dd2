"""Tests for coursekit.pointclouds.edgeconv (Chapter 8): EdgeConv equals a plain loop over points and
neighbours, is permutation-equivariant, and the module twin equals the function."""

import numpy as np
import pytest
import torch
from torch import nn
from torch_battery import TorchOp, battery, randn, run_check

from coursekit.layers.init import init_parameters_
from coursekit.pointclouds.edgeconv import EdgeConv, edge_conv, edge_features
from coursekit.pointclouds.grouping import knn_graph
from coursekit.pointclouds.sampling import knn_indices

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _edge_conv_loop(X, idx, W, b, slope=0.2):
    """x'_i = max_j LeakyReLU(W [x_i, x_j - x_i] + b), one point and one neighbour at a time."""
    B, N, _ = X.shape
    out = np.full((B, N, W.shape[0]), -np.inf)
    for bb in range(B):
        for i in range(N):
            for j in idx[bb, i]:
                z = W @ np.concatenate([X[bb, i], X[bb, j] - X[bb, i]]) + b
                out[bb, i] = np.maximum(out[bb, i], np.where(z > 0, z, slope * z))
    return out


def _layer(c_in=3, c_out=8, k=5, seed=0):
    return init_parameters_(EdgeConv(c_in, c_out, k=k, norm=False).double(), torch.Generator().manual_seed(seed))


def test_edge_conv_equals_a_plain_loop_on_the_knn_graph():
    g = torch.Generator().manual_seed(0)
    x = randn(g, 2, 30, 3)
    layer = _layer()
    idx = np.stack([knn_indices(x[b].numpy(), 5, include_self=True) for b in range(2)])
    want = _edge_conv_loop(x.numpy(), idx, layer.linear.weight.detach().numpy(), layer.linear.bias.detach().numpy())
    # float64 both; the same products summed in another order: ~1e-15
    np.testing.assert_allclose(layer(x).detach().numpy(), want, atol=1e-12, rtol=0)


def test_edge_features_are_centre_then_offset():
    x = randn(torch.Generator().manual_seed(1), 1, 6, 2)
    idx = knn_graph(x, 3)
    e = edge_features(x, idx)
    for i in range(6):
        for t, j in enumerate(idx[0, i].tolist()):
            torch.testing.assert_close(e[0, i, t], torch.cat([x[0, i], x[0, j] - x[0, i]]), atol=0, rtol=0)


def test_edge_conv_is_permutation_equivariant():
    x = randn(torch.Generator().manual_seed(2), 1, 40, 3)
    perm = torch.randperm(40, generator=torch.Generator().manual_seed(3))
    layer = _layer()
    # permuting the points permutes the output rows: the same neighbour sets, the same max
    torch.testing.assert_close(layer(x[:, perm]), layer(x)[:, perm], atol=1e-12, rtol=0)


def test_edge_conv_is_translation_invariant_only_in_its_offset_half():
    layer = _layer()
    with torch.no_grad():
        layer.linear.weight[:, :3] = 0                   # drop the centre term x_i: only x_j - x_i remains
    x = randn(torch.Generator().manual_seed(4), 1, 30, 3)
    shift = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    torch.testing.assert_close(layer(x + shift), layer(x), atol=1e-12, rtol=0)


_EC = _layer(c_in=2, c_out=4, k=3, seed=7)
_EC_NAMES = ("linear.weight", "linear.bias")
_IDX = knn_graph(randn(torch.Generator().manual_seed(8), 2, 9, 2), 3)


def _module_with_graph(x, w, b):
    return torch.func.functional_call(_EC, dict(zip(_EC_NAMES, (w, b))), (x, _IDX))


def _ec_function(x, w, b):
    return edge_conv(x, _IDX, lambda e: nn.functional.leaky_relu(e @ w.T + b, 0.2))


OPS = [
    TorchOp("edge_conv", lambda g: (randn(g, 2, 9, 2),) + tuple(p.detach().clone() for p in _EC.parameters()),
            _ec_function, (2, 9, 4), grad=(0, 1, 2),
            bad=[(lambda: edge_conv(torch.zeros(2, 9), _IDX, torch.relu), "x"),
                 (lambda: edge_conv(torch.zeros(2, 8, 2), _IDX, torch.relu), "idx"),
                 (lambda: EdgeConv(2, 4)(torch.zeros(2, 9, 3)), "axis 2 must be 2"),
                 (lambda: EdgeConv(2, 4, k=0), "k")],
            module=lambda inputs: (_module_with_graph, inputs),
            reference=lambda x, w, b: _edge_conv_loop(x.numpy(), _IDX.numpy(), w.detach().numpy(), b.detach().numpy()),
            atol=1e-12, why="float64 plain loop; summation order only"),
]


@pytest.mark.parametrize("op, check", battery(OPS))
def test_torch_battery(op, check):
    run_check(op, check)


def test_edgeconv_with_batchnorm_counts_its_parameters():
    layer = EdgeConv(3, 16, k=4)
    assert sum(p.numel() for p in layer.parameters()) == 6 * 16 + 2 * 16      # no bias before BN


@pytest.mark.parametrize("norm", [False, True])
def test_the_layers_split_matmul_equals_edge_conv_with_its_edge_mlp(norm):
    # the module's fast route (matmul per point, then gather) against the readable edge_conv(x, idx, layer.h)
    layer = init_parameters_(EdgeConv(4, 6, k=5, norm=norm).double(), torch.Generator().manual_seed(9)).train()
    x = randn(torch.Generator().manual_seed(10), 3, 20, 4)
    idx = knn_graph(x, 5)
    # float64; the same products grouped differently, and BN statistics over the same edge values: ~1e-15
    torch.testing.assert_close(layer(x, idx), edge_conv(x, idx, layer.h), atol=1e-12, rtol=0)
