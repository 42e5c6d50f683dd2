"""Checks of Chapter 8's exercises: voxelisation, kNN, farthest-point sampling, ball query, EdgeConv and
MeshCNN's edge features.

Each check runs the student's function on seeded clouds sampled from the generated primitives (rotated,
noisy), on small hand-made inputs with exact ties or boundaries, and on generated meshes, and compares with
the coursekit reference; :func:`_review_with` names the usual slip without revealing expected values.
"""

from __future__ import annotations

import numpy as np
import torch

from coursekit.data.pointclouds import primitive_mesh, random_rotation, sample_primitive
from coursekit.grading import Case, Check, review_with
from coursekit.pointclouds.edgeconv import EdgeConv, edge_conv, edge_features
from coursekit.pointclouds.grouping import ball_group, farthest_point_sample, knn_graph
from coursekit.pointclouds.mesh import face_normals, mesh_edge_features, mesh_edges
from coursekit.pointclouds.sampling import ball_query, farthest_point_sampling, knn_indices, pairwise_sq_distances
from coursekit.pointclouds.voxels import voxel_indices, voxelize

__all__ = ["CHECKS", "edge_conv_reference", "mesh_edge_features_reference"]

_NEIGHBOURS = ("scipy.spatial.cKDTree", "scipy.spatial.KDTree", "sklearn.neighbors.NearestNeighbors",
               "sklearn.neighbors.KDTree", "sklearn.neighbors.BallTree")


def _cloud(rng, kind, n, noise=0.01):
    return sample_primitive(kind, n, rng, noise=noise, rotate=True)[0]


# ----------------------------------------------------------------------------- ch08.voxelize

def _voxel_cases(rng):
    yield Case("hand-made: corners of the cube [-1, 1]³ (the upper faces belong to the last cell), R = 4",
               (np.array([[-1.0, -1, -1], [1, 1, 1], [1, -1, 0.0], [-0.49, 0.5, 0.99]]), 4))
    for kind, R in [("torus", 8), ("cube", 5), ("sphere", 16)]:
        P = np.clip(_cloud(rng, kind, 300), -1, 1)
        yield Case(f"300 points of a rotated {kind}, R = {R}", (P, R))


def _voxel_round(P, R):
    ijk = np.clip(np.round((P + 1) / (2 / R)).astype(int), 0, R - 1)
    g = np.zeros((R,) * 3, bool)
    g[tuple(ijk.T)] = True
    return g


def _voxel_transposed(P, R):
    return voxelize(P, R).transpose(2, 1, 0)


def _voxel_no_scale(P, R):
    ijk = np.clip(np.floor(P + 1).astype(int), 0, R - 1)
    g = np.zeros((R,) * 3, bool)
    g[tuple(ijk.T)] = True
    return g


# ----------------------------------------------------------------------------- ch08.knn_indices

def _knn_cases(rng):
    yield Case("hand-made: 5 points on a line, k = 2", (np.array([[0.0, 0, 0], [1, 0, 0], [3, 0, 0], [7, 0, 0],
                                                                  [7.5, 0, 0]]), 2))
    for kind, n, k in [("torus", 120, 6), ("cone", 80, 10), ("cube", 60, 1)]:
        yield Case(f"{n} points of a rotated {kind}, k = {k}", (_cloud(rng, kind, n), k))


def _knn_with_self(P, k):
    return knn_indices(P, k, include_self=True)


def _knn_farthest(P, k):
    return np.argsort(-pairwise_sq_distances(P, P), axis=1, kind="stable")[:, :k]


# ----------------------------------------------------------------------------- ch08.farthest_point_sampling

def _fps_cases(rng):
    yield Case("hand-made: 0, 1, 2, 10 on a line, m = 3", (np.array([[0.0, 0, 0], [1, 0, 0], [2, 0, 0], [10, 0, 0]]), 3))
    for kind, n, m in [("torus", 200, 16), ("cylinder", 150, 32), ("sphere", 100, 100)]:
        yield Case(f"{n} points of a rotated {kind}, m = {m}", (_cloud(rng, kind, n), m))


def _fps_last_only(P, m):
    """Farthest from the *last* sample only, not from all samples."""
    idx = [0]
    for _ in range(m - 1):
        d = ((P - P[idx[-1]]) ** 2).sum(1)
        d[idx] = -1
        idx.append(int(np.argmax(d)))
    return np.array(idx)


