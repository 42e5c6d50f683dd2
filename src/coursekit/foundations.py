"""Images as arrays: sampling, quantisation and the PSNR — Chapter 1, *Foundations*.

A digital image is a continuous scene discretised twice: in space (*sampling*,
one value per pixel) and in intensity (*quantisation*, one of ``L`` grey
levels). This module builds both, the zone plate that makes aliasing visible,
and the error measures used to compare an image with a reference (MSE, PSNR).

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

from ._validate import check_array

__all__ = ["mse", "psnr", "sample", "quantize", "upsample_nearest", "zone_plate"]


# ----------------------------------------------------------------------------- validation helpers

def _as_image(x, name: str) -> np.ndarray:
    """A grey (H, W) or colour (H, W, C) image of real numbers, non-empty and finite."""
    if not isinstance(x, np.ndarray):
        raise ValueError(f"{name} must be a NumPy array, got a {type(x).__name__}; wrap it with np.asarray(...).")
    check_array(x, name, ndim=(2, 3), dtype_kind="fiu")
    if x.size == 0:
        raise ValueError(f"{name} is empty (shape {x.shape}).")
    return x


def _check_same_shape(reference: np.ndarray, test: np.ndarray) -> None:
    """Refuse to compare images of different shapes, with a message that says which fix applies."""
    if reference.shape == test.shape:
        return
    if reference.ndim != test.ndim:
        grey, colour = ("reference", "test") if reference.ndim == 2 else ("test", "reference")
        shapes = {"reference": reference.shape, "test": test.shape}
        raise ValueError(
            f"cannot compare a grey image with a colour image: {grey} has shape {shapes[grey]} but "
            f"{colour} has shape {shapes[colour]}; convert the colour one with coursekit.data.rgb_to_gray(...)."
        )
    raise ValueError(
        f"reference and test must have the same shape, got {reference.shape} and {test.shape}; "
        "an error measure compares pixel by pixel, so resize or crop one of them first."
    )


def _check_int(value, name: str, lo: int, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}.")
    value = int(value)
    if value < lo or (hi is not None and value > hi):
        span = f">= {lo}" if hi is None else f"between {lo} and {hi}"
        raise ValueError(f"{name} must be an integer {span}, got {value}.")
    return value


# ----------------------------------------------------------------------------- error measures

def mse(reference: np.ndarray, test: np.ndarray) -> float:
    """Mean squared error between two images of the same shape.

    Parameters
    ----------
    reference : (H, W) or (H, W, C) ndarray of real numbers
        The image taken as ground truth.
    test : ndarray, same shape as ``reference``
        The image being judged (e.g. a compressed or noisy copy).

    Returns
    -------
    float
        ``mean((reference - test) ** 2)``, computed in float64; 0 for identical images.

    Notes
    -----
    Both images are converted to float64 *before* subtracting: for ``uint8``
    arrays, ``a - b`` wraps around (``np.uint8(3) - np.uint8(5) == 254``).

    Examples
    --------
    >>> a = np.array([[0, 10], [20, 30]], dtype=np.uint8)
    >>> b = np.array([[2, 10], [20, 26]], dtype=np.uint8)
    >>> mse(a, b)  # (4 + 0 + 0 + 16) / 4
    5.0

    Defined in Chapter 1, Eq. (1.4).
    """
    _as_image(reference, "reference")
    _as_image(test, "test")
    _check_same_shape(reference, test)
    diff = reference.astype(np.float64) - test.astype(np.float64)  # (H, W) or (H, W, C)
    return float(np.mean(diff * diff))


def psnr(reference: np.ndarray, test: np.ndarray, data_range: float | None = None) -> float:
    """Peak signal-to-noise ratio, in decibels: ``10 log10(R^2 / MSE)``.

    Parameters
    ----------
    reference : (H, W) or (H, W, C) ndarray of real numbers
        The image taken as ground truth.
    test : ndarray, same shape as ``reference``
        The image being judged.
    data_range : float, optional
        ``R``, the distance between the smallest and largest value the image
        format allows (255 for 8-bit images, 1 for float images in [0, 1]).
        May be omitted only when both images are ``uint8`` (then ``R = 255``);
        for any other dtype it must be given, because the dtype alone does not
        say whether a float image lives in [0, 1], [-1, 1] or [0, 255].

    Returns
    -------
    float
        The PSNR in dB; ``inf`` when the images are identical (zero error).

    Notes
    -----
    1. Compute the MSE in float64, Eq. (1.4).
    2. Divide the squared peak ``R ** 2`` by it and take ``10 * log10``, Eq. (1.5).

    Every halving of the RMSE adds about 6.02 dB (``20 log10 2``).

    Examples
    --------
    >>> ref = np.zeros((4, 4), dtype=np.uint8)
    >>> test = ref.copy(); test[0, 0] = 16             # MSE = 16**2 / 16 = 16
    >>> round(psnr(ref, test), 2)                      # 10 log10(255**2 / 16)
    36.09
    >>> psnr(ref / 255.0, test / 255.0, data_range=1.0) == psnr(ref, test)
    True

    Defined in Chapter 1, Eq. (1.5).
    """
    _as_image(reference, "reference")
    _as_image(test, "test")
    _check_same_shape(reference, test)
    if data_range is None:
        if reference.dtype != np.uint8 or test.dtype != np.uint8:
            raise ValueError(
                f"data_range is required unless both images are uint8 (got {reference.dtype} and "
                f"{test.dtype}); pass data_range=1.0 for float images in [0, 1] or 255 for 0..255 values."
            )
        data_range = 255.0
    if isinstance(data_range, bool) or not isinstance(data_range, numbers.Real) or not np.isfinite(data_range) \
            or data_range <= 0:
        raise ValueError(f"data_range must be a finite number > 0, got {data_range!r}.")
    error = mse(reference, test)
    if error == 0.0:
        return float("inf")
    return float(10.0 * np.log10(float(data_range) ** 2 / error))


# ----------------------------------------------------------------------------- sampling

def sample(image: np.ndarray, factor: int, prefilter: bool = False) -> np.ndarray:
    """Keep one pixel in ``factor`` along each axis, optionally averaging each block first.

    Parameters
    ----------
    image : (H, W) or (H, W, C) ndarray of real numbers
        The image to subsample.
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
    2. Point sampling: ``out[i, j] = f[factor * i, factor * j]``, Eq. (1.1).
    3. With the prefilter, split the image into blocks, shape
       ``(H', factor, W', factor)``, and average over the two block axes, Eq. (1.2).

    Examples
    --------
    >>> img = np.arange(16.0).reshape(4, 4)
    >>> sample(img, 2)
    array([[ 0.,  2.],
           [ 8., 10.]])
    >>> sample(img, 2, prefilter=True)   # mean of each 2x2 block
    array([[ 2.5,  4.5],
           [10.5, 12.5]])

    Defined in Chapter 1, Eqs. (1.1) and (1.2).
    """
    _as_image(image, "image")
    factor = _check_int(factor, "factor", 1)
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

    Parameters
    ----------
    image : (H, W) or (H, W, C) ndarray
    factor : int
        ``>= 1``.

    Returns
    -------
    (factor * H, factor * W) or (factor * H, factor * W, C) ndarray, same dtype

    Examples
    --------
    >>> upsample_nearest(np.array([[1, 2]], dtype=np.uint8), 2)
    array([[1, 1, 2, 2],
           [1, 1, 2, 2]], dtype=uint8)
    """
    _as_image(image, "image")
    factor = _check_int(factor, "factor", 1)
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)  # (factor*H, factor*W[, C])


