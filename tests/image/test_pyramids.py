"""Tests of coursekit.image.pyramids against OpenCV's pyrDown / pyrUp (Chapter 2, pyramids)."""

import cv2
import numpy as np
import pytest
from skimage import data

from coursekit.image import pyramids as P
from coursekit.image.filters import correlate2d

IMAGES = {"camera": data.camera(), "coins": data.coins(), "moon crop 101x77": data.moon()[:101, :77]}
SHAPES = [(9, 12), (10, 7), (5, 5), (3, 8), (1, 6), (64, 33)]


@pytest.mark.parametrize("name", list(IMAGES))
def test_pyr_down_equals_opencv(name):
    f = IMAGES[name].astype(np.float64)
    # same kernel, same border (BORDER_REFLECT_101), same even samples: equal to float64 rounding
    np.testing.assert_allclose(P.pyr_down(f), cv2.pyrDown(f), rtol=0, atol=1e-10)


@pytest.mark.parametrize("shape", SHAPES)
def test_pyr_down_and_up_equal_opencv_on_random_images(shape, rng):
    x = rng.random(shape)
    np.testing.assert_allclose(P.pyr_down(x), cv2.pyrDown(x), rtol=0, atol=1e-12)
    h, w = shape
    for rows, cols in [(2 * h, 2 * w), (2 * h - 1, 2 * w), (2 * h, 2 * w - 1), (2 * h - 1, 2 * w - 1)]:
        ours = P.pyr_up(x, (rows, cols))
        np.testing.assert_allclose(ours, cv2.pyrUp(x, dstsize=(cols, rows)), rtol=0, atol=1e-12)


def test_pyr_down_is_the_binomial_blur_then_every_other_pixel():
    f = IMAGES["coins"].astype(np.float64)
    k = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16
    np.testing.assert_allclose(P.pyr_down(f), correlate2d(f, np.outer(k, k))[::2, ::2], atol=1e-10)


def _opencv_pyramid(f, levels):
    """cv::buildPyramid, which Python's cv2 does not export: pyrDown applied again and again."""
    G = [f]
    for _ in range(levels - 1):
        G.append(cv2.pyrDown(G[-1]))
    return G


@pytest.mark.parametrize("name", list(IMAGES))
def test_gaussian_pyramid_equals_repeated_opencv_pyr_down(name):
    f = IMAGES[name].astype(np.float64)
    ours = P.gaussian_pyramid(f, 5)
    ref = _opencv_pyramid(f, 5)
    assert [g.shape for g in ours] == [g.shape for g in ref]
    for g, r in zip(ours, ref):
        np.testing.assert_allclose(g, r, rtol=0, atol=1e-9)


@pytest.mark.parametrize("name", list(IMAGES))
def test_laplacian_pyramid_reconstructs_the_image(name):
    f = IMAGES[name]
    bands = P.laplacian_pyramid(f, 5)
    # the bands are differences, so the sum telescopes back to G_0: exact up to float64 rounding
    np.testing.assert_allclose(P.reconstruct_from_laplacian(bands), f, rtol=0, atol=1e-9)


def test_laplacian_bands_equal_the_opencv_construction():
    f = IMAGES["camera"].astype(np.float64)
    G = _opencv_pyramid(f, 4)
    ref = [G[k] - cv2.pyrUp(G[k + 1], dstsize=G[k].shape[::-1]) for k in range(3)] + [G[3]]
    for band, r in zip(P.laplacian_pyramid(f, 4), ref):
        np.testing.assert_allclose(band, r, rtol=0, atol=1e-9)


def test_bands_of_a_smooth_image_are_small_and_carry_the_edges():
    f = IMAGES["camera"].astype(np.float64)
    bands = P.laplacian_pyramid(f, 4)
    ramp = np.add.outer(np.arange(64.0), 2 * np.arange(64.0))
    flat = P.laplacian_pyramid(ramp, 3)
    assert np.abs(flat[0][4:-4, 4:-4]).max() < 1e-9       # a linear ramp is predicted exactly inside
    assert abs(bands[0].mean()) < 1.0 and bands[0].std() > 5.0   # zero-mean detail with real energy


def test_pyramid_keeps_the_mean_of_a_constant_image_and_the_dtype_scale():
    np.testing.assert_allclose(P.pyr_down(np.full((7, 9), 200, np.uint8)), 200.0)
    np.testing.assert_allclose(P.pyr_up(np.full((4, 5), 3.0)), 3.0)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="out_shape"):
        P.pyr_up(np.zeros((4, 4)), (10, 8))
    with pytest.raises(ValueError, match="levels"):
        P.gaussian_pyramid(np.zeros((4, 4)), 0)
    with pytest.raises(ValueError):
        P.pyr_down(np.zeros((4, 4, 3)))
    with pytest.raises(ValueError, match="pyramid"):
        P.reconstruct_from_laplacian([])
