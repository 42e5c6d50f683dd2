"""Tests of coursekit.image.hough against scikit-image and OpenCV (Chapter 2, Hough transform)."""

import cv2
import numpy as np
import pytest
from skimage import data, draw, feature, transform

from coursekit.image import hough as H

THETAS = np.linspace(-np.pi / 2, np.pi / 2, 180, endpoint=False)  # skimage's default grid
# edge maps from skimage's Canny are inputs here, not the thing under test
EDGES = {name: feature.canny(getattr(data, name)() / 255.0, sigma=2)
         for name in ("camera", "coins", "page", "checkerboard")}


def _random_edges(seed, shape=(90, 70), p=0.03):
    return np.random.default_rng(seed).random(shape) < p


def _lines_image(shape=(120, 160)):
    img = np.zeros(shape, np.uint8)
    cv2.line(img, (10, 100), (150, 20), 255, 1)   # a slanted line
    cv2.line(img, (40, 0), (40, 119), 255, 1)     # a vertical line: slope-intercept cannot hold it
    cv2.line(img, (0, 60), (159, 60), 255, 1)     # a horizontal line
    return img


def _canonical(rho, theta):
    """OpenCV reports theta in [0, pi); (rho, theta) and (-rho, theta - pi) are the same line."""
    return (-rho, theta + np.pi) if theta < 0 else (rho, theta)


@pytest.mark.parametrize("name", list(EDGES))
def test_line_accumulator_equals_skimage_hough_line(name):
    acc, thetas, rhos = H.hough_lines_accumulator(EDGES[name], THETAS)
    ref, ref_t, ref_r = transform.hough_line(EDGES[name], THETAS)
    # same theta grid, same rho bins, same rounding of x cos + y sin: the counts agree exactly
    np.testing.assert_array_equal(rhos, ref_r)
    np.testing.assert_array_equal(acc, ref)


@pytest.mark.parametrize("seed", range(3))
def test_line_accumulator_equals_skimage_on_random_edges(seed):
    e = _random_edges(seed)
    th = np.sort(np.random.default_rng(seed).uniform(-np.pi / 2, np.pi / 2, 50))
    np.testing.assert_array_equal(H.hough_lines_accumulator(e, th)[0], transform.hough_line(e, th)[0])


def test_every_edge_pixel_votes_once_per_angle():
    e = EDGES["coins"]
    acc, _, _ = H.hough_lines_accumulator(e, THETAS)
    np.testing.assert_array_equal(acc.sum(axis=0), np.full(THETAS.size, e.sum()))


def test_line_accumulator_with_coarse_rho_bins_preserves_votes():
    e = EDGES["page"]
    acc, _, rhos = H.hough_lines_accumulator(e, THETAS, rho_res=2.5)
    assert np.allclose(np.diff(rhos), 2.5) and acc.sum() == e.sum() * THETAS.size


def test_line_peaks_match_opencv_houghlines_on_synthetic_lines():
    img = _lines_image()
    acc, th, rh = H.hough_lines_accumulator(img > 0, THETAS)
    votes, pt, pr = H.hough_line_peaks(acc, th, rh, num_peaks=3)
    ours = sorted(_canonical(r, t) for r, t in zip(pr, pt))
    cv = cv2.HoughLines(img, 1, np.pi / 180, 80)[:3, 0]   # OpenCV sorts by votes, strongest first
    ref = sorted((float(r), float(t)) for r, t in cv)
    # both use 1-pixel rho bins and 1-degree theta bins, but round x cos + y sin slightly
    # differently (float32 tables in OpenCV), so we allow one bin in each
    for (r1, t1), (r2, t2) in zip(ours, ref):
        assert abs(r1 - r2) <= 1 and abs(t1 - t2) <= np.pi / 180 + 1e-6


@pytest.mark.parametrize("name", ["camera", "coins", "page"])
def test_strongest_lines_match_opencv_on_real_images(name):
    e = EDGES[name]
    acc, th, rh = H.hough_lines_accumulator(e, THETAS)
    votes, pt, pr = H.hough_line_peaks(acc, th, rh, num_peaks=10, min_distance=3)
    ours = [_canonical(r, t) for r, t in zip(pr, pt)]
    cv = cv2.HoughLines(e.astype(np.uint8) * 255, 1, np.pi / 180, int(votes[2]) - 1)[:3, 0]  # cv keeps votes > threshold
    # OpenCV's three strongest lines are among our ten, within one bin (see the rounding note above)
    for r, t in cv:
        assert any(abs(r - r2) <= 1 and abs(t - t2) <= np.pi / 180 + 1e-6 for r2, t2 in ours), (r, t)


def test_line_peaks_suppress_the_theta_wraparound_twin():
    e = np.zeros((60, 60), bool)
    e[5, :] = True                                   # horizontal: votes at theta = -90° and near +90°
    votes, pt, pr = H.hough_line_peaks(*H.hough_lines_accumulator(e, THETAS), num_peaks=5)
    assert len(votes) == 1 and np.degrees(pt[0]) == -90 and pr[0] == -5


