"""The progressive probabilistic Hough transform: line *segments*, found while voting.

Chapter 2 (Image processing), section "Probabilistic Hough". The standard transform
(:mod:`coursekit.image.hough`) makes every edge pixel vote and returns infinite lines. Matas, Galambos and
Kittler's progressive version votes with the pixels one at a time in random order; as soon as a bin
reaches the threshold, it walks along that line from the pixel to find the segment's two ends, removes the
segment's pixels from the image and takes their votes back, so each line is paid for once and most pixels
never vote at all. It returns end points, which is what an application (lane marks, document lines) needs.

Conventions (CONTRIBUTING.md): points are ``(x, y)`` = (column, row); lines are ``rho = x cos theta + y sin
theta`` with the angles of :func:`coursekit.image.hough.hough_lines_accumulator`; randomness comes only
from ``rng``. The oracles are ``skimage.transform.probabilistic_hough_line`` and ``cv2.HoughLinesP``, which
share the argument names ``threshold``, ``line_length`` (``minLineLength``) and ``line_gap``
(``maxLineGap``); the random order differs, so the tests compare the segments found, not bits.

References
----------
- J. Matas, C. Galambos and J. Kittler, "Robust detection of lines using the progressive probabilistic
  Hough transform", Computer Vision and Image Understanding 78(1), 2000.
"""

from __future__ import annotations

import math

import numpy as np

from coursekit.core.validation import check_array, check_int, check_rng

__all__ = ["walk_line", "probabilistic_hough_lines"]


def walk_line(mask: np.ndarray, x: int, y: int, theta: float, line_gap: int) -> tuple[tuple[int, int], ...]:
    """From the pixel ``(x, y)``, walk both ways along the line of normal angle ``theta``; return its ends.

    Defined in :ref:`sec-probabilistic-hough` (Eq. :eq:`eq-pphough-walk`).

    Parameters
    ----------
    mask : (H, W) ndarray of bool
        The edge pixels still available.
    x, y : int
        The start, an edge pixel ``(x, y)`` = (column, row) on the line.
    theta : float
        The angle of the line's normal, radians; the line runs along ``(-sin theta, cos theta)``.
    line_gap : int
        How many missing pixels in a row the walk steps over before it stops, >= 0.

    Returns
    -------
    tuple of two (int, int)
        The last edge pixel ``(x, y)`` met in each direction (the start itself if none).

    Notes
    -----
    The walk steps one pixel along the axis the line runs closer to, and rounds the other coordinate, so
    it visits one pixel per row or column, like Bresenham's line. It stops at the image border or after
    ``line_gap + 1`` missing pixels in a row.

    Examples
    --------
    >>> m = np.zeros((5, 9), dtype=bool); m[2, 1:4] = True; m[2, 6:8] = True    # a gap of 2 pixels
    >>> walk_line(m, 2, 2, np.pi / 2, line_gap=2), walk_line(m, 2, 2, np.pi / 2, line_gap=1)
    (((1, 2), (7, 2)), ((1, 2), (3, 2)))
    """
    H, W = mask.shape
    dx, dy = -math.sin(theta), math.cos(theta)                    # the line's direction
    if abs(dx) >= abs(dy):                                        # mostly horizontal: one column per step
        sx, sy = 1.0, dy / dx
    else:                                                         # mostly vertical: one row per step
        sx, sy = dx / dy, 1.0
    ends = []
    for sign in (-1.0, 1.0):                                      # backwards, then forwards
        end, gap, k = (x, y), 0, 1
        while True:
            px = math.floor(x + sign * k * sx + 0.5)              # round to a pixel
            py = math.floor(y + sign * k * sy + 0.5)
            if not (0 <= px < W and 0 <= py < H):
                break
            if mask[py, px]:
                end, gap = (px, py), 0
            else:
                gap += 1
                if gap > line_gap:
                    break
            k += 1
        ends.append(end)
    return tuple(ends)


