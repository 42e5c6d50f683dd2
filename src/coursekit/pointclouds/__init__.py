"""Point clouds, voxels and meshes (Chapter 8).

Voxel grids and their memory, neighbourhoods in NumPy (kNN, farthest-point sampling, ball query) and their
batched PyTorch twins with PointNet++'s set abstraction, DGCNN's EdgeConv, MeshCNN's edge features, and the
training recipe of the point-cloud classifiers (the models are :mod:`coursekit.models.pointnet` and
:mod:`coursekit.models.dgcnn`).
"""

from coursekit.pointclouds.mesh import mesh_edges, face_normals, mesh_edge_features
from coursekit.pointclouds.sampling import (
    pairwise_sq_distances,
    knn_indices,
    farthest_point_sampling,
    ball_query,
)
from coursekit.pointclouds.voxels import voxel_indices, voxelize, dense_grid_bytes
from coursekit._lazy import attach

# names of the modules that need torch: they load on first use (coursekit._lazy)
_LAZY = {
    "classifier_accuracy": "classify",
    "train_point_classifier": "classify",
    "edge_features": "edgeconv",
    "edge_conv": "edgeconv",
    "EdgeConv": "edgeconv",
    "knn_graph": "grouping",
    "gather_points": "grouping",
    "farthest_point_sample": "grouping",
    "ball_group": "grouping",
    "set_abstraction": "grouping",
}
__getattr__, __dir__ = attach(__name__, _LAZY)

__all__ = [
    "mesh_edges",
    "face_normals",
    "mesh_edge_features",
    "pairwise_sq_distances",
    "knn_indices",
    "farthest_point_sampling",
    "ball_query",
    "voxel_indices",
    "voxelize",
    "dense_grid_bytes",
    "classifier_accuracy",
    "train_point_classifier",
    "edge_features",
    "edge_conv",
    "EdgeConv",
    "knn_graph",
    "gather_points",
    "farthest_point_sample",
    "ball_group",
    "set_abstraction",
]
