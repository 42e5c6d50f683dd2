"""Bilinear sampling and image warping.

Inverse mapping with bilinear interpolation (:func:`warp_image`), and forward mapping by splatting
(:func:`warp_splat`) to show why inverse mapping is preferred.

Chapter 2 (geometric transformations). ``bilinear_sample`` is reused by RoI Align (Chapter 5) and
flow warping (Chapter 16). Conventions (CONTRIBUTING.md, "Conventions"): coordinates are ``(x, y)`` =
(column, row) with pixel centres at integers; images are indexed ``[row, col]``; a matrix ``H`` maps source
points to destination points (the forward map, as ``cv2.warpPerspective`` takes it); output shapes are
``(H_out, W_out)`` = (rows, columns), as ``skimage.transform.warp``'s ``output_shape``. Images of any real
dtype (bool as 0/1) come back as float64 on their own scale.

References
----------
G. Wolberg, *Digital Image Warping*, IEEE Computer Society Press, 1990, ch. 3 (forward vs inverse mapping).
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array
from coursekit.geometry.transforms import apply_homography, as_homography

__all__ = ["bilinear_sample", "warp_image", "warp_splat"]


def bilinear_sample(image: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Sample an image at real-valued positions ``(x, y)`` by bilinear interpolation; outside pixels count as 0.

    Defined in :ref:`sec-geometric-transforms` (Eq. :eq:`eq-bilinear`).

    Parameters
    ----------
    image : (H, W) or (H, W, C) ndarray
        Any real dtype (bool counts as 0/1), indexed ``[row, col]``.
    x : ndarray of float, shape S
        Column coordinates (pixel centres are integers), finite.
    y : ndarray of float, shape S
        Row coordinates, the same shape as ``x``.

    Returns
    -------
    S or S + (C,) ndarray of float64
        The interpolated values. A neighbour outside the image contributes 0 (like ``BORDER_CONSTANT``
        with value 0, or ``scipy.ndimage.map_coordinates(image, [y, x], order=1, mode="grid-constant")``).

    Notes
    -----
    1. The top-left neighbour ``(x0, y0) = (floor(x), floor(y))`` and the offsets ``a = x - x0``,
       ``b = y - y0`` in [0, 1).
    2. The four neighbours ``I[y0, x0]``, ``I[y0, x0 + 1]``, ``I[y0 + 1, x0]``, ``I[y0 + 1, x0 + 1]``
       (0 outside the image).
    3. ``(1−a)(1−b) I[y0, x0] + a(1−b) I[y0, x0+1] + (1−a) b I[y0+1, x0] + a b I[y0+1, x0+1]``.

    :func:`warp_image` runs the same formula through a fast path (``_bilinear_padded``), held equal by the tests.

    References
    ----------
    G. Wolberg, *Digital Image Warping*, 1990, sec. 5.2 (bilinear interpolation).

    Examples
    --------
    >>> img = np.array([[0.0, 10.0], [20.0, 30.0]])
    >>> bilinear_sample(img, np.array([0.5, 1.0]), np.array([0.5, 0.0]))   # (x, y) = (0.5, 0.5), (1, 0)
    array([15., 10.])
    """
    check_array(image, "image", ndim=(2, 3), dtype_kind="biuf")
    x = check_array(np.asarray(x, dtype=np.float64), "x")
    y = check_array(np.asarray(y, dtype=np.float64), "y")
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape, got {x.shape} and {y.shape}.")
    x0, y0 = np.floor(x), np.floor(y)                     # S 1. the top-left neighbour
    a, b = x - x0, y - y0                                 # S    offsets in [0, 1)
    if image.ndim == 3:
        a, b = a[..., None], b[..., None]                 # S + (1,) to broadcast over channels
    f00, f01 = _pixel(image, x0, y0), _pixel(image, x0 + 1, y0)          # 2. the four neighbours
    f10, f11 = _pixel(image, x0, y0 + 1), _pixel(image, x0 + 1, y0 + 1)
    return (1 - a) * (1 - b) * f00 + a * (1 - b) * f01 + (1 - a) * b * f10 + a * b * f11   # 3.


