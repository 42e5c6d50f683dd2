"""Geometry: 2-D transformations, warping and the pinhole camera.

Transformations and their estimation (affine, homography by the normalised DLT), bilinear sampling and
warping. Chapter 2 (transformations, warping) and Chapter 9 (the camera). Points are ``(x, y)`` = (column, row).
"""

from coursekit.geometry.camera import Camera, look_at, orbit_cameras, camera_rays, project
from coursekit.geometry.robust import transfer_error, ransac_trials, ransac_homography
from coursekit.geometry.similarity import estimate_similarity
from coursekit.geometry.transforms import (
    DEGREES_OF_FREEDOM,
    degrees_of_freedom,
    translation_matrix,
    rotation_matrix,
    scaling_matrix,
    shear_matrix,
    affine_matrix,
    estimate_affine,
    normalize_points,
    estimate_homography,
    apply_homography,
    as_homography,
)
from coursekit.geometry.warp import bilinear_sample, warp_image, warp_splat

__all__ = [
    "Camera",
    "look_at",
    "orbit_cameras",
    "camera_rays",
    "project",
    "transfer_error",
    "ransac_trials",
    "ransac_homography",
    "estimate_similarity",
    "DEGREES_OF_FREEDOM",
    "degrees_of_freedom",
    "translation_matrix",
    "rotation_matrix",
    "scaling_matrix",
    "shear_matrix",
    "affine_matrix",
    "estimate_affine",
    "normalize_points",
    "estimate_homography",
    "apply_homography",
    "as_homography",
    "bilinear_sample",
    "warp_image",
    "warp_splat",
]