def test_circle_peaks_match_skimage_on_synthetic_circles():
    img = np.zeros((120, 150), bool)
    truth = {(50, 40, 15), (100, 80, 22), (120, 60, 10)}  # (x, y, r)
    for x, y, r in truth:
        rr, cc = draw.circle_perimeter(y, x, r, shape=img.shape)
        img[rr, cc] = True
    radii = np.arange(8, 26)
    scores, centers, found_r = H.hough_circles(img, radii, num_peaks=3)
    assert {(int(x), int(y), int(r)) for (x, y), r in zip(centers, found_r)} == truth
    _, cx, cy, rad = transform.hough_circle_peaks(transform.hough_circle(img, radii), radii, total_num_peaks=3)
    assert set(zip(cx.tolist(), cy.tolist(), rad.tolist())) == truth
    assert np.all(scores > 0.6)  # most of each drawn circle is found (our digital circle differs a bit)


def test_circle_detections_match_skimage_on_coins():
    e = feature.canny(data.coins() / 255.0, sigma=3)
    radii = np.arange(18, 32)
    _, centers, r = H.hough_circles(e, radii, num_peaks=6, min_distance=10)
    # our digital circle is sampled differently from skimage's Bresenham circle, so votes and the order
    # of near-equal peaks differ; each of our 6 coins is one of skimage's 8 strongest within 2 px
    _, cx, cy, rad = transform.hough_circle_peaks(transform.hough_circle(e, radii), radii,
                                                  min_xdistance=10, min_ydistance=10, total_num_peaks=8)
    for (x, y), rr in zip(centers, r):
        d = np.hypot(cx - x, cy - y) + np.abs(rad - rr)
        assert d.min() <= 2, (x, y, rr)


def test_circle_accumulator_full_circle_scores_one():
    yy, xx = np.mgrid[:41, :41]
    ring = np.zeros((41, 41), bool)
    off = H.circle_offsets(8)
    ring[20 + off[:, 1], 20 + off[:, 0]] = True      # exactly our digital circle: offsets are (dx, dy)
    acc = H.hough_circles_accumulator(ring, [8])
    assert acc[0, 20, 20] == 1.0 and acc.max() == 1.0
    counts = H.hough_circles_accumulator(ring, [8], normalize=False)   # the same votes as counts
    assert counts[0, 20, 20] == len(off) and np.array_equal(counts / len(off), acc)


def test_hough_rejects_bad_input():
    with pytest.raises(ValueError, match="2-D"):
        H.hough_lines_accumulator(np.zeros((4, 4, 3), bool))
    with pytest.raises(ValueError, match="empty"):
        H.hough_lines_accumulator(np.zeros((0, 4), bool))
    with pytest.raises(ValueError, match="rho_res must be > 0"):
        H.hough_lines_accumulator(np.zeros((4, 4), bool), rho_res=0)
    with pytest.raises(ValueError, match="thetas is empty"):
        H.hough_lines_accumulator(np.zeros((4, 4), bool), np.array([]))
    with pytest.raises(ValueError, match="shape"):
        H.hough_line_peaks(np.zeros((5, 5)), THETAS, np.arange(5.0))
    with pytest.raises(ValueError, match="radii must be positive integers"):
        H.hough_circles_accumulator(np.zeros((9, 9), bool), [0, 3])
    with pytest.raises(ValueError, match="num_peaks"):
        H.hough_circles(np.zeros((9, 9), bool), [3], num_peaks=0)


def _accumulator_previous(edges, thetas, rho_res=1.0):
    """The previous implementation: every (pixel, angle) vote at once, counted bin-major."""
    h, w = edges.shape
    d = int(np.ceil(np.hypot(h, w) / rho_res))
    ys, xs = np.nonzero(edges)
    rho = xs[:, None] * np.cos(thetas)[None, :] + ys[:, None] * np.sin(thetas)[None, :]
    bins = np.rint(rho / rho_res).astype(np.int64) + d
    flat = bins * thetas.size + np.arange(thetas.size)[None, :]
    return np.bincount(flat.ravel(), minlength=(2 * d + 1) * thetas.size).reshape(2 * d + 1, thetas.size)


@pytest.mark.parametrize("rho_res", [1.0, 2.5, 0.7])
@pytest.mark.parametrize("shape,p", [((1, 1), 1.0), ((3, 200), 0.5), ((300, 400), 0.2), ((50, 60), 0.0)])
def test_blocked_accumulator_equals_the_previous_implementation(shape, p, rho_res):
    # one pixel, none at all, and enough pixels (24K) that the angles are split into many blocks
    e = np.random.default_rng(7).random(shape) < p
    acc, _, rhos = H.hough_lines_accumulator(e, THETAS, rho_res)
    assert acc.dtype == np.int64 and acc.flags.c_contiguous and acc.shape == (rhos.size, THETAS.size)
    np.testing.assert_array_equal(acc, _accumulator_previous(e, THETAS, rho_res))
