"""Input validation shared by coursekit, and the real images every chapter starts from."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from coursekit.core import validation as v
from coursekit.data.images import add_salt_and_pepper, load_image, rgb_to_gray, to_float, to_uint8


@pytest.mark.parametrize("bad, fragment", [
    ([[1, 2], [3, 4]], "NumPy array"),
    (np.zeros((4, 4, 3)), "colour image"),
    (np.zeros((2, 4, 4)), "2-D"),
    (np.zeros((0, 4)), "empty"),
    (np.zeros((4, 4), dtype=complex), "dtype"),
    (np.array([[np.nan, 1.0]]), "NaN"),
])
def test_gray_image_validation_explains_the_problem(bad, fragment):
    with pytest.raises(ValueError, match=fragment):
        v.as_gray_image(bad)


def test_bool_images_are_grey_images_of_zeros_and_ones():
    # the dtype rule (CONTRIBUTING.md, "Conventions"): bool is accepted wherever numbers are
    mask = np.array([[True, False]])
    assert v.as_gray_image(mask) is mask
    assert v.as_float_image(mask).dtype == np.float64 and v.as_float_image(mask).tolist() == [[1.0, 0.0]]


def test_uint8_is_required_where_the_algorithm_is_8_bit():
    with pytest.raises(ValueError, match="uint8"):
        v.as_uint8_image(np.zeros((4, 4)))


@pytest.mark.parametrize("k", [0, 2, 4, -3, 3.0, True])
def test_kernel_sizes_must_be_odd_integers(k):
    with pytest.raises(ValueError):
        v.check_odd_size(k)


@pytest.mark.parametrize("value", [0, -1.0, float("nan"), float("inf"), "2"])
def test_positive_scalars(value):
    with pytest.raises(ValueError):
        v.check_positive(value, "sigma")


def test_shape_check_accepts_wildcards():
    v.check_array(np.zeros((5, 3)), "pts", shape=(None, 3))
    with pytest.raises(ValueError, match=r"\(any, 2\)"):
        v.check_array(np.zeros((5, 3)), "pts", shape=(None, 2))


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea"])
def test_rgb_to_gray_matches_opencv_bt601(name):
    rgb = load_image(name, gray=False)
    ours = rgb_to_gray(rgb)
    theirs = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    # OpenCV rounds to uint8 with fixed-point weights (14-bit), so agree to within one grey level.
    assert np.abs(ours - theirs).max() <= 1.0


def test_load_image_offline_shapes_and_ranges():
    cam = load_image("camera")
    assert cam.shape == (512, 512) and cam.dtype == np.uint8
    small = load_image("astronaut", gray=False, size=64, dtype="float")
    assert small.shape == (64, 64, 3) and 0 <= small.min() and small.max() <= 1
    with pytest.raises(ValueError, match="unknown image"):
        load_image("kidney")


def test_uint8_float_round_trip_is_exact():
    x = np.arange(256, dtype=np.uint8).reshape(16, 16)
    assert np.array_equal(to_uint8(to_float(x)), x)
    with pytest.raises(ValueError, match="values in"):
        to_uint8(np.full((2, 2), 1.5))


def test_salt_and_pepper_hits_the_requested_fraction():
    img = np.full((200, 200), 128, np.uint8)
    noisy = add_salt_and_pepper(img, 0.1, np.random.default_rng(0))
    frac = np.mean(noisy != 128)
    assert abs(frac - 0.1) < 0.01  # 40,000 Bernoulli(0.1) draws: std of the fraction is 0.0015
