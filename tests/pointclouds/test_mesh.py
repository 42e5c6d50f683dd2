"""Tests for coursekit.pointclouds.mesh (Chapter 8): edges, normals and MeshCNN edge features against trimesh."""

import numpy as np
import pytest
import trimesh

from coursekit.data.pointclouds import primitive_mesh, random_rotation
from coursekit.pointclouds.mesh import face_normals, mesh_edge_features, mesh_edges

MESHES = [("sphere", 6), ("torus", 5), ("cube", 3)]


def _trimesh(V, F):
    return trimesh.Trimesh(V, F, process=False)


@pytest.mark.parametrize("kind, res", MESHES)
def test_edges_and_adjacent_faces_match_trimesh(kind, res):
    V, F = primitive_mesh(kind, res)
    edges, edge_faces, opposite = mesh_edges(F)
    m = _trimesh(V, F)
    np.testing.assert_array_equal(edges, np.unique(m.edges_sorted, axis=0))
    adj = {tuple(e): tuple(sorted(f)) for e, f in zip(np.sort(m.face_adjacency_edges, 1), m.face_adjacency)}
    for e, f, o in zip(edges, edge_faces, opposite):
        assert adj[tuple(e)] == tuple(f)
        for face, v in zip(f, o):                           # the opposite vertex is the face's third one
            assert set(F[face]) == set(e) | {v} and v not in e


@pytest.mark.parametrize("kind, res", MESHES)
def test_normals_match_trimesh(kind, res):
    V, F = primitive_mesh(kind, res)
    np.testing.assert_allclose(face_normals(V, F), _trimesh(V, F).face_normals, atol=1e-12)


@pytest.mark.parametrize("kind, res", MESHES)
def test_edge_features_match_trimesh_angles(kind, res):
    V, F = primitive_mesh(kind, res)
    feats, edges = mesh_edge_features(V, F)
    m = _trimesh(V, F)
    # dihedral angle = pi - angle between the face normals (trimesh.face_adjacency_angles)
    ang = {tuple(e): a for e, a in zip(np.sort(m.face_adjacency_edges, 1), m.face_adjacency_angles)}
    want = np.pi - np.array([ang[tuple(e)] for e in edges])
    np.testing.assert_allclose(feats[:, 0], want, atol=1e-7)   # trimesh uses arccos: ~1e-8 near 0
    # inner angles: trimesh.face_angles holds each face's angle at each of its corners
    _, edge_faces, opposite = mesh_edges(F)
    fa = m.face_angles
    inner = np.sort([[fa[f, list(F[f]).index(v)] for f, v in zip(fs, os)] for fs, os in zip(edge_faces, opposite)], 1)
    np.testing.assert_allclose(feats[:, 1:3], inner, atol=1e-9)


def test_edge_length_ratio_is_length_over_height():
    # a tetrahedron whose edge (0, 1) has length 2 and heights hypot(1, 0.3), hypot(0.5, 0.3) in its two faces
    V = np.array([[-1.0, 0, 0], [1, 0, 0], [0, 1, 0.3], [0, -0.5, 0.3]])
    F = np.array([[0, 1, 2], [1, 0, 3], [0, 2, 3], [1, 3, 2]])
    feats, edges = mesh_edge_features(V, F)
    row = feats[np.flatnonzero((edges == [0, 1]).all(1))[0]]
    h = np.array([np.hypot(1, 0.3), np.hypot(0.5, 0.3)])
    np.testing.assert_allclose(row[3:], np.sort(2 / h), rtol=1e-12)


def test_features_are_invariant_to_rotation_translation_and_scale():
    V, F = primitive_mesh("torus", 5)
    R = random_rotation(np.random.default_rng(0))
    a = mesh_edge_features(V, F)[0]
    b = mesh_edge_features(3.0 * V @ R.T + [1.0, 2.0, -3.0], F)[0]
    np.testing.assert_allclose(a, b, atol=1e-10)            # rounding of the transform only


def test_flat_edges_have_dihedral_pi_and_a_cube_has_right_angles():
    feats, edges = mesh_edge_features(*primitive_mesh("cube"))
    diag = np.isclose(feats[:, 0], np.pi)                     # the diagonals splitting each square face
    assert diag.sum() == 6 and np.allclose(feats[~diag, 0], np.pi / 2)
    np.testing.assert_allclose(feats[diag, 1:3], np.pi / 2)   # the angle opposite a diagonal is the square's corner


@pytest.mark.parametrize("call, words", [
    (lambda: mesh_edges(np.array([[0, 1, 2]])), "closed and manifold"),
    (lambda: mesh_edge_features(np.zeros((3, 2)), np.array([[0, 1, 2]])), "vertices"),
    (lambda: mesh_edge_features(np.zeros((3, 3)), np.array([[0, 1, 5]])), "index vertices"),
    (lambda: face_normals(np.zeros((3, 3)), np.array([[0, 1, 2]])), "degenerate"),
    (lambda: mesh_edges(np.zeros((2, 3))), "faces"),
])
def test_bad_input_raises(call, words):
    with pytest.raises(ValueError, match=words):
        call()
