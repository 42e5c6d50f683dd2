"""Tests of coursekit.image.sampling (Chapter 1): error measures, sampling, quantisation, zone plate."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage.metrics import mean_squared_error as sk_mse
from skimage.metrics import peak_signal_noise_ratio as sk_psnr

import coursekit
from coursekit.data.images import add_gaussian_noise, load_image
from coursekit.metrics.image import mse, psnr
from coursekit.image.sampling import quantize, sample, upsample_nearest, zone_plate

REAL_GREY = ["camera", "coins", "moon"]
REAL_COLOUR = ["astronaut", "chelsea"]


@pytest.fixture
def rng():
    return coursekit.seed_everything(0)


# ----------------------------------------------------------------------------- MSE and PSNR

@pytest.mark.parametrize("name", REAL_GREY + REAL_COLOUR)
@pytest.mark.parametrize("sigma", [2.0, 10.0, 40.0])
def test_mse_matches_skimage_on_real_images(name, sigma, rng):
    ref = load_image(name, gray=name in REAL_GREY)
    noisy = add_gaussian_noise(ref, sigma, rng)
    # Both sum the same float64 squares; only the summation order can differ: 1e-12 relative.
    assert mse(ref, noisy) == pytest.approx(sk_mse(ref, noisy), rel=1e-12)


@pytest.mark.parametrize("name", REAL_GREY + REAL_COLOUR)
@pytest.mark.parametrize("sigma", [2.0, 10.0, 40.0])
def test_psnr_matches_skimage_and_opencv_on_uint8_images(name, sigma, rng):
    ref = load_image(name, gray=name in REAL_GREY)
    noisy = add_gaussian_noise(ref, sigma, rng)
    ours = psnr(ref, noisy)  # data_range inferred: 255 for uint8
    # Same formula in float64; a log of a value computed in another order differs by ~1e-13 dB.
    assert ours == pytest.approx(sk_psnr(ref, noisy, data_range=255), abs=1e-9)
    assert ours == pytest.approx(cv2.PSNR(ref, noisy), abs=1e-9)


@pytest.mark.parametrize("name", ["camera", "astronaut"])
def test_psnr_of_float_images_matches_skimage(name, rng):
    ref = load_image(name, gray=name == "camera", dtype="float")
    noisy = np.clip(ref + rng.normal(0.0, 0.05, ref.shape), 0.0, 1.0)
    assert psnr(ref, noisy, data_range=1.0) == pytest.approx(sk_psnr(ref, noisy, data_range=1.0), abs=1e-9)


def test_psnr_does_not_depend_on_the_value_convention(rng):
    ref = load_image("camera")
    noisy = add_gaussian_noise(ref, 10.0, rng)
    # Dividing both images and R by 255 leaves R^2 / MSE unchanged up to float rounding (1e-12 dB).
    assert psnr(ref / 255.0, noisy / 255.0, data_range=1.0) == pytest.approx(psnr(ref, noisy), abs=1e-9)


def test_mse_does_not_wrap_around_on_uint8():
    a = np.full((8, 8), 3, dtype=np.uint8)
    b = np.full((8, 8), 5, dtype=np.uint8)
    assert mse(a, b) == 4.0  # uint8 arithmetic would give (3 - 5) % 256 = 254 and 64516


def test_psnr_of_identical_images_is_infinite():
    img = load_image("coins")
    assert psnr(img, img) == float("inf")
    assert mse(img, img) == 0.0


def test_psnr_gains_6_db_when_the_error_halves(rng):
    ref = rng.random((64, 64))
    e = rng.normal(0.0, 0.1, ref.shape)
    # PSNR(e/2) - PSNR(e) = 20 log10 2 exactly in real numbers; float64 rounding is ~1e-13 dB.
    gain = psnr(ref, ref + e / 2, data_range=1.0) - psnr(ref, ref + e, data_range=1.0)
    assert gain == pytest.approx(20 * np.log10(2), abs=1e-9)


def test_psnr_decreases_as_noise_grows(rng):
    ref = load_image("camera")
    values = [psnr(ref, add_gaussian_noise(ref, s, rng)) for s in (1, 5, 20, 60)]
    assert all(a > b for a, b in zip(values, values[1:]))


def test_psnr_rejects_shape_mismatch():
    with pytest.raises(ValueError, match="same shape"):
        psnr(np.zeros((4, 4), np.uint8), np.zeros((4, 5), np.uint8))
    with pytest.raises(ValueError, match="same shape"):
        mse(np.zeros((4, 4)), np.zeros((5, 4)))


def test_psnr_rejects_grey_versus_colour():
    grey = load_image("astronaut", size=64)
    colour = load_image("astronaut", gray=False, size=64)
    with pytest.raises(ValueError, match="grey image with a colour image.*rgb_to_gray"):
        psnr(grey, colour)
    with pytest.raises(ValueError, match="grey image with a colour image"):
        mse(colour, grey)


def test_psnr_requires_data_range_for_floats():
    with pytest.raises(ValueError, match="data_range is required"):
        psnr(np.zeros((4, 4)), np.ones((4, 4)) * 0.5)
    with pytest.raises(ValueError, match="data_range is required"):  # mixed uint8 / float
        psnr(np.zeros((4, 4), np.uint8), np.zeros((4, 4)))


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), True, "255"])
def test_psnr_rejects_bad_data_range(bad):
    with pytest.raises(ValueError, match="data_range"):
        psnr(np.zeros((4, 4)), np.ones((4, 4)), data_range=bad)


def test_error_measures_reject_non_arrays_and_bad_shapes():
    with pytest.raises(ValueError, match="NumPy array"):
        mse([[1, 2]], np.zeros((1, 2)))
    with pytest.raises(ValueError, match="2-D or 3-D"):
        mse(np.zeros(4), np.zeros(4))
    with pytest.raises(ValueError, match="NaN"):
        psnr(np.array([[np.nan]]), np.zeros((1, 1)), data_range=1.0)


# ----------------------------------------------------------------------------- quantisation

@pytest.mark.parametrize("levels", [2, 3, 4, 7, 8, 16, 100, 255, 256])
def test_quantize_ramp_has_exactly_L_levels(levels):
    ramp = np.arange(256, dtype=np.uint8).reshape(16, 16)  # every grey value once
    q = quantize(ramp, levels)
    assert q.dtype == np.uint8 and q.shape == ramp.shape
    assert len(np.unique(q)) == levels
    assert q.min() == 0 and q.max() == 255  # the levels span the whole range


@pytest.mark.parametrize("name", ["camera", "astronaut"])
@pytest.mark.parametrize("levels", [2, 5, 16, 64, 256])
def test_quantize_is_idempotent_and_within_half_a_step(name, levels):
    img = load_image(name, gray=name == "camera")
    q = quantize(img, levels)
    np.testing.assert_array_equal(quantize(q, levels), q)
    step = 255 / (levels - 1)
    err = np.abs(img.astype(np.float64) - q)
    # Nearest level: at most half a step away; the level is then rounded to an integer (+ 1/2).
    assert err.max() <= step / 2 + 0.5


def test_quantize_with_256_levels_is_the_identity():
    img = load_image("camera")
    np.testing.assert_array_equal(quantize(img, 256), img)


def test_quantize_error_behaves_like_uniform_noise(rng):
    # Quantisation error of a busy image is roughly uniform on [-Delta/2, Delta/2]: MSE ~ Delta^2 / 12.
    img = rng.integers(0, 256, (256, 256), dtype=np.uint8)
    step = 255 / 15
    ratio = mse(img, quantize(img, 16)) / (step**2 / 12)
    assert 0.9 < ratio < 1.15  # integer inputs make the error discrete; 16-level grid stays within ~10%


@pytest.mark.parametrize("levels", [1, 0, 257, 2.5, True])
def test_quantize_rejects_levels_outside_2_to_256(levels):
    with pytest.raises(ValueError, match="levels"):
        quantize(np.zeros((4, 4), np.uint8), levels)


def test_quantize_requires_uint8():
    with pytest.raises(ValueError, match="uint8.*to_uint8"):
        quantize(np.zeros((4, 4)), 4)


# ----------------------------------------------------------------------------- sampling

@pytest.mark.parametrize("name", ["camera", "astronaut"])
@pytest.mark.parametrize("factor", [1, 2, 3, 7])
@pytest.mark.parametrize("prefilter", [False, True])
def test_sample_shape_is_floor_of_size_over_factor(name, factor, prefilter):
    img = load_image(name, gray=name == "camera")
    out = sample(img, factor, prefilter=prefilter)
    assert out.shape == (img.shape[0] // factor, img.shape[1] // factor) + img.shape[2:]
    assert out.dtype == np.float64


def test_sample_without_prefilter_picks_every_factor_th_pixel(rng):
    img = rng.random((50, 37))
    np.testing.assert_array_equal(sample(img, 4), img[:48:4, :36:4])


def test_sample_with_prefilter_matches_block_mean_of_opencv_area_resize():
    img = load_image("camera").astype(np.float64)
    # INTER_AREA with an integer factor averages whole blocks; float32 inside OpenCV: 1e-4 grey levels.
    ref = cv2.resize(img, (128, 128), interpolation=cv2.INTER_AREA)
    np.testing.assert_allclose(sample(img, 4, prefilter=True), ref, atol=1e-4)


def test_sample_factor_one_is_the_identity():
    img = load_image("coins")
    np.testing.assert_array_equal(sample(img, 1), img)
    np.testing.assert_array_equal(sample(img, 1, prefilter=True), img)


def _aliasing_energy(image, factor, prefilter):
    """Mean squared deviation from mid-grey of the samples of a zone plate whose local frequency
    exceeds the new Nyquist limit 0.5 / factor: an ideal low-pass would leave them flat grey."""
    size = image.shape[0]
    out = sample(image, factor, prefilter)
    n = out.shape[0]
    centre = (size - 1) / 2
    offset = (factor - 1) / 2 if prefilter else 0.0  # where each output sample sits in the input
    yy, xx = np.mgrid[0:n, 0:n] * factor + offset
    r = np.hypot(yy - centre, xx - centre)
    above_nyquist = (r > size / 2 / factor) & (r < size / 2)
    return float(np.mean((out[above_nyquist] - 0.5) ** 2))


@pytest.mark.parametrize("factor", [2, 3, 4])
def test_prefiltering_reduces_aliasing_on_the_zone_plate(factor):
    z = zone_plate(256)
    raw = _aliasing_energy(z, factor, prefilter=False)
    filtered = _aliasing_energy(z, factor, prefilter=True)
    # Point samples of a full-contrast cosine keep its power 0.5^2 / 2 = 0.125 (all of it aliased).
    assert raw == pytest.approx(0.125, rel=0.05)
    # A box of width `factor` has gain <= 2/pi at the new Nyquist, falling towards 0 at twice it;
    # the energy left over the band is under a quarter (measured ~1/6 for factor 2, less above).
    assert filtered < 0.25 * raw


@pytest.mark.parametrize("factor", [0, -2, 1.5, True])
def test_sample_rejects_factor_below_one_or_not_integer(factor):
    with pytest.raises(ValueError, match="factor"):
        sample(np.zeros((8, 8)), factor)


def test_sample_rejects_factor_larger_than_image():
    with pytest.raises(ValueError, match="larger than the image"):
        sample(np.zeros((8, 8)), 9)


def test_sample_rejects_bad_images():
    with pytest.raises(ValueError, match="2-D or 3-D"):
        sample(np.zeros((2, 8, 8, 3)), 2)
    with pytest.raises(ValueError, match="empty"):
        sample(np.zeros((0, 8)), 2)


# ----------------------------------------------------------------------------- display and zone plate

def test_upsample_nearest_inverts_point_sampling(rng):
    img = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    big = upsample_nearest(img, 3)
    assert big.shape == (60, 90, 3) and big.dtype == np.uint8
    np.testing.assert_array_equal(big[::3, ::3], img)
    np.testing.assert_array_equal(sample(big, 3, prefilter=True), img)  # every 3x3 block is constant


def test_upsample_nearest_rejects_bad_factor():
    with pytest.raises(ValueError, match="factor"):
        upsample_nearest(np.zeros((2, 2)), 0)


def test_zone_plate_local_frequency_reaches_the_requested_value():
    size, f = 512, 0.25
    row = zone_plate(size, max_frequency=f)[size // 2]  # phase alpha * r^2 along the middle row
    # Count the zero crossings between r = size/4 and r = size/2; each period has two. The phase
    # advances alpha*(R^2 - (R/2)^2) = (3/4) * pi * f * R there: (3/8) f R periods; +-1 crossing.
    c = (size - 1) / 2
    r = np.abs(np.arange(size) - c)
    seg = row[(r > size / 4) & (r < size / 2) & (np.arange(size) > c)] - 0.5
    crossings = int(np.sum(np.signbit(seg[1:]) != np.signbit(seg[:-1])))
    assert abs(crossings - 2 * 3 / 8 * f * size / 2) <= 1


def test_zone_plate_is_symmetric_and_in_range():
    z = zone_plate(65)
    np.testing.assert_allclose(z, z.T, atol=1e-12)
    np.testing.assert_allclose(z, z[::-1, ::-1], atol=1e-12)
    assert 0.0 <= z.min() and z.max() <= 1.0 and z[32, 32] == 1.0


@pytest.mark.parametrize("kwargs", [{"size": 4}, {"size": 64.0}, {"max_frequency": 0}, {"max_frequency": 1.5}])
def test_zone_plate_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        zone_plate(**kwargs)
