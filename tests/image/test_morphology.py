"""Tests of coursekit.image.morphology against OpenCV and scikit-image (Chapter 2, morphology)."""

import cv2
import numpy as np
import pytest
from skimage import data, morphology as skm

from coursekit.image import morphology as M

CAMERA, COINS = data.camera(), data.coins()
IMAGES = {
    "camera-grey": CAMERA,
    "coins-grey": COINS,
    "camera-binary": CAMERA > 102,
    "coins-binary": COINS > 107,
    "random-binary": np.random.default_rng(0).random((61, 47)) < 0.6,
    "random-float": np.random.default_rng(1).normal(size=(40, 50)),
}
SES = {"square3": M.square(3), "square5": M.square(5), "disk3": M.disk(3), "cross5": M.cross(5)}
ASYM = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1]], dtype=bool)  # no symmetry: catches a missing reflection


def _cv(x):
    """OpenCV works on uint8/float32; binary images go in as 0/1 uint8."""
    return x.astype(np.uint8) if x.dtype == bool else (x.astype(np.float32) if x.dtype.kind == "f" else x)


def _same(ours, ref):
    # min and max pick one of the input values, so results are exact (float32 holds the float test
    # image's values only to 1e-7 relative, hence the tolerance for the float case)
    np.testing.assert_allclose(ours.astype(np.float64), ref.astype(np.float64), rtol=1e-6, atol=0)


def test_structuring_elements_match_skimage_and_opencv():
    for r in range(0, 6):
        np.testing.assert_array_equal(M.disk(r), skm.disk(r).astype(bool))
    for k in (1, 3, 5, 7):
        np.testing.assert_array_equal(M.square(k), cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)).astype(bool))
        np.testing.assert_array_equal(M.cross(k), cv2.getStructuringElement(cv2.MORPH_CROSS, (k, k)).astype(bool))


@pytest.mark.parametrize("img_name", list(IMAGES))
@pytest.mark.parametrize("se_name", list(SES))
def test_erode_dilate_match_opencv(img_name, se_name):
    img, se = IMAGES[img_name], SES[se_name]
    k = se.astype(np.uint8)
    _same(M.erode(img, se), cv2.erode(_cv(img), k))
    _same(M.dilate(img, se), cv2.dilate(_cv(img), k))


@pytest.mark.parametrize("img_name", ["camera-grey", "coins-binary", "random-binary"])
def test_opening_closing_match_opencv_morphologyex(img_name):
    img, k = IMAGES[img_name], M.disk(2).astype(np.uint8)
    _same(M.opening(img, M.disk(2)), cv2.morphologyEx(_cv(img), cv2.MORPH_OPEN, k))
    _same(M.closing(img, M.disk(2)), cv2.morphologyEx(_cv(img), cv2.MORPH_CLOSE, k))


@pytest.mark.parametrize("img_name", ["coins-grey", "camera-binary", "random-binary"])
def test_asymmetric_element_erosion_matches_opencv_and_dilation_is_reflected(img_name):
    img = IMAGES[img_name]
    _same(M.erode(img, ASYM), cv2.erode(_cv(img), ASYM.astype(np.uint8)))
    # textbook dilation reflects B (A ⊕ B = max over x - b); cv2.dilate does not, so give it B reflected
    _same(M.dilate(img, ASYM), cv2.dilate(_cv(img), ASYM[::-1, ::-1].astype(np.uint8).copy()))


@pytest.mark.parametrize("img_name", ["camera-binary", "random-binary", "coins-grey"])
def test_erode_dilate_match_skimage_away_from_the_border(img_name):
    img, se = IMAGES[img_name], M.disk(2)
    # skimage pads by reflection, we ignore outside pixels; the two agree once the element
    # stays inside the image, i.e. at least its radius (2) away from the border
    inner = (slice(2, -2), slice(2, -2))
    np.testing.assert_array_equal(M.erode(img, se)[inner], skm.erosion(img, se)[inner])
    np.testing.assert_array_equal(M.dilate(img, se)[inner], skm.dilation(img, se)[inner])


def test_erosion_and_dilation_are_dual():
    img = IMAGES["random-binary"]
    np.testing.assert_array_equal(M.dilate(img, ASYM), ~M.erode(~img, ASYM[::-1, ::-1]))


def test_opening_and_closing_are_idempotent():
    img = IMAGES["coins-binary"]
    se = M.disk(2)
    opened, closed = M.opening(img, se), M.closing(img, se)
    np.testing.assert_array_equal(M.opening(opened, se), opened)
    np.testing.assert_array_equal(M.closing(closed, se), closed)
    assert np.all(opened <= img) and np.all(closed >= img)  # anti-extensive / extensive


def test_boundary_is_a_minus_erosion_and_matches_opencv_gradient_on_binary():
    img = IMAGES["coins-binary"]
    b = M.boundary(img, M.square(3))
    np.testing.assert_array_equal(b, img & ~cv2.erode(img.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool))
    assert b.sum() < img.sum() and not np.any(b & ~img)  # a thin subset of the shape
    grey = M.boundary(CAMERA, M.square(3))
    assert grey.dtype == np.uint8
    np.testing.assert_array_equal(grey, CAMERA - cv2.erode(CAMERA, np.ones((3, 3), np.uint8)))


def test_opening_removes_specks_smaller_than_the_element():
    img = np.zeros((30, 30), bool)
    img[5:20, 5:20] = True              # a 15 × 15 square survives
    img[25, 25] = img[2, 27] = True     # isolated specks vanish
    out = M.opening(img, M.square(3))
    np.testing.assert_array_equal(out[5:20, 5:20], True)
    assert out.sum() == 15 * 15


def test_morphology_rejects_bad_input():
    img = IMAGES["random-binary"]
    with pytest.raises(ValueError, match="odd height and width"):
        M.erode(img, np.ones((2, 3), bool))
    with pytest.raises(ValueError, match="empty"):
        M.dilate(img, np.zeros((3, 3), bool))
    with pytest.raises(ValueError, match="empty"):
        M.dilate(img, np.zeros((0, 0), bool))
    with pytest.raises(ValueError, match="size must be odd"):
        M.square(4)
    with pytest.raises(ValueError, match="radius"):
        M.disk(-1)
    with pytest.raises(ValueError, match="colour"):
        M.erode(data.astronaut(), M.square(3))
    with pytest.raises(ValueError, match="2-D"):
        M.dilate(np.zeros((3, 4, 5), bool), M.square(3))
    with pytest.raises(ValueError, match="NumPy array"):
        M.erode([[1, 0], [0, 1]], M.square(3))