def _pixel(image: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``image[y, x]`` as float64 at integer-valued positions of shape S, 0 outside: S or S + (C,)."""
    H, W = image.shape[:2]
    inside = (x >= 0) & (x < W) & (y >= 0) & (y < H)      # S
    rows = np.clip(y, 0, H - 1).astype(np.intp)           # S, any index inside; masked below
    cols = np.clip(x, 0, W - 1).astype(np.intp)
    values = image[rows, cols].astype(np.float64)         # S or S + (C,)
    values[~inside] = 0.0
    return values


def _pad_zero_ring(image: np.ndarray) -> np.ndarray:
    """The image with zeros around it (1 pixel before, 2 after), flattened to (P,) or (P, C).

    The ring stands for "outside the image": once a coordinate is clipped to [-1, W], every
    neighbour index lands on a real pixel or on a zero, with no per-pixel masks.
    """
    H, W = image.shape[:2]
    padded = np.zeros((H + 3, W + 3) + image.shape[2:])  # float64 zeros, then one copy of the image
    padded[1:H + 1, 1:W + 1] = image
    return padded.reshape((H + 3) * (W + 3), *image.shape[2:])


def _bilinear_padded(flat: np.ndarray, H: int, W: int, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The fast path of :func:`bilinear_sample` on an image padded by :func:`_pad_zero_ring`; ``x``, ``y`` S.

    The same formula, rearranged as two linear interpolations (along x, then along y) and run in place
    on arrays this function owns; the four neighbours are read through shifted views of the flat image.
    """
    Wp = W + 3  # width of the padded image
    x = np.clip(x, -1.0, W)  # S, a new array; beyond one pixel outside, every neighbour is zero anyway
    y = np.clip(y, -1.0, H)
    x0, y0 = np.floor(x), np.floor(y)  # S, the top-left neighbour
    a, b = np.subtract(x, x0, out=x), np.subtract(y, y0, out=y)  # S, fractional offsets in [0, 1)
    if flat.ndim == 2:
        a, b = a[..., None], b[..., None]  # S + (1,) to broadcast over channels
    y0 *= Wp  # (y0 + 1) * Wp + (x0 + 1): the flat index of I[y0, x0] in the padded image
    y0 += x0
    y0 += Wp + 1
    i00 = y0.astype(np.intp)  # S
    # The other three neighbours sit 1, Wp and Wp + 1 entries further on: index shifted *views* of the
    # image with the same i00 instead of building three more index arrays.
    f00, f01 = flat.take(i00, axis=0), flat[1:].take(i00, axis=0)  # S (+ C): I[y0, x0], I[y0, x0 + 1]
    f10, f11 = flat[Wp:].take(i00, axis=0), flat[Wp + 1:].take(i00, axis=0)  # I[y0 + 1, x0], I[y0 + 1, x0 + 1]
    top = f01
    top -= f00; top *= a; top += f00  # f00 + a (f01 - f00): along x on row y0 ...
    bottom = f11
    bottom -= f10; bottom *= a; bottom += f10  # ... and on row y0 + 1,
    bottom -= top; bottom *= b; bottom += top  # then along y: top + b (bottom - top)
    return bottom


def _check_out_shape(out_shape) -> tuple[int, int]:
    if len(out_shape) != 2 or any(int(s) != s or s < 1 for s in out_shape):
        raise ValueError(f"out_shape must be (H_out, W_out) = (rows, columns) with positive integers, "
                         f"got {out_shape!r}.")
    return int(out_shape[0]), int(out_shape[1])


def _source_coordinates(Hi: np.ndarray, rows: np.ndarray, Wo: int) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y) = π(H⁻¹ [x', y', 1])`` for the destination pixels of ``rows`` (h,): two (h, Wo) arrays."""
    xd = np.arange(Wo, dtype=np.float64)[None, :]  # (1, Wo) destination columns
    yd = rows.astype(np.float64)[:, None]          # (h, 1) destination rows
    u = Hi[0, 0] * xd + (Hi[0, 1] * yd + Hi[0, 2])  # (h, Wo) each: [u, v, w]^T = H^-1 [x', y', 1]^T
    v = Hi[1, 0] * xd + (Hi[1, 1] * yd + Hi[1, 2])
    w = Hi[2, 0] * xd + (Hi[2, 1] * yd + Hi[2, 2])
    far = w == 0                                    # (h, Wo) points at infinity look up nothing
    if far.any():
        w[far], u[far], v[far] = 1.0, -2.0, -2.0
    u /= w                                          # x = u / w and y = v / w, in place
    v /= w
    return u, v


def warp_image(image: np.ndarray, H: np.ndarray, out_shape: tuple[int, int]) -> np.ndarray:
    """Warp an image by ``H`` with inverse mapping: each output pixel looks up ``H⁻¹ [x, y, 1]``, bilinearly.

    Defined in :ref:`sec-geometric-transforms` (Eq. :eq:`eq-inverse-warp`).

    Parameters
    ----------
    image : (H, W) or (H, W, C) ndarray
        The source, any real dtype (bool counts as 0/1).
    H : (3, 3) or (2, 3) ndarray
        The forward map, source ``(x, y)`` → destination ``(x', y')`` (the convention of
        ``cv2.warpPerspective``; ``skimage.transform.warp`` takes the inverse map instead).
    out_shape : (H_out, W_out)
        Rows and columns of the output.

    Returns
    -------
    (H_out, W_out) or (H_out, W_out, C) ndarray of float64
        Every pixel is defined; those that look outside the source are 0.

    Notes
    -----
    1. Invert ``H`` once: the map from destination to source.
    2. For every output pixel ``(x', y')``: the source point ``(x, y) = π(H⁻¹ [x', y', 1])``.
    3. Sample the source there bilinearly (:func:`bilinear_sample`).

    The output is computed in blocks of rows so that every temporary stays in the CPU cache (about 5x
    faster than one 512×512 pass), with an in-place copy of :func:`bilinear_sample`'s formula; the tests
    hold it equal to steps 2-3 on the whole image.

    References
    ----------
    G. Wolberg, *Digital Image Warping*, 1990, ch. 3.

    Examples
    --------
    >>> img = np.arange(9.0).reshape(3, 3)
    >>> warp_image(img, np.array([[1.0, 0, 1], [0, 1, 0]]), (3, 3))   # shift right by one pixel: x' = x + 1
    array([[0., 0., 1.],
           [0., 3., 4.],
           [0., 6., 7.]])
    """
    check_array(image, "image", ndim=(2, 3), dtype_kind="biuf")
    H = as_homography(H)
    if abs(np.linalg.det(H)) < 1e-12:
        raise ValueError("H is singular, so it has no inverse to look pixels up with.")
    Ho, Wo = _check_out_shape(out_shape)
    Hi = np.linalg.inv(H)                                   # (3, 3) 1. destination -> source
    flat = _pad_zero_ring(image)                            # (P,) or (P, C): the source with 0 around it
    out = np.empty((Ho, Wo) + image.shape[2:])
    block = max(1, 16384 // Wo)                             # rows per block: temporaries fit in the cache
    for r in range(0, Ho, block):
        rows = np.arange(r, min(r + block, Ho))             # (h,) destination rows of this block
        x, y = _source_coordinates(Hi, rows, Wo)            # (h, Wo) each 2. where they come from
        out[r:r + rows.size] = _bilinear_padded(flat, image.shape[0], image.shape[1], x, y)   # 3.
    return out  # (Ho, Wo) or (Ho, Wo, C)


def warp_splat(image: np.ndarray, H: np.ndarray, out_shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Warp by forward mapping: splat every source pixel onto ``round(H [x, y, 1])`` — and see the holes.

    Defined in :ref:`sec-geometric-transforms` (Eq. :eq:`eq-inverse-warp`).

    Parameters
    ----------
    image : (H, W) or (H, W, C) ndarray
        The source, any real dtype (bool counts as 0/1).
    H : (3, 3) or (2, 3) ndarray
        The forward map, source ``(x, y)`` → destination ``(x', y')``.
    out_shape : (H_out, W_out)
        Rows and columns of the output.

    Returns
    -------
    out : (H_out, W_out) or (H_out, W_out, C) ndarray of float64
        Destination pixels that no source pixel hit stay 0; where several hit, the last wins.
    hit : (H_out, W_out) ndarray of bool
        Which destination pixels received a value.

    Notes
    -----
    1. Map every source pixel centre ``(x, y)`` through ``H`` (:func:`apply_homography`).
    2. Round to the nearest destination pixel; drop those outside.
    3. Copy the source values there. An enlargement leaves holes, which is why :func:`warp_image` maps the
       other way.

    References
    ----------
    G. Wolberg, *Digital Image Warping*, 1990, ch. 3.

    Examples
    --------
    >>> out, hit = warp_splat(np.ones((2, 2)), np.diag([2.0, 2.0, 1.0]), (4, 4))
    >>> int(hit.sum())  # an upscale by 2 fills only 4 of 16 pixels
    4
    """
    check_array(image, "image", ndim=(2, 3), dtype_kind="biuf")
    H = as_homography(H)
    Ho, Wo = _check_out_shape(out_shape)
    h, w = image.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w]  # (h, w) each: source pixels
    dst = apply_homography(H, np.column_stack([xs.ravel(), ys.ravel()]))  # (h*w, 2) 1. (x', y')
    with np.errstate(invalid="ignore"):
        c, r = np.round(dst[:, 0]), np.round(dst[:, 1])  # (h*w,) 2. nearest destination column and row
        ok = np.isfinite(c) & np.isfinite(r) & (c >= 0) & (c < Wo) & (r >= 0) & (r < Ho)
    out = np.zeros((Ho, Wo) + image.shape[2:])
    hit = np.zeros((Ho, Wo), dtype=bool)
    r, c = r[ok].astype(np.int64), c[ok].astype(np.int64)
    out[r, c] = image.reshape((h * w,) + image.shape[2:])[ok]   # 3.
    hit[r, c] = True
    return out, hit