# ----------------------------------------------------------------------------- quantisation

def quantize(image: np.ndarray, levels: int) -> np.ndarray:
    """Quantise an 8-bit image to ``levels`` evenly spaced grey levels between 0 and 255.

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
    2. The index of the nearest level is ``k = round(f / Delta)``, Eq. (1.3).
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

    Defined in Chapter 1, Eq. (1.3).
    """
    _as_image(image, "image")
    if image.dtype != np.uint8:
        raise ValueError(
            f"image must be uint8 with values 0..255, got dtype {image.dtype}; "
            "use coursekit.data.to_uint8(...) to convert a float image in [0, 1]."
        )
    levels = _check_int(levels, "levels", 2, 256)
    k = np.round(image.astype(np.float64) * (levels - 1) / 255.0)  # level index 0..L-1, same shape
    return np.round(k * 255.0 / (levels - 1)).astype(np.uint8)


# ----------------------------------------------------------------------------- a test pattern

def zone_plate(size: int = 256, max_frequency: float = 0.5) -> np.ndarray:
    """A zone plate: concentric rings whose spatial frequency grows linearly with the radius.

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
    makes it reach ``max_frequency`` at ``r = size / 2``. Sampling every ``s``-th
    pixel lowers the Nyquist limit to ``0.5 / s`` cycles per pixel, so every ring
    beyond radius ``size / (2 s)`` (for ``max_frequency = 0.5``) aliases into a
    false, lower-frequency ring pattern.

    Examples
    --------
    >>> z = zone_plate(64)
    >>> z.shape, float(z.min()) >= 0.0, float(z.max()) <= 1.0
    ((64, 64), True, True)
    """
    size = _check_int(size, "size", 8)
    if isinstance(max_frequency, bool) or not isinstance(max_frequency, numbers.Real) \
            or not 0 < max_frequency <= 1:
        raise ValueError(f"max_frequency must be in (0, 1] cycles per pixel, got {max_frequency!r}.")
    c = (size - 1) / 2.0
    y, x = np.mgrid[0:size, 0:size]  # (size, size) each
    r2 = (x - c) ** 2 + (y - c) ** 2  # (size, size) squared distance to the centre
    alpha = np.pi * max_frequency / (size / 2.0)
    return 0.5 + 0.5 * np.cos(alpha * r2)
