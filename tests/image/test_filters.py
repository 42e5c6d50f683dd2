"""coursekit.image.filters against OpenCV and SciPy on real images (camera, coins, astronaut) and seeded noise.

Tolerances:
* float64 against float64 oracles (cv2 on CV_64F, scipy.ndimage): 1e-9 on values up to 255 — the same
  sums taken in a different order differ by a few ulps (~1e-13), far below it.
* against OpenCV on uint8: 1 grey level — OpenCV rounds its float result (or uses 16-bit fixed-point
  kernels for GaussianBlur) back to uint8, so round(ours) may land on the neighbouring integer.
* median on uint8: exact — the median of integers is one of them, nothing to round.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from scipy import ndimage, signal

from coursekit.image import filters as F
from coursekit.image import nonlinear
from coursekit.image import derivatives
from coursekit.image import _canny_banded as CB
from coursekit.image import _separable as S
from coursekit.image import _sorting_networks as SN
from coursekit.data import add_salt_and_pepper, load_image

ATOL = 1e-9


@pytest.fixture(scope="module")
def images():
    """Real uint8 photographs, cropped to keep the file fast (the filters see 256×256 of real texture)."""
    return {name: load_image(name)[100:356, 100:356] for name in ("camera", "coins", "astronaut")}


def _random(rng, shape=(37, 53)):
    return rng.uniform(0, 255, shape)


# ----------------------------------------------------------------------------- padding

CV_BORDER = {"zero": cv2.BORDER_CONSTANT, "replicate": cv2.BORDER_REPLICATE, "reflect": cv2.BORDER_REFLECT_101,
             "symmetric": cv2.BORDER_REFLECT, "wrap": cv2.BORDER_WRAP}
NP_MODE = {"zero": "constant", "replicate": "edge", "reflect": "reflect", "symmetric": "symmetric", "wrap": "wrap"}


@pytest.mark.parametrize("mode", sorted(CV_BORDER))
@pytest.mark.parametrize("radius", [1, 3, (2, 5)])
def test_pad_matches_opencv_and_numpy(rng, mode, radius):
    x = _random(rng, (7, 9))
    ry, rx = (radius, radius) if np.isscalar(radius) else radius
    ours = F.pad(x, radius, mode)
    assert np.array_equal(ours, cv2.copyMakeBorder(x, ry, ry, rx, rx, CV_BORDER[mode], value=0))
    assert np.array_equal(ours, np.pad(x, ((ry, ry), (rx, rx)), NP_MODE[mode]))


@pytest.mark.parametrize("alias,name", [("constant", "zero"), ("edge", "replicate")])
def test_pad_aliases_are_the_same_rule(rng, alias, name):
    x = _random(rng, (5, 6))
    assert np.array_equal(F.pad(x, 2, alias), F.pad(x, 2, name))


def test_pad_reflect_wider_than_the_image_keeps_reflecting(rng):
    x = _random(rng, (4, 3))   # radius 7 > width: the rule is applied again, like np.pad
    assert np.array_equal(F.pad(x, 7, "reflect"), np.pad(x, 7, "reflect"))


# ----------------------------------------------------------------------------- correlation / convolution

@pytest.mark.parametrize("name", ["camera", "coins"])
def test_correlate2d_matches_cv2_filter2d(images, rng, name):
    f = images[name].astype(np.float64)
    kernel = rng.normal(size=(5, 3))                       # not symmetric: a flip would show
    ours = F.correlate2d(f, kernel)
    assert np.allclose(ours, cv2.filter2D(f, cv2.CV_64F, kernel), atol=ATOL, rtol=0)


@pytest.mark.parametrize("mode,cv_mode", [("zero", cv2.BORDER_CONSTANT), ("replicate", cv2.BORDER_REPLICATE),
                                           ("symmetric", cv2.BORDER_REFLECT)])
def test_correlate2d_border_modes_match_cv2(rng, mode, cv_mode):
    f, kernel = _random(rng), rng.normal(size=(3, 5))
    assert np.allclose(F.correlate2d(f, kernel, mode), cv2.filter2D(f, -1, kernel, borderType=cv_mode), atol=ATOL)


def test_correlate2d_wrap_matches_scipy(rng):
    f, kernel = _random(rng), rng.normal(size=(5, 5))
    assert np.allclose(F.correlate2d(f, kernel, "wrap"), ndimage.correlate(f, kernel, mode="wrap"), atol=ATOL)


@pytest.mark.parametrize("name", ["camera", "astronaut"])
def test_convolve2d_zero_padding_matches_scipy_signal(images, rng, name):
    f = images[name].astype(np.float64)
    kernel = rng.normal(size=(3, 5))
    expected = signal.convolve2d(f, kernel, mode="same", boundary="fill", fillvalue=0)
    assert np.allclose(F.convolve2d(f, kernel, "zero"), expected, atol=ATOL)


def test_convolution_flips_the_kernel_correlation_does_not(rng):
    impulse = np.zeros((5, 5)); impulse[2, 2] = 1.0
    kernel = rng.normal(size=(3, 3))
    assert np.allclose(F.convolve2d(impulse, kernel, "zero")[1:4, 1:4], kernel)
    assert np.allclose(F.correlate2d(impulse, kernel, "zero")[1:4, 1:4], kernel[::-1, ::-1])


def test_convolution_is_commutative_on_the_full_support(rng):
    a, b = rng.normal(size=(3, 3)), rng.normal(size=(5, 5))
    big = np.zeros((9, 9)); big[2:7, 2:7] = b              # b with room for a to spread
    small = np.zeros((9, 9)); small[3:6, 3:6] = a
    assert np.allclose(F.convolve2d(big, a, "zero"), F.convolve2d(small, b, "zero"), atol=1e-12)


# ----------------------------------------------------------------------------- Gaussian

@pytest.mark.parametrize("sigma", [0.5, 1.0, 2.5, 4.0])
def test_gaussian_kernel_sums_to_one_and_is_odd_and_symmetric(sigma):
    g = F.gaussian_kernel1d(sigma)
    assert g.size % 2 == 1 and g.size == 2 * int(np.ceil(3 * sigma)) + 1
    assert abs(g.sum() - 1.0) < 1e-12 and np.allclose(g, g[::-1])


@pytest.mark.parametrize("sigma,ksize", [(1.0, 7), (2.0, 5), (3.3, 21)])
def test_gaussian_kernel_matches_cv2(sigma, ksize):
    assert np.allclose(F.gaussian_kernel1d(sigma, ksize), cv2.getGaussianKernel(ksize, sigma).ravel(), atol=1e-12)


@pytest.mark.parametrize("name", ["camera", "coins"])
@pytest.mark.parametrize("sigma", [1.0, 2.5])
def test_gaussian_blur_matches_cv2_float64(images, name, sigma):
    f = images[name].astype(np.float64)
    k = 2 * int(np.ceil(3 * sigma)) + 1
    assert np.allclose(F.gaussian_blur(f, sigma), cv2.GaussianBlur(f, (k, k), sigma), atol=ATOL)


def test_gaussian_blur_matches_cv2_uint8_within_one_level(images):
    img = images["astronaut"]
    ours = np.round(F.gaussian_blur(img, 1.5, ksize=9))
    assert np.abs(ours - cv2.GaussianBlur(img, (9, 9), 1.5)).max() <= 1


def test_separable_gaussian_equals_the_2d_kernel(rng):
    f = _random(rng)
    g = F.gaussian_kernel1d(1.7)
    assert np.allclose(F.gaussian_blur(f, 1.7), F.correlate2d(f, np.outer(g, g)), atol=ATOL)


def test_gaussian_blur_matches_scipy_in_symmetric_mode(rng):
    f = _random(rng)   # scipy: radius int(truncate * sigma + 0.5) = 6 = ours, ceil(3 sigma), for sigma = 2
    assert np.allclose(F.gaussian_blur(f, 2.0, mode="symmetric"),
                       ndimage.gaussian_filter(f, 2.0, mode="reflect", truncate=3.0), atol=ATOL)


# ----------------------------------------------------------------------------- box, median, bilateral

@pytest.mark.parametrize("name", ["camera", "coins"])
def test_box_filter_matches_cv2_blur(images, name):
    f = images[name].astype(np.float64)
    assert np.allclose(F.box_filter(f, 5), cv2.blur(f, (5, 5)), atol=ATOL)


@pytest.mark.parametrize("name", ["camera", "coins"])
@pytest.mark.parametrize("ksize", [3, 5])
def test_median_filter_matches_cv2_medianblur_exactly(images, name, ksize):
    img = images[name]   # cv2.medianBlur pads by replicating the border
    assert np.array_equal(nonlinear.median_filter(img, ksize, mode="replicate"), cv2.medianBlur(img, ksize))


def test_median_filter_matches_scipy_on_random_floats(rng):
    f = rng.normal(size=(31, 29))
    assert np.array_equal(nonlinear.median_filter(f, 7), ndimage.median_filter(f, size=7, mode="mirror"))


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.float32, bool])
def test_median_filter_beyond_the_network_keeps_the_dtype_and_matches_scipy(rng, dtype):
    # ksize 9 takes the readable path (sliding windows + np.partition); exact, a median is an input value
    img = rng.integers(0, 2 if dtype is bool else 200, (24, 19)).astype(dtype)
    ours = nonlinear.median_filter(img, 9, mode="replicate")
    assert ours.dtype == img.dtype
    assert np.array_equal(ours, ndimage.median_filter(img, size=9, mode="nearest"))


def test_median_beats_mean_on_salt_and_pepper(images, rng):
    clean = images["camera"]
    noisy = add_salt_and_pepper(clean, 0.05, rng)
    err_med = np.abs(nonlinear.median_filter(noisy, 3) - clean.astype(float)).mean()   # uint8 in, uint8 out
    err_box = np.abs(F.box_filter(noisy, 3) - clean).mean()
    assert err_med < 0.5 * err_box


@pytest.mark.parametrize("name", ["camera", "coins"])
@pytest.mark.parametrize("d,sigma_color,sigma_space", [(9, 30.0, 3.0), (None, 20.0, 2.0)])
def test_bilateral_matches_cv2_uint8_within_one_level(images, name, d, sigma_color, sigma_space):
    img = images[name]   # OpenCV uses float32 weights and rounds to uint8: at most one level apart
    ours = np.round(nonlinear.bilateral_filter(img, sigma_color, sigma_space, d=d))
    expected = cv2.bilateralFilter(img, 0 if d is None else d, sigma_color, sigma_space)
    diff = np.abs(ours - expected)
    assert diff.max() <= 1 and (diff > 0).mean() < 1e-3


def test_bilateral_with_huge_sigma_color_is_a_gaussian_on_a_disc(rng):
    f = _random(rng)     # w_r -> 1: only the spatial weights remain
    r, s = 2, 1.3
    u, v = np.mgrid[-r:r + 1, -r:r + 1]
    w = np.exp(-(u ** 2 + v ** 2) / (2 * s * s)) * (u ** 2 + v ** 2 <= r * r)
    expected = F.correlate2d(f, w / w.sum())
    assert np.allclose(nonlinear.bilateral_filter(f, 1e9, s, d=5), expected, atol=1e-6)


# ----------------------------------------------------------------------------- derivatives

@pytest.mark.parametrize("name", ["camera", "astronaut"])
def test_sobel_matches_cv2(images, name):
    f = images[name].astype(np.float64)
    gx, gy = derivatives.sobel(f)
    assert np.allclose(gx, cv2.Sobel(f, cv2.CV_64F, 1, 0, ksize=3), atol=ATOL)
    assert np.allclose(gy, cv2.Sobel(f, cv2.CV_64F, 0, 1, ksize=3), atol=ATOL)


def test_derivative_kernels_sum_to_zero_so_flat_images_give_zero():
    flat = np.full((6, 7), 42.0)
    gx, gy = derivatives.sobel(flat)
    assert np.all(gx == 0) and np.all(gy == 0) and np.all(derivatives.laplacian(flat) == 0)


@pytest.mark.parametrize("name", ["coins", "astronaut"])
def test_laplacian_matches_cv2_ksize1(images, name):
    f = images[name].astype(np.float64)
    assert np.allclose(derivatives.laplacian(f), cv2.Laplacian(f, cv2.CV_64F, ksize=1), atol=ATOL)


@pytest.mark.parametrize("name", ["camera", "coins"])
def test_log_equals_cv2_laplacian_of_cv2_gaussian(images, name):
    f = images[name].astype(np.float64)
    expected = cv2.Laplacian(cv2.GaussianBlur(f, (13, 13), 2.0), cv2.CV_64F, ksize=1)
    assert np.allclose(derivatives.laplacian_of_gaussian(f, 2.0), expected, atol=ATOL)


def test_log_is_negative_at_the_centre_of_a_bright_blob():
    yy, xx = np.mgrid[:41, :41]
    blob = np.exp(-((yy - 20) ** 2 + (xx - 20) ** 2) / (2 * 3.0 ** 2))
    resp = derivatives.laplacian_of_gaussian(blob, 2.0)
    assert resp[20, 20] < 0 and np.unravel_index(np.argmin(resp), resp.shape) == (20, 20)


# ----------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("bad,match", [
    (np.zeros((4, 4, 3)), "colour image"),
    (np.zeros((2, 4, 4, 2)), "2-D"),
    (np.zeros(8), "2-D"),
    (np.zeros((4, 4), dtype=complex), "dtype"),
    ([[1, 2], [3, 4]], "NumPy array"),
])
@pytest.mark.parametrize("fn", [lambda x: F.gaussian_blur(x, 1.0), lambda x: nonlinear.median_filter(x, 3),
                                lambda x: derivatives.sobel(x), lambda x: F.correlate2d(x, np.ones((3, 3)))])
def test_bad_images_raise(bad, match, fn):
    with pytest.raises(ValueError, match=match):
        fn(bad)


@pytest.mark.parametrize("sigma", [-1.0, 0.0, float("nan")])
def test_gaussian_rejects_non_positive_sigma(sigma):
    with pytest.raises(ValueError, match="sigma"):
        F.gaussian_kernel1d(sigma)


@pytest.mark.parametrize("call", [lambda: F.gaussian_kernel1d(1.0, 4), lambda: F.box_filter(np.zeros((5, 5)), 2),
                                  lambda: nonlinear.median_filter(np.zeros((5, 5)), 0),
                                  lambda: nonlinear.bilateral_filter(np.zeros((5, 5)), 1.0, 1.0, d=4)])
def test_even_sizes_raise(call):
    with pytest.raises(ValueError, match="odd"):
        call()


def test_even_kernel_shape_and_unknown_mode_raise():
    with pytest.raises(ValueError, match="odd height and width"):
        F.correlate2d(np.zeros((5, 5)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="mode must be one of"):
        F.pad(np.zeros((5, 5)), 1, "mirror")
    with pytest.raises(ValueError, match="radius"):
        F.pad(np.zeros((5, 5)), -1)


# ----------------------------------------------------------------------------- median selection network

def _brute_median(img, k, mode):
    p = F.pad(img, k // 2, mode)   # the plain double loop: the definition, Eq. (2.16)
    H, W = img.shape
    return np.array([[np.median(p[y:y + k, x:x + k]) for x in range(W)] for y in range(H)])


@pytest.mark.parametrize("ksize", [1, 3, 5, 7])
@pytest.mark.parametrize("mode", ["zero", "replicate", "reflect", "symmetric", "wrap"])
@pytest.mark.parametrize("dtype", [np.uint8, np.float64])
def test_median_network_equals_partition_and_the_double_loop(rng, ksize, mode, dtype):
    img = rng.uniform(0, 255, (23, 31)).astype(dtype)   # exact: a median of an odd count is an input
    r = ksize // 2
    expected = SN.median_partition(nonlinear._pad_native(img, r, mode), ksize)
    ours = nonlinear.median_filter(img, ksize, mode)
    assert ours.dtype == dtype                         # a median selects an input: the dtype is kept
    assert np.array_equal(ours, expected) and np.array_equal(ours, _brute_median(img, ksize, mode))


def test_median_network_handles_images_smaller_than_the_window_and_many_bands(rng):
    tiny = rng.integers(0, 255, (2, 3)).astype(np.uint8)   # reflect needs a 2-pixel side; wrap/symmetric do not
    for mode in ("wrap", "symmetric", "replicate", "zero"):
        assert np.array_equal(nonlinear.median_filter(tiny, 7, mode), _brute_median(tiny, 7, mode))
    tall = rng.integers(0, 255, (700, 5)).astype(np.uint8)  # narrow rows: many bands, each a few rows high
    assert np.array_equal(nonlinear.median_filter(tall, 5), SN.median_partition(nonlinear._pad_native(tall, 2, "reflect"), 5))


@pytest.mark.parametrize("name", ["camera", "coins"])
@pytest.mark.parametrize("ksize", [3, 5])
def test_median_network_matches_cv2_medianblur_on_full_images(name, ksize):
    img = load_image(name)   # full size, several bands; cv2.medianBlur replicates the border
    assert np.array_equal(nonlinear.median_filter(img, ksize, mode="replicate"), cv2.medianBlur(img, ksize))


def _network_median(values, k):
    """Run the cached two-stage network on one window given as a (k, k) array (rows, columns)."""
    col_ops, col_out, ops, out = SN.median_network(k)
    cols = []
    for v in range(k):   # stage 1 on column v: inputs are its rows
        vals = {u: values[u, v:v + 1] for u in range(k)}
        SN.run_network(vals, col_ops, 1, values.dtype)
        cols.append([vals[c] for c in col_out])
    grid = {v * k + i: cols[v][i] for v in range(k) for i in range(k)}
    return SN.run_network(grid, ops, 1, values.dtype)[out][0]


def test_median_network_3x3_is_small_and_correct_on_all_binary_inputs():
    col_ops, _, ops, _ = SN.median_network(3)
    comparators = {(a, b) for _, _, a, b, _ in col_ops} | {(a, b) for _, _, a, b, _ in ops}
    assert len(comparators) <= 30   # optimal median-of-9 networks use 19; ours shares column sorts
    for bits in range(2 ** 9):      # 0-1 principle: right on every 0/1 input => right on every input
        x = np.array([(bits >> i) & 1 for i in range(9)], np.uint8).reshape(3, 3)
        assert _network_median(x, 3) == np.median(x)


@pytest.mark.parametrize("k", [5, 7])
def test_median_network_finds_the_median_of_random_permutations(rng, k):
    for _ in range(200):
        x = rng.permutation(k * k).reshape(k, k)
        assert _network_median(x, k) == k * k // 2


# ----------------------------------------------------------------------------- banded separable passes

def _pad_by_index(x, r, mode):
    """The one-line definition of padding that `pad` implements faster: look every pixel up by index."""
    ry, rx = (r, r) if np.isscalar(r) else r
    x = np.asarray(x, dtype=np.float64)
    if F.PAD_MODES[mode] == "zero":
        return np.pad(x, ((ry, ry), (rx, rx)))
    return x[np.ix_(F.pad_index(x.shape[0], ry, ry, mode), F.pad_index(x.shape[1], rx, rx, mode))]


def _simple_separable(x, k, mode):
    """The previous implementation: a whole-image pass along the rows, then one down the columns."""
    r = k.size // 2
    x = np.asarray(x, dtype=np.float64)
    H, W = x.shape
    p = _pad_by_index(x, (0, r), mode)
    rows = sum(k[t] * p[:, t:t + W] for t in range(k.size))
    p = _pad_by_index(rows, (r, 0), mode)
    return sum(k[t] * p[t:t + H, :] for t in range(k.size))


@pytest.mark.parametrize("mode", sorted(F.PAD_MODES))
@pytest.mark.parametrize("shape", [(1, 1), (1, 9), (9, 1), (2, 3), (5, 4), (7, 40), (40, 7)])
@pytest.mark.parametrize("radius", [0, 1, 3, (2, 9), (11, 0)])
def test_pad_equals_the_index_lookup_definition(rng, mode, shape, radius):
    x = _random(rng, shape)   # radii wider than the image too: the border keeps following the rule
    assert np.array_equal(F.pad(x, radius, mode), _pad_by_index(x, radius, mode))   # exact: pure copies


@pytest.mark.parametrize("mode", sorted(F.PAD_MODES))
@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (6, 1), (3, 5), (23, 31), (200, 3), (3, 700), (67, 523)])
def test_gaussian_and_box_bands_equal_the_simple_whole_image_passes(rng, mode, shape):
    # odd shapes, images smaller than the 13-tap kernel, many bands (tall and narrow: 2^14 // 15 rows per
    # band) and one (short and wide). The order of the two passes differs from the simple version, so
    # the sums are rounded differently: ~1e-13 on values up to 255, far inside the file's 1e-9.
    x = _random(rng, shape)
    g = F.gaussian_kernel1d(2.0, 13)
    assert np.allclose(F.gaussian_blur(x, 2.0, 13, mode), _simple_separable(x, g, mode), rtol=0, atol=ATOL)
    b = np.full(5, 1 / 5)
    assert np.allclose(F.box_filter(x, 5, mode), _simple_separable(x, b, mode), rtol=0, atol=ATOL)


def test_banded_gaussian_matches_cv2_on_a_full_image_with_a_partial_last_band():
    f = load_image("camera")[:509].astype(np.float64)   # 509 rows: the last band is shorter
    assert np.allclose(F.gaussian_blur(f, 2.0, 13), cv2.GaussianBlur(f, (13, 13), 2.0), atol=ATOL)


def test_separable_pass_refuses_an_asymmetric_kernel(rng):
    with pytest.raises(ValueError, match="symmetric"):
        S.separable_correlate(F.pad(_random(rng), 1), np.array([1.0, 2.0, 3.0]), np.ones(3))


@pytest.mark.parametrize("mode", ["zero", "replicate", "reflect", "symmetric", "wrap"])
@pytest.mark.parametrize("shape", [(1, 1), (3, 2), (23, 31), (70, 45)])
def test_separable_pass_as_a_matrix_product_equals_the_shifted_sums(rng, mode, shape):
    # canny's blur (banded Toeplitz matrices, BLAS) against gaussian_blur's pass: the same sums in another
    # order, so equal to float64 rounding (atol 1e-12 on values in [0, 255], each a sum of <= 13^2 terms)
    x = rng.uniform(0, 255, shape)
    g = F.gaussian_kernel1d(2.0)                        # 13 taps: wider than the smallest images
    out = np.empty(shape)
    CB.correlate_by_matmul(x, g, g, mode, out=out, block=8)   # several blocks and a cut-short last one
    assert np.allclose(out, F.gaussian_blur(x, 2.0, mode=mode), rtol=0, atol=1e-12)


@pytest.mark.parametrize("band_values", [1, 100, 2 ** 14, 10 ** 7])
def test_separable_pass_does_not_depend_on_its_band_size(rng, band_values):
    # the tuning knob is an argument: one row per band, a few rows, the default, the whole image at once
    x, g = _random(rng, (67, 45)), F.gaussian_kernel1d(1.5)
    p = F.pad(x, g.size // 2)
    assert np.array_equal(S.separable_correlate(p, g, g, band_values), F.gaussian_blur(x, 1.5))
