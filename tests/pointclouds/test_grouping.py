"""Tests for coursekit.pointclouds.grouping (Chapter 8): the batched torch kNN, FPS and ball query equal the
NumPy rungs (themselves tested against brute force and cKDTree), and set abstraction equals a plain loop."""

import numpy as np
import pytest
import torch
from scipy.spatial import cKDTree
from torch_battery import TorchOp, battery, randn, run_check

from coursekit.data.pointclouds import point_cloud_dataset
from coursekit.pointclouds.grouping import (
    ball_group,
    farthest_point_sample,
    gather_points,
    knn_graph,
    set_abstraction,
)
from coursekit.pointclouds.sampling import ball_query, farthest_point_sampling, knn_indices

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _clouds(n_per_class=1, n=96, seed=0):
    X = point_cloud_dataset(n_per_class, np.random.default_rng(seed), n_points=n)[0]   # (6·n_per_class, N, 3)
    return X, torch.from_numpy(X)


def test_knn_graph_equals_numpy_and_ckdtree_in_every_cloud():
    X, Xt = _clouds()
    idx = knn_graph(Xt, 8, include_self=False)              # float64: the matmul form loses ~1e-16 only
    for b in range(len(X)):
        np.testing.assert_array_equal(idx[b].numpy(), knn_indices(X[b], 8))
        np.testing.assert_array_equal(knn_graph(Xt, 9)[b].numpy(), cKDTree(X[b]).query(X[b], k=9)[1])


def test_knn_graph_in_feature_space_uses_the_features_not_the_coordinates():
    f = torch.tensor([[[0.0, 0.0], [10.0, 0.0], [0.1, 0.0], [10.2, 0.0]]])
    assert knn_graph(f, 1, include_self=False)[0, :, 0].tolist() == [2, 3, 0, 1]


def test_farthest_point_sample_equals_the_numpy_rung():
    X, Xt = _clouds(seed=1)
    idx = farthest_point_sample(Xt, 20)
    for b in range(len(X)):
        np.testing.assert_array_equal(idx[b].numpy(), farthest_point_sampling(X[b], 20))


@pytest.mark.parametrize("radius, k", [(0.15, 8), (0.4, 16)])
def test_ball_group_equals_the_numpy_rung(radius, k):
    X, Xt = _clouds(seed=2)
    centres = gather_points(Xt, farthest_point_sample(Xt, 16))
    idx = ball_group(Xt, centres, radius, k)
    for b in range(len(X)):
        np.testing.assert_array_equal(idx[b].numpy(), ball_query(X[b], centres[b].numpy(), radius, k))


def _set_abstraction_loop(X, F, m, radius, k, W):
    """Set abstraction written as loops over clouds, centres and members, with a linear + ReLU PointNet."""
    B = X.shape[0]
    out_xyz, out_f = np.zeros((B, m, 3)), np.zeros((B, m, W.shape[0]))
    for b in range(B):
        c_idx = farthest_point_sampling(X[b], m)
        for j, c in enumerate(c_idx):
            members = sorted(i for i in range(X.shape[1]) if np.sum((X[b, i] - X[b, c]) ** 2) <= radius**2)[:k]
            members += [members[0]] * (k - len(members))
            best = np.full(W.shape[0], -np.inf)
            for i in members:
                z = np.concatenate([X[b, i] - X[b, c], F[b, i]])
                best = np.maximum(best, np.maximum(W @ z, 0))
            out_xyz[b, j], out_f[b, j] = X[b, c], best
    return out_xyz, out_f


def test_set_abstraction_equals_a_plain_loop():
    X, Xt = _clouds(n=64, seed=3)
    g = torch.Generator().manual_seed(0)
    F = randn(g, len(X), 64, 4)
    W = randn(g, 5, 7)
    new_xyz, new_f = set_abstraction(Xt, F, 12, 0.3, 6, lambda z: torch.relu(z @ W.T))
    want_xyz, want_f = _set_abstraction_loop(X, F.numpy(), 12, 0.3, 6, W.numpy())
    np.testing.assert_array_equal(new_xyz.numpy(), want_xyz)
    # float64, the same products summed in another order: ~1e-15
    np.testing.assert_allclose(new_f.numpy(), want_f, atol=1e-12, rtol=0)


