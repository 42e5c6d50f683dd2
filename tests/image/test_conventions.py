"""The library's conventions (CONTRIBUTING.md, "Conventions"), held for coursekit.image.

* Points and coordinates are ``(x, y)`` = (column, row); arrays are indexed ``[row, col]``; index tuples into
  an array (accumulator bins, zigzag positions) follow the array's axes and say so.
* Returned pairs come in a stated order: x before y, the quantity before its coordinates, strength first.
* Argument order follows scikit-image where there is a peer; peak-picking arguments are keyword-only.
* dtype in → dtype out: any real grey image (bool as 0/1) → float64 on the input's own scale; operations that
  only select values keep the dtype; 8-bit algorithms take and return uint8; point operations keep uint8 or
  give float64; detectors return bool.
* Output scales are stated: Sobel's gain is 8; Canny's thresholds are in those units of the image as given;
  Hough line votes are counts, circle votes fractions.
* Every public function reads as its steps (fast paths are private) and documents itself (back-link,
  Parameters, Returns, Examples).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import numpy as np
import pytest
from numpydoc.docscrape import FunctionDoc
from skimage import feature

import coursekit.image
from coursekit.data import load_image
from coursekit.image import corners, derivatives, dct, edges, entropy, filters, fourier, hough, intensity, jpeg
from coursekit.image import components, morphology, nonlinear, pyramids, sampling, template, thresholds

# ----------------------------------------------------------------------------- points are (x, y)


def _square(shape=(40, 50), top=10, left=14, h=16, w=20, dy=0, dx=0):
    f = np.zeros(shape)
    f[top + dy:top + dy + h, left + dx:left + dx + w] = 1.0
    return f


def test_harris_corners_are_x_y_points():
    # a rectangle 20 wide (columns 14..33) and 16 tall (rows 10..25): x takes column values, y row values
    xy = corners.harris_corners(_square(), sigma=1.0)
    assert len(xy) == 4
    assert sorted(set(xy[:, 0].tolist())) == [14, 33] and sorted(set(xy[:, 1].tolist())) == [10, 25]


@pytest.mark.parametrize("dx,dy", [(3, 0), (0, 5), (4, -2)])
def test_shifting_the_image_by_dx_dy_moves_every_harris_corner_by_plus_dx_plus_dy(dx, dy):
    before = corners.harris_corners(_square(), sigma=1.0)
    after = corners.harris_corners(_square(dx=dx, dy=dy), sigma=1.0)
    key = lambda p: (int(p[0]), int(p[1]))  # noqa: E731 - compare as sets of points
    assert sorted(map(key, after)) == sorted(map(key, before + [dx, dy]))


def test_hough_circle_centres_are_x_y_points():
    yy, xx = np.mgrid[:30, :60]
    ring = np.abs(np.hypot(yy - 12, xx - 40) - 7) < 0.5          # centre column 40, row 12
    scores, centers, radii = hough.hough_circles(ring, [6, 7, 8], num_peaks=1)
    assert centers.tolist() == [[40, 12]] and radii.tolist() == [7]
    assert 0.75 < scores[0] <= 1.0   # most of the drawn ring lies on our digital circle (measured 0.83)


def test_circle_offsets_are_dx_dy_and_the_accumulator_is_radius_row_col():
    # one edge pixel at (x, y) = (5, 9) votes for the centres (5 + dx, 9 + dy) of every circle through it
    e = np.zeros((20, 16), bool)
    e[9, 5] = True
    off = hough.circle_offsets(4)
    acc = hough.hough_circles_accumulator(e, [4], normalize=False)  # [radius, row, col]
    expected = np.zeros((20, 16))
    expected[9 + off[:, 1], 5 + off[:, 0]] = 1.0
    assert np.array_equal(acc[0], expected)


def test_hough_line_rho_is_measured_with_x_the_column():
    e = np.zeros((30, 12), bool)
    e[:, 7] = True                                                 # the line x = 7 (a column)
    e[20, :] = True                                                # the line y = 20 (a row)
    votes, thetas, rhos = hough.hough_line_peaks(*hough.hough_lines_accumulator(e), threshold=5, num_peaks=2)
    lines = sorted(zip(np.degrees(thetas).round().tolist(), rhos.tolist()))
    assert lines == [(-90.0, -20.0), (0.0, 7.0)] and votes.tolist() == [30, 12]


def test_template_scores_are_indexed_row_col_by_the_top_left_corner():
    img = np.random.default_rng(0).random((20, 30))
    tpl = img[3:8, 17:23]                                          # top-left corner (x, y) = (17, 3)
    score = template.match_template(img, tpl, "ssd")
    assert np.unravel_index(np.argmin(score), score.shape) == (3, 17)


def test_zigzag_positions_are_array_indices_row_col():
    rc = entropy.zigzag_indices(8)
    block = np.arange(64).reshape(8, 8)                            # block[row, col] = 8 row + col
    assert block[rc[:3, 0], rc[:3, 1]].tolist() == [0, 1, 8]       # (0, 0), then right, then down


# ----------------------------------------------------------------------------- pairs in a stated order


def test_sobel_returns_gx_then_gy_with_gain_8():
    yy, xx = np.mgrid[:9, :9].astype(float)
    gx, gy = derivatives.sobel(3.0 * xx)                           # brightness grows to the right
    assert np.allclose(gx[1:-1, 1:-1], 8 * 3.0) and np.allclose(gy[1:-1, 1:-1], 0.0)
    gx, gy = derivatives.sobel(2.0 * yy)                           # brightness grows downwards
    assert np.allclose(gx[1:-1, 1:-1], 0.0) and np.allclose(gy[1:-1, 1:-1], 8 * 2.0)
    step = np.zeros((5, 8)); step[:, 4:] = 10.0                    # a step of height 10: 4 h either side
    assert derivatives.sobel(step)[0][2].tolist() == [0, 0, 0, 40, 40, 0, 0, 0]


def test_gradient_pair_is_magnitude_then_direction_and_down_is_plus_90_degrees():
    yy = np.mgrid[:9, :9][0].astype(float)
    magnitude, direction = edges.gradient_magnitude_direction(yy)  # brighter downwards
    assert np.allclose(magnitude[2:-2, 2:-2], 8.0) and np.allclose(direction[2:-2, 2:-2], np.pi / 2)


def test_detections_come_strength_first():
    e = np.zeros((40, 40), bool); e[:, 5] = True; e[10, 10:30] = True
    votes, thetas, rhos = hough.hough_line_peaks(*hough.hough_lines_accumulator(e), num_peaks=2)
    assert votes.dtype == np.int64 and votes[0] >= votes[1]
    yy, xx = np.mgrid[:40, :40]
    rings = (np.abs(np.hypot(yy - 12, xx - 12) - 6) < 0.5) | (np.abs(np.hypot(yy - 27, xx - 26) - 8) < 0.5)
    rings[27, 18:34] = False                                       # break the second ring: a weaker score
    scores, centers, radii = hough.hough_circles(rings, range(5, 10), num_peaks=2)
    assert scores.dtype == np.float64 and scores[0] > scores[1]
    assert centers.tolist() == [[12, 12], [26, 27]] and radii.tolist() == [6, 8]


# ----------------------------------------------------------------------------- argument order


def test_canny_takes_its_arguments_in_the_order_of_skimage():
    ours = list(inspect.signature(edges.canny).parameters)[:4]
    theirs = list(inspect.signature(feature.canny).parameters)[:4]
    assert ours == theirs == ["image", "sigma", "low_threshold", "high_threshold"]


@pytest.mark.parametrize("fn,names", [
    (hough.find_peaks, ["threshold", "num_peaks", "min_distance"]),
    (hough.hough_line_peaks, ["threshold", "num_peaks", "min_distance"]),
    (hough.hough_circles, ["threshold", "num_peaks", "min_distance"]),
    (corners.harris_corners, ["threshold_rel", "min_distance"]),
    (edges.canny, ["l2", "fast"]),
])
def test_peak_picking_and_switches_are_keyword_only(fn, names):
    params = inspect.signature(fn).parameters
    assert all(params[n].kind is inspect.Parameter.KEYWORD_ONLY for n in names)


# ----------------------------------------------------------------------------- dtype in, dtype out

GREY_DTYPES = [bool, np.uint8, np.int16, np.float32, np.float64]


def _grey(dtype, shape=(24, 32)):
    values = np.random.default_rng(1).integers(0, 2 if dtype is bool else 100, shape)
    return values.astype(dtype)


K3 = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0], [0.5, 0.0, 1.0]])

# any real grey image in, float64 out on the input's own scale
FLOAT_OUT = {
    "pad": lambda x: filters.pad(x, 2),
    "correlate2d": lambda x: filters.correlate2d(x, K3),
    "convolve2d": lambda x: filters.convolve2d(x, K3),
    "gaussian_blur": lambda x: filters.gaussian_blur(x, 1.5),
    "box_filter": lambda x: filters.box_filter(x, 3),
    "laplacian": derivatives.laplacian,
    "laplacian_of_gaussian": lambda x: derivatives.laplacian_of_gaussian(x, 1.0),
    "sobel": lambda x: np.stack(derivatives.sobel(x)),
    "gradient_magnitude_direction": lambda x: np.stack(edges.gradient_magnitude_direction(x)),
    "bilateral_filter": lambda x: nonlinear.bilateral_filter(x, 20.0, 1.5),
    "harris_response": corners.harris_response,
    "window_sums": lambda x: template.window_sums(x, 3, 4),
    "cross_correlation": lambda x: template.cross_correlation(x, x[:3, :4]),
    "match_template": lambda x: template.match_template(x, x[2:6, 3:9], "ssd"),
    "magnitude_spectrum": fourier.magnitude_spectrum,
    "circular_convolve": lambda x: fourier.circular_convolve(x, K3),
    "frequency_filter": lambda x: fourier.frequency_filter(x, fourier.gaussian_transfer(x.shape, 1.0)),
    "block_dct": lambda x: dct.block_dct(x),
    "convolution_theorem": lambda x: np.stack(fourier.convolution_theorem(x, K3)),
    "sample": lambda x: sampling.sample(x, 2, prefilter=True),
    "pyr_down": pyramids.pyr_down,
    "pyr_up": pyramids.pyr_up,
    "gaussian_pyramid": lambda x: pyramids.gaussian_pyramid(x, 3)[-1],
    "laplacian_pyramid": lambda x: pyramids.laplacian_pyramid(x, 3)[0],
}
# the DFT of any real grey image: complex128
COMPLEX_OUT = {"dft2": fourier.dft2}
# only select or copy values: the dtype is kept
KEEP_DTYPE = {
    "erode": lambda x: morphology.erode(x, morphology.square(3)),
    "dilate": lambda x: morphology.dilate(x, morphology.cross(3)),
    "opening": lambda x: morphology.opening(x, morphology.square(3)),
    "closing": lambda x: morphology.closing(x, morphology.disk(1)),
    "boundary": lambda x: morphology.boundary(x, morphology.square(3)),
    "median_filter": lambda x: nonlinear.median_filter(x, 3),
    "median_filter (9x9, no network)": lambda x: nonlinear.median_filter(x, 9),
    "upsample_nearest": lambda x: sampling.upsample_nearest(x, 2),
}
# model an 8-bit algorithm: uint8 only
UINT8_ONLY = {
    "histogram": intensity.histogram,
    "equalize_hist": intensity.equalize_hist,
    "otsu_threshold": intensity.otsu_threshold,
    "quantize": lambda x: sampling.quantize(x, 4),
    "jpeg_compress": lambda x: jpeg.jpeg_compress(x, 50)[0],
    "multi_otsu_thresholds": lambda x: thresholds.multi_otsu_thresholds(x, 3),
    "isodata_threshold": thresholds.isodata_threshold,
    "li_threshold": thresholds.li_threshold,
    "triangle_threshold": thresholds.triangle_threshold,
}
# point operations on [0, L - 1]: uint8 stays uint8, float (or bool) in [0, 1] gives float64
POINT_OPS = {
    "negative": intensity.negative,
    "log_transform": intensity.log_transform,
    "gamma_correct": lambda x: intensity.gamma_correct(x, 0.5),
}
# detectors and masks: any real image in, bool out
BOOL_OUT = {
    "canny": lambda x: edges.canny(x, 1.0, 5, 10),
    "threshold": lambda x: intensity.threshold(x, 0.5),
    "hysteresis_threshold": lambda x: edges.hysteresis_threshold(x, 0.5, 20),
}
# edge maps in (any dtype, nonzero votes), accumulators or detections out; gradient fields in, float64 out
EDGE_MAPS = {"hough_lines_accumulator", "hough_circles_accumulator", "hough_circles", "non_max_suppression",
             "probabilistic_hough_lines"}
# a grey image in, points out: (K, 2) int64 (x, y)
POINTS_OUT = {"harris_corners"}


@pytest.mark.parametrize("dtype", GREY_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", sorted(FLOAT_OUT))
def test_any_real_grey_image_gives_float64_on_its_own_scale(name, dtype):
    x = _grey(dtype)
    out = FLOAT_OUT[name](x)
    assert out.dtype == np.float64, f"{name}({np.dtype(dtype).name}) returned {out.dtype}"
    # the same numbers as float64 give the same answer: nothing is rescaled by the dtype
    np.testing.assert_array_equal(out, FLOAT_OUT[name](x.astype(np.float64)), err_msg=name)


@pytest.mark.parametrize("dtype", GREY_DTYPES, ids=lambda d: np.dtype(d).name)
def test_the_dft_of_any_real_grey_image_is_complex128(dtype):
    x = _grey(dtype)
    assert COMPLEX_OUT["dft2"](x).dtype == np.complex128
    np.testing.assert_array_equal(COMPLEX_OUT["dft2"](x), COMPLEX_OUT["dft2"](x.astype(np.float64)))


@pytest.mark.parametrize("dtype", GREY_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", sorted(KEEP_DTYPE))
def test_operations_that_select_values_keep_the_dtype(name, dtype):
    x = _grey(dtype)
    out = KEEP_DTYPE[name](x)
    assert out.dtype == x.dtype, f"{name}({x.dtype}) returned {out.dtype}"
    if dtype is not bool:                                          # bool's boundary is "and not"
        np.testing.assert_array_equal(out, KEEP_DTYPE[name](x.astype(np.float64)), err_msg=name)


@pytest.mark.parametrize("name", sorted(UINT8_ONLY))
def test_8_bit_algorithms_take_uint8_and_refuse_everything_else(name):
    x = _grey(np.uint8)
    out = UINT8_ONLY[name](x)
    assert isinstance(out, (int, float)) or out.dtype in (np.uint8, np.int64)   # Li's threshold is a float
    for dtype in (bool, np.int16, np.float64):
        with pytest.raises(ValueError, match="uint8"):
            UINT8_ONLY[name](_grey(dtype))


@pytest.mark.parametrize("name", sorted(POINT_OPS))
def test_point_operations_keep_uint8_and_give_float64_for_unit_range_images(name):
    u8 = _grey(np.uint8)
    assert POINT_OPS[name](u8).dtype == np.uint8
    unit = u8 / 100.0
    assert POINT_OPS[name](unit).dtype == np.float64
    mask = _grey(bool)
    np.testing.assert_array_equal(POINT_OPS[name](mask), POINT_OPS[name](mask.astype(np.float64)))
    with pytest.raises(ValueError, match="uint8"):                # L of an int16 image is unknown
        POINT_OPS[name](_grey(np.int16))


@pytest.mark.parametrize("dtype", GREY_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", sorted(BOOL_OUT))
def test_detectors_return_bool_masks(name, dtype):
    x = _grey(dtype)
    out = BOOL_OUT[name](x)
    assert out.dtype == bool and out.shape == x.shape
    np.testing.assert_array_equal(out, BOOL_OUT[name](x.astype(np.float64)), err_msg=name)


def test_every_public_image_function_has_a_dtype_rule():
    # a new function that takes an image must be added to one of the tables above
    tabled = {k.split(" ")[0] for k in [*FLOAT_OUT, *KEEP_DTYPE, *UINT8_ONLY, *POINT_OPS, *BOOL_OUT]}
    tabled |= EDGE_MAPS | POINTS_OUT | set(COMPLEX_OUT)
    takes_image = {name for name in coursekit.image.__all__
                   if inspect.isfunction(f := getattr(coursekit.image, name))
                   and next(iter(inspect.signature(f).parameters), None) in ("image", "edges", "magnitude")}
    assert takes_image - tabled == set()


@pytest.mark.parametrize("dtype", GREY_DTYPES, ids=lambda d: np.dtype(d).name)
def test_connected_components_read_any_mask_as_nonzero(dtype):
    x = _grey(dtype) > 50 if dtype is not bool else _grey(dtype)
    labels, n = components.connected_components(x.astype(dtype))
    assert labels.dtype == np.int32
    np.testing.assert_array_equal(labels, components.connected_components(x.astype(np.float64))[0])


@pytest.mark.parametrize("dtype", GREY_DTYPES, ids=lambda d: np.dtype(d).name)
def test_corners_are_int64_points_for_every_dtype(dtype):
    x = (_square() * (1 if dtype is bool else 200)).astype(dtype)
    xy = corners.harris_corners(x, sigma=1.0)
    assert xy.dtype == np.int64 and xy.shape == (4, 2)
    assert np.array_equal(xy, corners.harris_corners(x.astype(np.float64), sigma=1.0))


@pytest.mark.parametrize("dtype", [bool, np.uint8, np.float64], ids=lambda d: np.dtype(d).name)
def test_edge_maps_vote_with_every_nonzero_pixel_whatever_the_dtype(dtype):
    mask = np.random.default_rng(2).random((30, 40)) < 0.05
    e = mask.astype(dtype) * (255 if dtype is np.uint8 else 1)
    assert np.array_equal(hough.hough_lines_accumulator(e)[0], hough.hough_lines_accumulator(mask)[0])
    assert np.array_equal(hough.hough_circles_accumulator(e, [3]), hough.hough_circles_accumulator(mask, [3]))


# ----------------------------------------------------------------------------- output scales


@pytest.fixture(scope="module")
def coins():
    return load_image("coins")


def test_canny_thresholds_are_on_the_scale_of_the_image_as_given(coins):
    # a uint8 image and its float64 copy have the same values, so the same thresholds give the same edges
    assert np.array_equal(edges.canny(coins, 1.4, 40, 100), edges.canny(coins.astype(np.float64), 1.4, 40, 100))
    # the same picture on [0, 1] needs thresholds 255 times smaller; float32 rounding of the scaled
    # magnitudes can flip a pixel lying exactly at a threshold or tied with a neighbour: ask >= 99.9 % equal
    scaled = edges.canny(coins / 255.0, 1.4, 40 / 255, 100 / 255)
    assert (scaled == edges.canny(coins, 1.4, 40, 100)).mean() >= 0.999


def test_canny_default_thresholds_are_10_and_20_percent_of_the_dtype_maximum(coins):
    assert np.array_equal(edges.canny(coins), edges.canny(coins, 1.0, 25.5, 51.0))
    f = coins / 255.0
    assert np.array_equal(edges.canny(f), edges.canny(f, 1.0, 0.1, 0.2))


def test_hough_line_votes_are_counts_and_circle_votes_fractions():
    e = np.zeros((15, 15), bool)
    e[2:11, 4] = True                                              # 9 pixels on the line x = 4
    acc, _, _ = hough.hough_lines_accumulator(e)
    assert acc.dtype == np.int64 and acc.max() == 9
    off = hough.circle_offsets(5)
    ring = np.zeros((21, 21), bool)
    ring[10 + off[:, 1], 10 + off[:, 0]] = True
    assert hough.hough_circles_accumulator(ring, [5])[0, 10, 10] == 1.0          # a whole circle
    assert hough.hough_circles_accumulator(ring, [5], normalize=False)[0, 10, 10] == len(off)


# ----------------------------------------------------------------------------- readable first, fast behind it

TESTS = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("folder", ["image", "geometry"])
def test_no_test_monkeypatches_the_library(folder):
    # a tuning knob is an argument (band_rows=, band_values=), never a module global a test rewrites
    offenders = [p.name for p in (TESTS / folder).glob("test_*.py")
                 if p.name != Path(__file__).name and re.search(r"monkeypatch\.setattr\(", p.read_text())]
    assert offenders == []


def test_public_functions_do_not_import_private_names_of_other_modules():
    src = Path(coursekit.image.__file__).parent
    pattern = re.compile(r"from coursekit\.[\w.]+ import [^\n]*\b_[a-z]\w*")
    offenders = [p.name for p in src.parent.glob("[ig]*/*.py")
                 if p.parent.name in ("image", "geometry") and pattern.search(p.read_text())]
    assert offenders == []


# ----------------------------------------------------------------------------- docstrings


def _public_functions(package):
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                yield f"{module.__name__}.{name}", obj


def docstring_problems(fn) -> list[str]:
    """What a public docstring lacks: the one-line summary, the back-link right after it, every
    parameter, Returns, Examples, and Notes or References."""
    doc = FunctionDoc(fn)
    problems = []
    if len(doc["Summary"]) != 1:
        problems.append("a one-line summary")
    if not doc["Extended Summary"] or not doc["Extended Summary"][0].startswith("Defined in "):
        problems.append("the back-link 'Defined in ...' right after the summary")
    documented = {n.strip() for p in doc["Parameters"] for n in p.name.split(",")}
    missing = [p for p in inspect.signature(fn).parameters if p not in documented]
    if missing:
        problems.append(f"Parameters {missing}")
    for section in ("Returns", "Examples"):
        if not doc[section]:
            problems.append(section)
    if not (doc["Notes"] or doc["References"]):
        problems.append("Notes or References")
    return problems


@pytest.mark.parametrize("where,fn", list(_public_functions(coursekit.image)),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_every_public_image_function_documents_itself(where, fn):
    assert docstring_problems(fn) == [], where


def test_back_links_cite_labels_not_numbers():
    text = "\n".join(inspect.getsource(fn) for _, fn in _public_functions(coursekit.image))
    assert "Defined in Chapter 2, Eq." not in text and len(re.findall(r"Defined in :ref:`sec-", text)) > 60