def _fps_sum(P, m):
    """Farthest by the *sum* of distances to the samples, not the minimum."""
    idx, total = [0], np.zeros(len(P))
    for _ in range(m - 1):
        total = total + np.sqrt(((P - P[idx[-1]]) ** 2).sum(1))
        t = total.copy()
        t[idx] = -1
        idx.append(int(np.argmax(t)))
    return np.array(idx)


# ----------------------------------------------------------------------------- ch08.ball_query

def _ball_cases(rng):
    grid = np.stack(np.meshgrid(np.arange(4.0), np.arange(4.0), [0.0], indexing="ij"), -1).reshape(-1, 3)
    yield Case("hand-made: a 4×4 grid with unit spacing, radius exactly 1 (points at distance 1 are inside), K = 6",
               (grid, grid[[0, 5, 15]], 1.0, 6))
    for kind, n, r, k in [("plane", 200, 0.2, 8), ("torus", 300, 0.3, 16), ("cone", 150, 0.15, 4)]:
        P = _cloud(rng, kind, n)
        C = P[farthest_point_sampling(P, 10)]
        yield Case(f"{n} points of a rotated {kind}, 10 centres, radius {r}, K = {k}", (P, C, r, k))


def _ball_nearest(P, C, r, k):
    d2 = pairwise_sq_distances(C, P)
    out = np.argsort(d2, axis=1, kind="stable")[:, :k]
    inside = np.take_along_axis(d2, out, 1) <= r**2
    return np.where(inside, out, out[:, :1])


def _ball_pad_minus_one(P, C, r, k):
    out = ball_query(P, C, r, k)
    inside = pairwise_sq_distances(C, P) <= r**2
    counts = inside.sum(1)
    return np.where(np.arange(k) < counts[:, None], out, -1)


def _ball_strict(P, C, r, k):
    return ball_query(P, C, np.nextafter(r, 0), k)


# ----------------------------------------------------------------------------- ch08.edge_conv

def edge_conv_reference(X, idx, W, b):
    """``x'_i = max_j ReLU(W [x_i, x_j - x_i] + b)`` for one cloud, with coursekit's torch :func:`edge_conv`."""
    h = lambda e: torch.relu(e @ torch.from_numpy(W).T + torch.from_numpy(b))          # noqa: E731
    with torch.no_grad():
        out = edge_conv(torch.from_numpy(X)[None], torch.from_numpy(idx)[None], h)
    return out[0].numpy()


def _edge_cases(rng):
    X = np.array([[0.0], [1.0], [3.0], [-2.0]])
    yield Case("hand-made: 4 points on a line, k = 2 (each point is its own first neighbour), W = [[0, 1], [1, -1]]",
               (X, knn_indices(X, 2, include_self=True), np.array([[0.0, 1.0], [1.0, -1.0]]), np.zeros(2)))
    for kind, n, c_in, c_out, k in [("torus", 40, 3, 8, 5), ("cube", 30, 3, 4, 8), ("sphere", 25, 6, 5, 4)]:
        P = _cloud(rng, kind, n)
        X = np.concatenate([P, rng.normal(size=(n, c_in - 3))], axis=1) if c_in > 3 else P
        idx = knn_indices(X, k, include_self=True)
        W, b = rng.normal(size=(c_out, 2 * c_in)), rng.normal(size=c_out) * 0.1
        yield Case(f"{n} points with {c_in} features (rotated {kind}), k = {k}, C' = {c_out}", (X, idx, W, b))


def _edge_no_offset(X, idx, W, b):
    E = np.concatenate([np.repeat(X[:, None], idx.shape[1], 1), X[idx]], -1)
    return np.maximum(E @ W.T + b, 0).max(1)


def _edge_mean(X, idx, W, b):
    E = np.concatenate([np.repeat(X[:, None], idx.shape[1], 1), X[idx] - X[:, None]], -1)
    return np.maximum(E @ W.T + b, 0).mean(1)


def _edge_swapped(X, idx, W, b):
    E = np.concatenate([X[idx] - X[:, None], np.repeat(X[:, None], idx.shape[1], 1)], -1)
    return np.maximum(E @ W.T + b, 0).max(1)


# ----------------------------------------------------------------------------- ch08.mesh_edge_features

def mesh_edge_features_reference(vertices, faces):
    """The (E, 5) features of :func:`mesh_edge_features`, rows in the order of the sorted edges."""
    return mesh_edge_features(vertices, faces)[0]


