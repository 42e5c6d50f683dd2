"""Tests of coursekit.image.hough_segments: properties, and the segments found compared with
scikit-image's and OpenCV's probabilistic Hough on synthetic lines (Chapter 2, probabilistic Hough).

The three implementations visit the pixels in different random orders, so they return different
pieces of the same lines; the tests compare *which lines are found and how much of them is covered*,
never the bits."""

import cv2
import numpy as np
import pytest
from skimage import draw, transform

from coursekit.image import hough_segments as HS

LINES = [((10, 20), (280, 60)), ((52, 190), (60, 10)), ((20, 150), (250, 150)), ((150, 5), (290, 190)),
         ((100, 100), (100, 180))]


def _scene(noise=0.004, seed=0, shape=(200, 300)):
    img = np.zeros(shape, bool)
    for (x0, y0), (x1, y1) in LINES:
        rr, cc = draw.line(y0, x0, y1, x1)
        img[rr, cc] = True
    return img | (np.random.default_rng(seed).random(shape) < noise)


def _distance_to_segment(pts, a, b):
    """Distance from each point (x, y) to the segment a-b."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    t = np.clip(((pts - a) @ (b - a)) / max((b - a) @ (b - a), 1e-12), 0, 1)
    return np.linalg.norm(pts - (a + t[:, None] * (b - a)), axis=1)


def _coverage(segments, line, tol=2.0):
    """Fraction of a true line's pixels within tol px of a found segment lying along that line."""
    (x0, y0), (x1, y1) = line
    rr, cc = draw.line(y0, x0, y1, x1)
    pts = np.column_stack([cc, rr]).astype(float)
    covered = np.zeros(len(pts), bool)
    for a, b in segments:
        ends = np.array([a, b], float)
        if _distance_to_segment(ends, (x0, y0), (x1, y1)).max() <= tol:   # the segment lies on this line
            covered |= _distance_to_segment(pts, a, b) <= tol
    return covered.mean()


def _stray(segments, tol=2.0):
    """Segments whose ends are not both within tol of one true line."""
    return [s for s in segments
            if not any(_distance_to_segment(np.array(s, float), *line).max() <= tol for line in LINES)]


def _opencv(img, threshold, line_length, line_gap):
    out = cv2.HoughLinesP(img.astype(np.uint8) * 255, 1, np.pi / 180, threshold,
                          minLineLength=line_length, maxLineGap=line_gap)
    return [] if out is None else [((a, b), (c, d)) for a, b, c, d in out.reshape(-1, 4).tolist()]


def test_lines_are_covered_as_well_as_by_skimage_and_opencv():
    kw = dict(threshold=10, line_length=30, line_gap=5)
    cover = {"ours": [], "skimage": [], "opencv": []}
    stray = {"ours": 0, "skimage": 0, "opencv": 0}
    for seed in range(8):                                    # 8 noisy scenes, each with its own random order
        img = _scene(seed=seed)
        found = {"ours": [tuple(map(tuple, s)) for s in HS.probabilistic_hough_lines(img, np.random.default_rng(seed), **kw)],
                 "skimage": [tuple(map(tuple, s)) for s in transform.probabilistic_hough_line(img, rng=seed, **kw)],
                 "opencv": _opencv(img, 10, 30, 5)}
        for name, segs in found.items():
            cover[name].append([_coverage(segs, line) for line in LINES])
            stray[name] += len(_stray(segs))
    mean = {name: np.mean(c, axis=0) for name, c in cover.items()}   # (lines,) mean coverage per line
    # A walk follows the angle bin nearest to the line, 1° wide: along the steep line (slope 8/180) it
    # drifts off by a pixel within some tens of rows, so every implementation breaks that line into pieces
    # and loses some of it (mean coverage here about 0.6 to 0.9, depending on the random order). Ours must
    # do at least as well as the weaker oracle, within 5 points, on every line, and find whole every line
    # that both oracles find whole. (The short vertical line crossing the horizontal one is lost by all three
    # in one scene of eight: where the lines cross, the longer line takes the shared pixel.)
    assert np.all(mean["ours"] >= np.minimum(mean["skimage"], mean["opencv"]) - 0.05), mean
    whole = np.minimum(mean["skimage"], mean["opencv"]) >= 0.95
    assert whole.sum() >= 3 and np.all(mean["ours"][whole] >= 0.95), mean
    assert stray["ours"] <= max(stray["skimage"], stray["opencv"])


def test_segments_start_and_end_on_edge_pixels_and_are_long_enough(rng):
    img = _scene(seed=3)
    segs = HS.probabilistic_hough_lines(img, rng, threshold=10, line_length=30, line_gap=5)
    assert segs.shape[1:] == (2, 2) and segs.dtype == np.int64 and len(segs) >= len(LINES)
    assert img[segs[:, :, 1], segs[:, :, 0]].all()                       # (x, y): image[y, x]
    assert np.all(np.abs(segs[:, 1] - segs[:, 0]).max(axis=1) >= 30)


def test_same_generator_same_segments_and_no_edges_no_segments():
    img = _scene(seed=4)
    a = HS.probabilistic_hough_lines(img, np.random.default_rng(7))
    b = HS.probabilistic_hough_lines(img, np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    assert HS.probabilistic_hough_lines(np.zeros((20, 20)), np.random.default_rng(0)).shape == (0, 2, 2)


def test_noise_alone_gives_no_long_segments():
    noise = np.random.default_rng(5).random((150, 150)) < 0.01
    assert len(HS.probabilistic_hough_lines(noise, np.random.default_rng(0), threshold=10, line_length=30)) == 0


def test_a_gap_is_bridged_only_when_short_enough():
    img = np.zeros((40, 120), bool)
    img[20, 5:50] = True
    img[20, 56:110] = True                                                # a gap of 6 missing pixels
    wide = HS.probabilistic_hough_lines(img, np.random.default_rng(0), threshold=15, line_length=20, line_gap=6)
    narrow = HS.probabilistic_hough_lines(img, np.random.default_rng(0), threshold=15, line_length=20, line_gap=5)
    assert len(wide) == 1 and sorted(wide[0, :, 0].tolist()) == [5, 109]
    assert len(narrow) == 2


def test_walk_line_follows_a_diagonal_and_stops_at_the_border():
    m = np.eye(10, dtype=bool)
    ends = HS.walk_line(m, 4, 4, -np.pi / 4, line_gap=0)                  # normal at -45°: the line y = x
    assert sorted(ends) == [(0, 0), (9, 9)]


def test_bad_arguments_are_refused():
    img = _scene()
    with pytest.raises(ValueError, match="rng"):
        HS.probabilistic_hough_lines(img, 0)
    with pytest.raises(ValueError, match="threshold"):
        HS.probabilistic_hough_lines(img, np.random.default_rng(0), threshold=0)
    with pytest.raises(ValueError):
        HS.probabilistic_hough_lines(np.zeros((3, 3, 3)), np.random.default_rng(0))
