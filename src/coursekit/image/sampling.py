"""Images as arrays: sampling and quantisation — Chapter 1, *Foundations*.

A digital image is a continuous scene discretised twice: in space (*sampling*,
one value per pixel) and in intensity (*quantisation*, one of ``L`` grey
levels). This module builds both and the zone plate that makes aliasing
visible; the error measures (MSE, PSNR) live in :mod:`coursekit.metrics.image`.

dtype rules (CONTRIBUTING.md, "Conventions"): grey ``(H, W)`` or colour
``(H, W, C)`` images of any real dtype (bool as 0/1); :func:`sample` returns
float64 on the input's scale, :func:`upsample_nearest` only copies values and
keeps the dtype, :func:`quantize` models an 8-bit algorithm and takes and
returns uint8.

References
----------
- C. E. Shannon, "Communication in the presence of noise", Proc. IRE 37(1), 1949
  (the sampling theorem).
- B. M. Oliver, J. R. Pierce and C. E. Shannon, "The philosophy of PCM",
  Proc. IRE 36(11), 1948 (quantisation noise).
"""

from __future__ import annotations

import numbers

import numpy as np

from coursekit.core.validation import check_array, check_int

__all__ = ["sample", "quantize", "upsample_nearest", "zone_plate"]


def _as_image(x, name: str) -> np.ndarray:
    """A grey (H, W) or colour (H, W, C) image of real numbers (bool included), non-empty and finite."""
    check_array(x, name, ndim=(2, 3), dtype_kind="biuf")
    if x.size == 0:
        raise ValueError(f"{name} is empty (shape {x.shape}).")
    return x


# ----------------------------------------------------------------------------- sampling

def sample(image: np.ndarray, factor: int, prefilter: bool = False) -> np.ndarray:
    """Keep one pixel in ``factor`` along each axis, optionally averaging each block first.

    Defined in :ref:`sec-sampling-aliasing` (Eqs. :eq:`eq-point-sampling` and :eq:`eq-box-prefilter`).

    Parameters
    ----------
    image : (H, W) or (H, W, C) ndarray
        The image to subsample, any real dtype (bool counts as 0/1).
    factor : int
        The sampling step, ``>= 1``. The output has ``H // factor`` rows and
        ``W // factor`` columns (a partial block at the border is dropped).
    prefilter : bool
        ``False``: take the top-left pixel of every ``factor x factor`` block
        (point sampling — aliases). ``True``: take the mean of the block
        (a box low-pass filter, like a sensor pixel integrating the light
        over its area — most of the aliasing is removed).

    Returns
    -------
    (H // factor, W // factor) or (H // factor, W // factor, C) ndarray of float64

    Notes
    -----
    1. Crop to a multiple of ``factor`` in both axes.
    2. Point sampling: ``out[i, j] = f[factor * i, factor * j]``, Eq. :eq:`eq-point-sampling`.
    3. With the prefilter, split the image into blocks, shape
       ``(H', factor, W', factor)``, and average over the two block axes, Eq. :eq:`eq-box-prefilter`.

    Examples
    --------
    >>> img = np.arange(16.0).reshape(4, 4)
    >>> sample(img, 2)
    array([[ 0.,  2.],
           [ 8., 10.]])
    >>> sample(img, 2, prefilter=True)   # mean of each 2x2 block
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """
    _as_image(image, "image")
    factor = check_int(factor, "factor", 1)
    h, w = image.shape[:2]
    if factor > min(h, w):
        raise ValueError(f"factor {factor} is larger than the image ({h}x{w}); the result would be empty.")
    hh, ww = h // factor, w // factor
    f = image[: hh * factor, : ww * factor].astype(np.float64)  # (hh*factor, ww*factor[, C])
    if not prefilter:
        return f[::factor, ::factor].copy()  # (hh, ww[, C])
    blocks = f.reshape(hh, factor, ww, factor, *image.shape[2:])  # (hh, factor, ww, factor[, C])
    return blocks.mean(axis=(1, 3))  # (hh, ww[, C])


def upsample_nearest(image: np.ndarray, factor: int) -> np.ndarray:
    """Blow each pixel up into a ``factor x factor`` square (for showing pixels; keeps the dtype).

    Defined in :ref:`sec-sampling-aliasing`.

    Parameters
    ----------
    image : (H, W) or (H, W, C) ndarray
        Any real dtype (bool included).
    factor : int
        The size of each square, ``>= 1``.

    Returns
    -------
    (factor * H, factor * W) or (factor * H, factor * W, C) ndarray, same dtype as ``image``
        ``out[r, c] = image[r // factor, c // factor]``: values are copied, never interpolated.

    Notes
    -----
    ``np.repeat`` along the rows, then along the columns. Matplotlib's ``interpolation="nearest"`` shows
    the same squares; this makes them part of the array, e.g. to compare sizes side by side.

    References
    ----------
    R. C. Gonzalez and R. E. Woods, *Digital Image Processing*, 4th ed., sec. 2.6 (image interpolation).

    Examples
    --------
    >>> upsample_nearest(np.array([[1, 2]], dtype=np.uint8), 2)
    array([[1, 1, 2, 2],
           [1, 1, 2, 2]], dtype=uint8)
    """
    _as_image(image, "image")
    factor = check_int(factor, "factor", 1)
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)  # (factor*H, factor*W[, C])


# ----------------------------------------------------------------------------- quantisation