def _pixels_between(a: tuple[int, int], b: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Pixels ``(xs, ys)`` of the digital segment from ``a`` to ``b`` (one per row or column)."""
    n = max(abs(b[0] - a[0]), abs(b[1] - a[1])) + 1
    t = np.linspace(0.0, 1.0, n)
    xs = np.floor(a[0] + t * (b[0] - a[0]) + 0.5).astype(int)
    ys = np.floor(a[1] + t * (b[1] - a[1]) + 0.5).astype(int)
    return xs, ys


def probabilistic_hough_lines(edges: np.ndarray, rng: np.random.Generator, *, threshold: int = 10,
                              line_length: int = 50, line_gap: int = 10,
                              thetas: np.ndarray | None = None) -> np.ndarray:
    """Line segments by the progressive probabilistic Hough transform (Matas et al.).

    Defined in :ref:`sec-probabilistic-hough` (Eq. :eq:`eq-pphough-walk`).

    Parameters
    ----------
    edges : (H, W) ndarray
        The edge map, bool or any real dtype; nonzero pixels are edges.
    rng : np.random.Generator
        Orders the pixels (the only randomness).
    threshold : int
        Votes a ``(rho, theta)`` bin needs before a segment is looked for, >= 1.
    line_length : int
        Shortest segment kept, in pixels along its longer axis (``max(|x1 - x0|, |y1 - y0|)``), >= 0.
    line_gap : int
        Longest run of missing pixels a segment may bridge, >= 0.
    thetas : (T,) ndarray of float, optional
        Normal angles in radians; default 180 angles in ``[-pi/2, pi/2)``.

    Returns
    -------
    (N, 2, 2) ndarray of int64
        Segment ``i`` runs from the point ``out[i, 0]`` to ``out[i, 1]``, each ``(x, y)`` = (column, row),
        in the order found.

    Notes
    -----
    1. Put the edge pixels in random order.
    2. Take the next pixel still in the image; it votes for every ``(rho, theta)`` line through it.
    3. If its best bin has fewer than ``threshold`` votes, go to 2.
    4. Walk both ways along that line from the pixel, bridging gaps of up to ``line_gap`` pixels
       (:func:`walk_line`): the two ends of the segment.
    5. Remove the segment's pixels from the image.
    6. If the segment is at least ``line_length`` long, keep it and take back the votes of its pixels that
       had voted; go to 2. (A short piece keeps its votes, as in OpenCV and scikit-image, so the rest of a
       line that the walk lost — e.g. along a neighbouring angle bin — still reaches the threshold soon.)

    References
    ----------
    J. Matas, C. Galambos and J. Kittler, "Robust detection of lines using the progressive probabilistic
    Hough transform", CVIU 78(1), 2000.

    Examples
    --------
    >>> img = np.zeros((20, 30), dtype=bool); img[5, 3:21] = True; img[2:19, 27] = True
    >>> segs = probabilistic_hough_lines(img, np.random.default_rng(0), threshold=10, line_length=10,
    ...                                  line_gap=3)
    >>> sorted(sorted(map(tuple, s.tolist())) for s in segs)
    [[(3, 5), (20, 5)], [(27, 2), (27, 18)]]
    """
    check_array(edges, "edges", ndim=2, dtype_kind="biuf")
    rng = check_rng(rng)
    threshold = check_int(threshold, "threshold", 1)
    line_length = check_int(line_length, "line_length", 0)
    line_gap = check_int(line_gap, "line_gap", 0)
    if thetas is None:
        thetas = np.linspace(-np.pi / 2, np.pi / 2, 180, endpoint=False)
    thetas = check_array(np.asarray(thetas, dtype=np.float64), "thetas", ndim=1)
    mask = edges != 0                                                  # (H, W) pixels still in the image
    H, W = mask.shape
    T = thetas.size
    offset = int(np.ceil(np.hypot(H, W)))                              # rho bin of rho = 0
    acc = np.zeros((2 * offset + 1) * T, dtype=np.int64)               # [rho bin, theta bin], flattened
    ys, xs = np.nonzero(mask)                                          # (P,) the edge pixels
    rho = np.floor(xs[:, None] * np.cos(thetas) + ys[:, None] * np.sin(thetas) + 0.5).astype(np.int64)
    bins = (rho + offset) * T + np.arange(T)                           # (P, T) each pixel's T bins in acc
    index = np.full(mask.shape, -1, dtype=np.int64)
    index[ys, xs] = np.arange(xs.size)                                 # (H, W) pixel -> its row of bins
    voted = np.zeros(xs.size, dtype=bool)
    segments = []
    for i in rng.permutation(xs.size).tolist():                        # 1. random order
        x, y = int(xs[i]), int(ys[i])
        if not mask[y, x]:                                             # removed with an earlier segment
            continue
        acc[bins[i]] += 1                                              # 2. vote for every line through it
        voted[i] = True
        best = int(np.argmax(acc[bins[i]]))
        if acc[bins[i, best]] < threshold:                             # 3. no line is sure yet
            continue
        a, b = walk_line(mask, x, y, thetas[best], line_gap)           # 4. the segment's ends
        px, py = _pixels_between(a, b)
        on = index[py, px][mask[py, px]]                               # its edge pixels still present
        mask[ys[on], xs[on]] = False                                   # 5. remove them from the image
        if max(abs(b[0] - a[0]), abs(b[1] - a[1])) >= line_length:     # 6. long enough to keep:
            undo = on[voted[on]]
            for j in undo.tolist():                                    #    take back their votes
                acc[bins[j]] -= 1
            voted[undo] = False
            segments.append((a, b))
    return np.array(segments, dtype=np.int64).reshape(-1, 2, 2)
