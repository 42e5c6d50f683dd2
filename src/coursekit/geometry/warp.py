"""Bilinear sampling and image warping: inverse (backward) mapping with bilinear interpolation, and
forward mapping (splatting) to show why inverse mapping is preferred.

Chapter 2 (geometric transformations). ``bilinear_sample`` is reused by RoI Align (Chapter 5) and
flow warping (Chapter 16). Coordinates are ``(x, y)`` = (column, row).
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array
from coursekit.geometry.transforms import _as_homography, apply_homography

__all__ = ["bilinear_sample", "warp_inverse", "warp_forward"]


def bilinear_sample(image: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Sample an image at real-valued positions by bilinear interpolation; outside pixels count as 0.

    Defined in :ref:`sec-geometric-transforms` (Eq. :eq:`eq-bilinear`).

    ``I(x, y) = (1−a)(1−b) I[y0, x0] + a(1−b) I[y0, x0+1] + (1−a) b I[y0+1, x0] + a b I[y0+1, x0+1]``
    with ``x0 = floor(x)``, ``a = x − x0`` (and ``y0``, ``b`` likewise).

    Parameters
    ----------
    image : (H, W) or (H, W, C) ndarray, real
    x, y : ndarray of float, same shape S
        Column and row coordinates (pixel centres are integers).

    Returns
    -------
    S or S + (C,) ndarray of float64
        A neighbour outside the image contributes 0 (like ``BORDER_CONSTANT`` with value 0).

    Examples
    --------
    >>> img = np.array([[0.0, 10.0], [20.0, 30.0]])
    >>> bilinear_sample(img, np.array([0.5, 1.0]), np.array([0.5, 0.0]))
    array([15., 10.])
    """
    check_array(image, "image", ndim=(2, 3), dtype_kind="fiu")
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape, got {x.shape} and {y.shape}.")
    return _bilinear_padded(_pad_zero_ring(image), image.shape[0], image.shape[1], x, y)


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
    """Eq. :eq:`eq-bilinear` on an image padded by :func:`_pad_zero_ring`; ``x``, ``y`` of shape S."""
    Wp = W + 3  # width of the padded image
    x = np.clip(x, -1.0, W)  # S, a new array; beyond one pixel outside, every neighbour is zero anyway
    y = np.clip(y, -1.0, H)
    x0, y0 = np.floor(x), np.floor(y)  # S, the top-left neighbour
    # From here on the arithmetic runs in place on arrays this function owns: the same formulas,
    # without allocating a fresh temporary for every term.
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
        raise ValueError(f"out_shape must be (H, W) with positive integers, got {out_shape!r}.")
    return int(out_shape[0]), int(out_shape[1])


def warp_inverse(image: np.ndarray, H: np.ndarray, out_shape: tuple[int, int]) -> np.ndarray:
    """Warp by inverse mapping: each output pixel looks up ``H⁻¹ [x, y, 1]`` in the source, bilinearly.

    Defined in :ref:`sec-geometric-transforms` (Eq. :eq:`eq-inverse-warp`).

    Parameters
    ----------
    image : (H, W) or (H, W, C) ndarray, real
    H : (3, 3) or (2, 3) ndarray
        Source → destination map (the convention of ``cv2.warpPerspective``).
    out_shape : (H_out, W_out)

    Returns
    -------
    (H_out, W_out) or (H_out, W_out, C) ndarray of float64
        Every pixel is defined; those that look outside the source are 0.

    Examples
    --------
    >>> img = np.arange(9.0).reshape(3, 3)
    >>> warp_inverse(img, np.array([[1.0, 0, 1], [0, 1, 0]]), (3, 3))
    array([[0., 0., 1.],
           [0., 3., 4.],
           [0., 6., 7.]])
    """
    check_array(image, "image", ndim=(2, 3), dtype_kind="fiu")
    H = _as_homography(H)
    if abs(np.linalg.det(H)) < 1e-12:
        raise ValueError("H is singular, so it has no inverse to look pixels up with.")
    Ho, Wo = _check_out_shape(out_shape)
    Hi = np.linalg.inv(H)  # destination -> source
    flat = _pad_zero_ring(image)  # (P,) or (P, C)
    out = np.empty((Ho, Wo) + image.shape[2:])
    xd = np.arange(Wo, dtype=np.float64)[None, :]  # (1, Wo) destination columns
    # Work through the output in blocks of rows: the same arithmetic, but every temporary stays
    # small enough to live in the CPU cache (about 5x faster than one 512x512 pass).
    block = max(1, 16384 // max(Wo, 1))
    for r in range(0, Ho, block):
        yd = np.arange(r, min(r + block, Ho), dtype=np.float64)[:, None]  # (h, 1) destination rows
        # [u, v, w]^T = H^-1 [x, y, 1]^T for every destination pixel of the block: (h, Wo) each
        u = Hi[0, 0] * xd + (Hi[0, 1] * yd + Hi[0, 2])
        v = Hi[1, 0] * xd + (Hi[1, 1] * yd + Hi[1, 2])
        w = Hi[2, 0] * xd + (Hi[2, 1] * yd + Hi[2, 2])
        far = w == 0  # (h, Wo) points at infinity look up nothing
        if far.any():
            w[far], u[far], v[far] = 1.0, -2.0, -2.0
        u /= w  # (h, Wo) source coordinates x = u / w and y = v / w, in place
        v /= w
        out[r:r + yd.shape[0]] = _bilinear_padded(flat, image.shape[0], image.shape[1], u, v)
    return out  # (Ho, Wo) or (Ho, Wo, C)


def warp_forward(image: np.ndarray, H: np.ndarray, out_shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Warp by forward mapping: send every source pixel to ``round(H [x, y, 1])`` — and see the holes.

    Defined in :ref:`sec-geometric-transforms` (Eq. :eq:`eq-inverse-warp`).

    Parameters
    ----------
    image : (H, W) or (H, W, C) ndarray, real
    H : (3, 3) or (2, 3) ndarray
        Source → destination map.
    out_shape : (H_out, W_out)

    Returns
    -------
    out : (H_out, W_out) or (H_out, W_out, C) ndarray of float64
        Destination pixels that no source pixel hit stay 0; where several hit, the last wins.
    hit : (H_out, W_out) ndarray of bool
        Which destination pixels received a value.

    Examples
    --------
    >>> out, hit = warp_forward(np.ones((2, 2)), np.diag([2.0, 2.0, 1.0]), (4, 4))
    >>> int(hit.sum())  # an upscale by 2 fills only 4 of 16 pixels
    4
    """
    check_array(image, "image", ndim=(2, 3), dtype_kind="fiu")
    H = _as_homography(H)
    Ho, Wo = _check_out_shape(out_shape)
    h, w = image.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w]  # (h, w) each: source pixels
    dst = apply_homography(H, np.column_stack([xs.ravel(), ys.ravel()]))  # (h*w, 2)
    with np.errstate(invalid="ignore"):
        c, r = np.round(dst[:, 0]), np.round(dst[:, 1])  # (h*w,) nearest destination pixel
        ok = np.isfinite(c) & np.isfinite(r) & (c >= 0) & (c < Wo) & (r >= 0) & (r < Ho)
    out = np.zeros((Ho, Wo) + image.shape[2:])
    hit = np.zeros((Ho, Wo), dtype=bool)
    r, c = r[ok].astype(np.int64), c[ok].astype(np.int64)
    out[r, c] = image.reshape((h * w,) + image.shape[2:])[ok]
    hit[r, c] = True
    return out, hit