def _mesh_cases(rng):
    V = np.array([[1.0, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]])
    yield Case("a regular tetrahedron", (V, np.array([[0, 1, 2], [0, 3, 1], [0, 2, 3], [1, 3, 2]])))
    yield Case("a cube (two triangles per face)", primitive_mesh("cube"))
    V, F = primitive_mesh("torus", 5)
    yield Case("a torus mesh (5 × 10 quads), rotated and scaled by 2",
               (2.0 * V @ random_rotation(rng).T, F))
    V, F = primitive_mesh("sphere", 4)
    yield Case("a sphere mesh (4 rings, fans at the poles), vertices jittered",
               (V + rng.normal(0, 0.02, V.shape), F))


def _mesh_normal_angle(V, F):
    f = mesh_edge_features(V, F)[0].copy()
    f[:, 0] = np.pi - f[:, 0]
    return f


def _mesh_unsorted(V, F):
    feats, edges = mesh_edge_features(V, F)
    _, ef, opp = mesh_edges(F)
    a, b, c = V[edges[:, 0]], V[edges[:, 1]], V[opp]
    u, v = a[:, None] - c, b[:, None] - c
    inner = np.arctan2(np.linalg.norm(np.cross(u, v), axis=-1), (u * v).sum(-1))
    ab = b - a
    L = np.linalg.norm(ab, axis=1)
    h = np.linalg.norm(np.cross(c - a[:, None], ab[:, None]), axis=-1) / L[:, None]
    return np.column_stack([feats[:, 0], inner, L[:, None] / h])


def _mesh_inverted_ratio(V, F):
    f = mesh_edge_features(V, F)[0].copy()
    f[:, 3:] = np.sort(1 / f[:, 3:], axis=1)
    return f


CHECKS = [
    Check("ch08.voxelize", cases=_voxel_cases, reference=voxelize, atol=0,
          review=review_with([(_voxel_round, "use floor((p - lo) / s), not rounding: a cell is [lo + i·s, lo + (i+1)·s)."),
                               (_voxel_transposed, "index the grid [x, y, z]: the first axis is the x cell."),
                               (_voxel_no_scale, "divide by the cell size s = (hi - lo) / R before taking the floor.")]),
          implements=(voxelize, voxel_indices)),
    Check("ch08.knn_indices", cases=_knn_cases, reference=knn_indices, atol=0,
          review=review_with([(_knn_with_self, "leave the point itself out: its distance 0 makes it its own nearest."),
                               (_knn_farthest, "sort the distances in increasing order: nearest first.")]),
          implements=(knn_indices, knn_graph), forbidden=_NEIGHBOURS),
    Check("ch08.farthest_point_sampling", cases=_fps_cases, reference=farthest_point_sampling, atol=0,
          review=review_with([(_fps_last_only, "keep each point's distance to its *nearest* sample so far (a running "
                                                "minimum), not its distance to the last sample."),
                               (_fps_sum, "the next sample maximises the minimum distance to the samples, not the sum.")]),
          implements=(farthest_point_sampling, farthest_point_sample), forbidden=_NEIGHBOURS),
    Check("ch08.ball_query", cases=_ball_cases, reference=ball_query, atol=0,
          review=review_with([(_ball_nearest, "take the first K points inside the ball in index order, not the K nearest."),
                               (_ball_pad_minus_one, "pad a short group by repeating its first index, not with -1."),
                               (_ball_strict, "a point at distance exactly r is inside: use <=.")]),
          implements=(ball_query, ball_group), forbidden=_NEIGHBOURS),
    Check("ch08.edge_conv", cases=_edge_cases, reference=edge_conv_reference, atol=1e-9,
          review=review_with([(_edge_no_offset, "the second half of the edge feature is the offset x_j - x_i, not x_j."),
                               (_edge_mean, "aggregate over the neighbours with a max, not a mean."),
                               (_edge_swapped, "the edge feature is [x_i, x_j - x_i], in that order.")]),
          implements=(edge_conv, edge_features, EdgeConv, knn_graph)),
    Check("ch08.mesh_edge_features", cases=_mesh_cases, reference=mesh_edge_features_reference, atol=1e-9,
          review=review_with([(_mesh_normal_angle, "the dihedral angle is π minus the angle between the face normals "
                                                    "(π on a flat patch)."),
                               (_mesh_unsorted, "sort each pair (inner angles, ratios) so the order of the faces does "
                                                "not matter."),
                               (_mesh_inverted_ratio, "the ratio is the edge's length over the triangle's height, not "
                                                      "the height over the length.")]),
          implements=(mesh_edge_features, mesh_edges, face_normals), forbidden=("trimesh.Trimesh",)),
]