def test_set_abstraction_features_are_translation_invariant():
    _, Xt = _clouds(n=64, seed=4)
    W = randn(torch.Generator().manual_seed(1), 8, 3)
    mlp = lambda z: torch.relu(z @ W.T)                      # noqa: E731
    a = set_abstraction(Xt, None, 10, 0.3, 8, mlp)
    b = set_abstraction(Xt + torch.tensor([0.3, -2.0, 5.0], dtype=torch.float64), None, 10, 0.3, 8, mlp)
    torch.testing.assert_close(a[1], b[1], atol=1e-12, rtol=0)   # local coordinates p - c: rounding only


def _sa_op(xyz, features):
    return set_abstraction(xyz, features, 8, 0.4, 6, lambda z: torch.tanh(z))[1]


def _sa_reference(xyz, features):
    X, F = xyz.detach().numpy(), features.detach().numpy()
    return _set_abstraction_loop_tanh(X, F)


def _set_abstraction_loop_tanh(X, F):
    out = np.zeros((X.shape[0], 8, 3 + F.shape[2]))
    for b in range(X.shape[0]):
        c_idx = farthest_point_sampling(X[b], 8)
        groups = ball_query(X[b], X[b][c_idx], 0.4, 6)
        for j, (c, members) in enumerate(zip(c_idx, groups)):
            z = np.concatenate([X[b, members] - X[b, c], F[b, members]], axis=1)    # (K, 3 + C)
            out[b, j] = np.tanh(z).max(0)
    return out


_G = torch.Generator().manual_seed(5)
OPS = [
    TorchOp("set_abstraction", lambda g: (randn(g, 2, 40, 3, scale=0.5), randn(g, 2, 40, 2)), _sa_op, (2, 8, 5),
            grad=(0, 1),
            bad=[(lambda: set_abstraction(torch.zeros(2, 10, 2), None, 4, 0.1, 2, torch.relu), "xyz"),
                 (lambda: set_abstraction(torch.zeros(2, 10, 3), torch.zeros(2, 9, 4), 4, 0.1, 2, torch.relu),
                  "features"),
                 (lambda: set_abstraction(torch.zeros(2, 10, 3), None, 11, 0.1, 2, torch.relu), "m"),
                 (lambda: set_abstraction(torch.zeros(2, 10, 3), None, 4, 0.0, 2, torch.relu), "radius")],
            reference=_sa_reference, atol=1e-12, why="float64; the same tanh and max, NumPy rung for the indices"),
    TorchOp("gather_points", lambda g: (randn(g, 2, 7, 3), torch.randint(0, 7, (2, 4, 5), generator=g)),
            gather_points, (2, 4, 5, 3), grad=(0,),
            bad=[(lambda: gather_points(torch.zeros(2, 7, 3), torch.zeros(2, 3)), "int64"),
                 (lambda: gather_points(torch.zeros(2, 7, 3), torch.full((2, 3), 7)), r"\[0, 7\)")],
            reference=lambda x, i: np.stack([x[b].numpy()[i[b].numpy()] for b in range(2)]), atol=0,
            why="indexing copies values exactly"),
]


@pytest.mark.parametrize("op, check", battery(OPS))
def test_torch_battery(op, check):
    run_check(op, check)


@pytest.mark.parametrize("call, words", [
    (lambda: knn_graph(torch.zeros(2, 5), 2), "x"),
    (lambda: knn_graph(torch.zeros(1, 5, 3), 5, include_self=False), "k"),
    (lambda: farthest_point_sample(torch.zeros(1, 5, 2), 2), "xyz"),
    (lambda: ball_group(torch.zeros(1, 5, 3), torch.zeros(2, 2, 3), 0.1, 2), "centers"),
    (lambda: ball_group(torch.zeros(1, 5, 3), torch.ones(1, 2, 3), 0.1, 2), "at least one point"),
])
def test_bad_input_raises(call, words):
    with pytest.raises(ValueError, match=words):
        call()
