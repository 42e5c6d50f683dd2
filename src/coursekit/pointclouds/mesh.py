"""Triangle meshes as graphs of edges, and MeshCNN's five features per edge.

A closed manifold triangle mesh has every edge shared by exactly two faces; MeshCNN convolves over
edges, each described by the dihedral angle between its two faces, the two inner angles opposite it and
the two ratios of its length to the faces' heights. The pairs are sorted, so the features do not depend
on which face is listed first; all five are invariant to rotation, translation and uniform scale.

Used by Chapter 8 (mesh edge features).

References
----------
R. Hanocka, A. Hertz, N. Fish, R. Giryes, S. Fleishman and D. Cohen-Or, "MeshCNN: A Network with an Edge",
ACM Transactions on Graphics (SIGGRAPH) 2019, Sec. 3.1 and Fig. 3.
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array

__all__ = ["mesh_edges", "face_normals", "mesh_edge_features"]


def _mesh(vertices, faces) -> tuple[np.ndarray, np.ndarray]:
    check_array(vertices, "vertices", ndim=2, dtype_kind="fiu", shape=(None, 3))
    check_array(faces, "faces", ndim=2, dtype_kind="iu", shape=(None, 3))
    if faces.size and (faces.min() < 0 or faces.max() >= len(vertices)):
        raise ValueError(f"faces must index vertices in [0, {len(vertices)}), got values in "
                         f"[{faces.min()}, {faces.max()}].")
    return vertices.astype(np.float64), faces.astype(np.int64)


def mesh_edges(faces: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The unique edges of a closed manifold triangle mesh, with their two faces and opposite vertices.

    Defined in :ref:`sec-pc-mesh` (Eq. :eq:`eq-pc-mesh-features`).

    Parameters
    ----------
    faces : (F, 3) ndarray of int
        Vertex indices of each triangle.

    Returns
    -------
    edges : (E, 2) ndarray of int64
        Vertex pairs (a, b) with a < b, sorted; E = 3F / 2.
    edge_faces : (E, 2) ndarray of int64
        The two faces sharing each edge (lower face index first).
    opposite : (E, 2) ndarray of int64
        In each of those faces, the vertex that is not on the edge.

    Examples
    --------
    >>> tetra = np.array([[0, 1, 2], [0, 3, 1], [1, 3, 2], [2, 3, 0]])
    >>> e, ef, opp = mesh_edges(tetra)
    >>> e.tolist()[:2], ef[0].tolist(), opp[0].tolist()
    ([[0, 1], [0, 2]], [0, 1], [2, 3])
    """
    check_array(faces, "faces", ndim=2, dtype_kind="iu", shape=(None, 3))
    F = faces.astype(np.int64)
    half = np.concatenate([F[:, [0, 1, 2]], F[:, [1, 2, 0]], F[:, [2, 0, 1]]])   # (3F, 3): edge (a, b), opposite c
    face_of = np.tile(np.arange(len(F)), 3)                                        # (3F,)
    key = np.sort(half[:, :2], axis=1)                                             # (3F, 2) undirected edge
    edges, inverse, counts = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    if np.any(counts != 2):
        bad = edges[counts != 2][0].tolist()
        raise ValueError(f"the mesh must be closed and manifold (every edge in exactly two faces); edge {bad} "
                         f"is in {int(counts[counts != 2][0])}.")
    order = np.lexsort((face_of, inverse.ravel()))          # group the two half-edges of each edge, lower face first
    edge_faces = face_of[order].reshape(-1, 2)              # (E, 2)
    opposite = half[order, 2].reshape(-1, 2)                # (E, 2)
    return edges.astype(np.int64), edge_faces, opposite


def face_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Unit normals ``(b - a) × (c - a) / ||·||`` of the triangles (a, b, c) (outward for counter-clockwise faces).

    Defined in :ref:`sec-pc-mesh`.

    Parameters
    ----------
    vertices : (V, 3) ndarray of float
    faces : (F, 3) ndarray of int

    Returns
    -------
    (F, 3) ndarray of float64

    Examples
    --------
    >>> face_normals(np.array([[0.0, 0, 0], [1, 0, 0], [0, 1, 0]]), np.array([[0, 1, 2]])).tolist()
    [[0.0, 0.0, 1.0]]
    """
    V, F = _mesh(vertices, faces)
    n = np.cross(V[F[:, 1]] - V[F[:, 0]], V[F[:, 2]] - V[F[:, 0]])   # (F, 3), length = 2 · area
    length = np.linalg.norm(n, axis=1, keepdims=True)
    if np.any(length == 0):
        raise ValueError("the mesh has a degenerate (zero-area) face.")
    return n / length


def _angle(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Angle between rows of u and v, via atan2(|u × v|, u · v) (accurate near 0 and π, unlike arccos)."""
    return np.arctan2(np.linalg.norm(np.cross(u, v), axis=-1), np.einsum("...d,...d->...", u, v))


def mesh_edge_features(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """MeshCNN's input features of every edge: dihedral angle, two inner angles, two length ratios.

    Defined in :ref:`sec-pc-mesh` (Eq. :eq:`eq-pc-mesh-features`).

    Parameters
    ----------
    vertices : (V, 3) ndarray of float
    faces : (F, 3) ndarray of int
        A closed manifold mesh with consistently oriented (counter-clockwise seen from outside) faces.

    Returns
    -------
    features : (E, 5) ndarray of float64
        Per edge: the dihedral angle π − ∠(n₁, n₂) (π on a flat patch, smaller on a convex ridge); the two
        inner angles at the opposite vertices, smaller first; the two ratios ``|ab| / h`` of the edge's
        length to the height of each face over it, smaller first.
    edges : (E, 2) ndarray of int64
        The edges, as :func:`mesh_edges` returns them.

    Examples
    --------
    >>> V = np.array([[1.0, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]])     # regular tetrahedron
    >>> f, e = mesh_edge_features(V, np.array([[0, 1, 2], [0, 3, 1], [0, 2, 3], [1, 3, 2]]))
    >>> np.degrees(f[0]).round(2).tolist()[:3], f[0, 3:].round(4).tolist()
    ([70.53, 60.0, 60.0], [1.1547, 1.1547])
    """
    V, F = _mesh(vertices, faces)
    edges, edge_faces, opposite = mesh_edges(F)
    n = face_normals(V, F)                                  # (F, 3)
    dihedral = np.pi - _angle(n[edge_faces[:, 0]], n[edge_faces[:, 1]])   # (E,)
    a, b = V[edges[:, 0]], V[edges[:, 1]]                   # (E, 3) the edge's end points
    c = V[opposite]                                         # (E, 2, 3) the opposite vertices
    inner = _angle(a[:, None] - c, b[:, None] - c)          # (E, 2) angle at the opposite vertex
    ab = b - a
    length = np.linalg.norm(ab, axis=1)                     # (E,)
    height = np.linalg.norm(np.cross(c - a[:, None], ab[:, None]), axis=-1) / length[:, None]   # (E, 2)
    ratio = length[:, None] / height                        # (E, 2)
    features = np.column_stack([dihedral, np.sort(inner, axis=1), np.sort(ratio, axis=1)])   # (E, 5)
    return features, edges