def quantize(image: np.ndarray, levels: int) -> np.ndarray:
    """Quantise an 8-bit image to ``levels`` evenly spaced grey levels between 0 and 255.

    Defined in :ref:`sec-quantisation` (Eq. :eq:`eq-uniform-quantiser`).

    Parameters
    ----------
    image : (H, W) or (H, W, C) ndarray of uint8
        Values 0..255 (this models re-quantising an 8-bit image, so uint8 is required).
    levels : int
        ``L``, the number of grey levels, from 2 (black and white) to 256 (unchanged).

    Returns
    -------
    ndarray of uint8, same shape
        Every value is one of the ``L`` levels ``round(k * 255 / (L - 1))``, ``k = 0 .. L-1``.

    Notes
    -----
    1. The step between levels is ``Delta = 255 / (L - 1)``.
    2. The index of the nearest level is ``k = round(f / Delta)``, Eq. :eq:`eq-uniform-quantiser`.
    3. The output is that level, ``round(k * Delta)``, rounded to an integer for uint8.

    ``np.round`` rounds halves to even; ``f / Delta`` is never exactly halfway
    between two integers for integer ``f``, so step 2 has no ties. The result
    is idempotent, and ``|f - q(f)| <= Delta / 2 + 1/2`` (half a step, plus
    the rounding of the level to an integer).

    Examples
    --------
    >>> quantize(np.array([[0, 60, 70, 200, 255]], dtype=np.uint8), 2)
    array([[  0,   0,   0, 255, 255]], dtype=uint8)
    >>> quantize(np.array([[0, 60, 70, 200, 255]], dtype=np.uint8), 3)
    array([[  0,   0, 128, 255, 255]], dtype=uint8)
    """
    _as_image(image, "image")
    if image.dtype != np.uint8:
        raise ValueError(
            f"image must be uint8 with values 0..255, got dtype {image.dtype}; "
            "use coursekit.data.to_uint8(...) to convert a float image in [0, 1]."
        )
    levels = check_int(levels, "levels", 2, 256)
    k = np.round(image.astype(np.float64) * (levels - 1) / 255.0)  # level index 0..L-1, same shape
    return np.round(k * 255.0 / (levels - 1)).astype(np.uint8)


# ----------------------------------------------------------------------------- a test pattern

def zone_plate(size: int = 256, max_frequency: float = 0.5) -> np.ndarray:
    """A zone plate: concentric rings whose spatial frequency grows linearly with the radius.

    Defined in :ref:`sec-sampling-aliasing`.

    Parameters
    ----------
    size : int
        Side of the square image, ``>= 8``.
    max_frequency : float
        Local frequency, in cycles per pixel, at the middle of each edge
        (radius ``size / 2``); 0.5 is the Nyquist limit of the full grid. Must be in (0, 1].

    Returns
    -------
    (size, size) ndarray of float64
        ``0.5 + 0.5 cos(pi * max_frequency * r**2 / (size / 2))`` with ``r`` the distance to the
        centre in pixels; values in [0, 1].

    Notes
    -----
    The phase is ``phi(r) = alpha r^2`` so the local frequency is
    ``phi'(r) / (2 pi) = alpha r / pi``; choosing ``alpha = pi * max_frequency / (size / 2)``
    makes it reach ``max_frequency`` at ``r = size / 2``. It keeps growing towards the
    corners (``r = size / sqrt(2)``), where it is ``sqrt(2) * max_frequency`` (0.71 cycles
    per pixel for the default): above 0.5 as a radial frequency, but a square grid holds
    a frequency as long as each *component* is below 0.5, and the components there are
    ``max_frequency`` each, so with the default the corners sit on the grid's Nyquist
    limit (the corner of its square passband), as the middles of the edges do. A
    ``max_frequency`` above 0.5 makes the full-resolution plate alias.

    As a vector, the local frequency at the offset ``(u, v)`` from the centre is
    ``(u, v) * max_frequency / (size / 2)`` cycles per pixel. Sampling every ``s``-th
    pixel lowers the Nyquist limit to ``0.5 / s``, so every ring beyond radius
    ``size / (2 s)`` (for ``max_frequency = 0.5``) aliases: each component folds back by a
    multiple of the new sampling rate ``1 / s``. The aliased frequency is zero, which is
    the centre of a false ring pattern, wherever both components are multiples of ``1 / s``:
    on a square lattice of spacing ``size / (2 s max_frequency)`` pixels around the centre
    (64 px for ``size = 256``, ``s = 4``): halfway to the edges, at the edges and at the
    corners.

    References
    ----------
    C. E. Shannon, "Communication in the presence of noise", Proc. IRE 37(1), 1949.

    Examples
    --------
    >>> z = zone_plate(64)
    >>> z.shape, float(z.min()) >= 0.0, float(z.max()) <= 1.0
    ((64, 64), True, True)
    """
    size = check_int(size, "size", 8)
    if isinstance(max_frequency, bool) or not isinstance(max_frequency, numbers.Real) \
            or not 0 < max_frequency <= 1:
        raise ValueError(f"max_frequency must be in (0, 1] cycles per pixel, got {max_frequency!r}.")
    c = (size - 1) / 2.0
    y, x = np.mgrid[0:size, 0:size]  # (size, size) each
    r2 = (x - c) ** 2 + (y - c) ** 2  # (size, size) squared distance to the centre
    alpha = np.pi * max_frequency / (size / 2.0)
    return 0.5 + 0.5 * np.cos(alpha * r2)
