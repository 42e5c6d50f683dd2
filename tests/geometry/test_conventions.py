"""The library's conventions (CONTRIBUTING.md, "Conventions"), held for coursekit.geometry.

Points are ``(x, y)`` = (column, row), images are indexed ``[row, col]``, a matrix maps source points to
destination points, output shapes are ``(rows, columns)``, any real image (bool as 0/1) comes back as float64,
and every public function documents itself (the same rule as ``tests/image/test_conventions.py``).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import numpy as np
import pytest
from image.test_conventions import docstring_problems

import coursekit.geometry
from coursekit.geometry import (
    apply_homography,
    bilinear_sample,
    project,
    orbit_cameras,
    rotation_matrix,
    translation_matrix,
    warp_image,
    warp_splat,
)


def _impulse(shape=(10, 12), x=2, y=4):
    f = np.zeros(shape)
    f[y, x] = 1.0                                                  # the point (x, y) is image[y, x]
    return f


def test_a_translation_by_tx_ty_moves_content_right_by_tx_and_down_by_ty():
    T = translation_matrix(3, 1)
    np.testing.assert_array_equal(apply_homography(T, np.array([[2.0, 4.0]])), [[5.0, 5.0]])
    assert np.argwhere(warp_image(_impulse(), T, (10, 12))).tolist() == [[5, 5]]   # [row, col] = [y, x]
    out, hit = warp_splat(_impulse(), T, (10, 12))
    assert np.argwhere(out).tolist() == [[5, 5]] and hit[5, 5]


def test_out_shape_is_rows_then_columns():
    assert warp_image(np.ones((4, 6)), np.eye(3), (5, 7)).shape == (5, 7)
    assert warp_splat(np.ones((4, 6)), np.eye(3), (5, 7))[0].shape == (5, 7)


def test_bilinear_sample_reads_x_along_the_columns():
    ramp = np.tile(np.arange(8.0), (5, 1))                         # value = column = x
    assert bilinear_sample(ramp, np.array([2.5]), np.array([1.0])).tolist() == [2.5]
    assert bilinear_sample(ramp.T, np.array([1.0]), np.array([2.5])).tolist() == [2.5]   # value = row = y


def test_a_positive_rotation_turns_x_towards_y_which_points_down():
    p = apply_homography(rotation_matrix(np.pi / 2), np.array([[1.0, 0.0]]))
    np.testing.assert_allclose(p, [[0.0, 1.0]], atol=1e-12)


def test_the_camera_projects_to_x_y_pixel_coordinates():
    cam = orbit_cameras(1, 40)[0]
    xy, z = project(np.zeros((1, 3)), cam, 30, 40)                 # H = 30 rows, W = 40 columns
    np.testing.assert_allclose(xy, [[20.0, 15.0]], atol=1e-9)      # (x, y) = (W / 2, H / 2)


@pytest.mark.parametrize("dtype", [bool, np.uint8, np.int16, np.float32, np.float64], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("fn", [
    lambda x: warp_image(x, translation_matrix(1.5, -0.5), (9, 11)),
    lambda x: warp_splat(x, translation_matrix(2, 1), (9, 11))[0],
    lambda x: bilinear_sample(x, np.array([0.5, 3.25]), np.array([1.0, 2.5])),
], ids=["warp_image", "warp_splat", "bilinear_sample"])
def test_any_real_image_gives_float64_on_its_own_scale(fn, dtype):
    x = np.random.default_rng(0).integers(0, 2 if dtype is bool else 100, (8, 10)).astype(dtype)
    out = fn(x)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, fn(x.astype(np.float64)))


def _public_functions():
    for info in pkgutil.iter_modules(coursekit.geometry.__path__):
        module = importlib.import_module(f"coursekit.geometry.{info.name}")
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                yield f"{module.__name__}.{name}", obj


# Building blocks whose module docstring carries the references; a section each would push
# transforms.py over the 400-line limit for a one-line matrix.
BUILDING_BLOCKS = {"degrees_of_freedom", "translation_matrix", "rotation_matrix", "scaling_matrix",
                   "shear_matrix", "affine_matrix", "as_homography"}


@pytest.mark.parametrize("where,fn", list(_public_functions()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_public_geometry_function_documents_itself(where, fn):
    problems = docstring_problems(fn)
    if fn.__name__ in BUILDING_BLOCKS:
        problems = [p for p in problems if p != "Notes or References"]
    assert problems == [], where
