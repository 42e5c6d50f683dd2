"""Linear and non-linear neighbourhood filters: padding, correlation, convolution, smoothing, derivatives.

Chapter 2 (Image processing), sections on filtering. dtype rule (CONTRIBUTING.md, "Conventions"): every
function takes a 2-D grey image of any real dtype (bool counts as 0/1) and returns float64 on the input's own
scale (a uint8 image gives results in 0..255 units; nothing is rescaled).

Border (padding) modes, with the names other libraries use for the same rule (``abcdefgh`` is a row):

=============  ==========================  ====================  =====================  ==============
coursekit      padded row                  OpenCV ``BORDER_*``   NumPy ``np.pad``       SciPy ndimage
=============  ==========================  ====================  =====================  ==============
``zero``       ``000|abcdefgh|000``        ``CONSTANT`` (0)      ``constant``           ``constant``
``replicate``  ``aaa|abcdefgh|hhh``        ``REPLICATE``         ``edge``               ``nearest``
``reflect``    ``dcb|abcdefgh|gfe``        ``REFLECT_101``       ``reflect``            ``mirror``
``symmetric``  ``cba|abcdefgh|hgf``        ``REFLECT``           ``symmetric``          ``reflect``
``wrap``       ``fgh|abcdefgh|abc``        ``WRAP``              ``wrap``               ``wrap``
=============  ==========================  ====================  =====================  ==============

``constant`` and ``edge`` are accepted as aliases of ``zero`` and ``replicate``. The default, ``reflect``,
is OpenCV's default (``BORDER_DEFAULT``), so results can be compared with OpenCV pixel for pixel.

References
----------
R. C. Gonzalez and R. E. Woods, *Digital Image Processing*, 4th ed., ch. 3 (spatial filtering).
"""

from __future__ import annotations

import math

import numpy as np

from coursekit.core.validation import (
    as_float_image,
    check_array,
    check_choice,
    check_int,
    check_odd_size,
    check_positive,
)
from coursekit.image._separable import separable_correlate

__all__ = [
    "PAD_MODES", "pad_index", "pad", "correlate2d", "convolve2d", "gaussian_kernel1d", "gaussian_blur", "box_filter",
]

#: Border modes and their aliases (alias → canonical name).
PAD_MODES = {"zero": "zero", "constant": "zero", "replicate": "replicate", "edge": "replicate",
             "reflect": "reflect", "symmetric": "symmetric", "wrap": "wrap"}


def pad_index(n: int, before: int, after: int, mode: str) -> np.ndarray:
    """The border rule ``m(i)``: where each position of a padded row reads from in the original row.

    Defined in :ref:`sec-convolution` (Eq. :eq:`eq-reflect-padding`).

    Parameters
    ----------
    n : int
        Length of the original row (or column), >= 1.
    before, after : int
        Positions added before and after it, >= 0 (any number, also more than ``n``).
    mode : {"zero", "replicate", "reflect", "symmetric", "wrap"}
        The border rule, see the module docstring (aliases accepted). For ``"zero"`` the padded positions
        have no source; they are given the index of the nearest pixel, and :func:`pad` overwrites them.

    Returns
    -------
    (before + n + after,) ndarray of int64
        ``out[j]`` is the index in ``0..n-1`` that padded position ``j`` copies.

    Notes
    -----
    The rules are periodic: ``wrap`` has period ``n``, ``symmetric`` (edge repeated) ``2n`` and ``reflect``
    (edge not repeated) ``2n - 2``; each folds ``i mod period`` back into the row.

    References
    ----------
    OpenCV, ``cv::borderInterpolate`` (the same rule, one index at a time).

    Examples
    --------
    >>> pad_index(4, 2, 2, "reflect")       # c b | a b c d | c b
    array([2, 1, 0, 1, 2, 3, 2, 1])
    >>> pad_index(4, 2, 2, "wrap")
    array([2, 3, 0, 1, 2, 3, 0, 1])
    """
    n, before, after = check_int(n, "n", 1), check_int(before, "before", 0), check_int(after, "after", 0)
    mode = PAD_MODES[check_choice(mode, "mode", PAD_MODES)]
    i = np.arange(-before, n + after)                     # (before + n + after,) positions
    if mode == "zero":                                    # no source: point at the nearest pixel
        return np.clip(i, 0, n - 1)
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    if mode == "wrap":
        return i % n
    if mode == "symmetric":                               # period 2n: a b c | c b a
        j = i % (2 * n)
        return np.where(j < n, j, 2 * n - 1 - j)
    if n == 1:                                            # "reflect": a 1-pixel row has only itself
        return np.zeros_like(i)
    j = i % (2 * n - 2)                                   # period 2n-2: a b c | b a (edge not repeated)
    return np.where(j < n, j, 2 * n - 2 - j)


def pad(image, radius, mode: str = "reflect", value: float = 0.0) -> np.ndarray:
    """Pad a grey image by ``radius`` pixels on each side, following a border rule.

    Defined in :ref:`sec-convolution` (Eq. :eq:`eq-reflect-padding`).

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype (bool counts as 0/1).
    radius : int or (int, int)
        Rows added above and below, columns added left and right (``(ry, rx)``).
    mode : {"zero", "replicate", "reflect", "symmetric", "wrap"}
        The border rule (see the module docstring); ``"constant"`` and ``"edge"`` are aliases.
    value : float
        The fill value of the ``zero``/``constant`` mode.

    Returns
    -------
    (H + 2 ry, W + 2 rx) ndarray of float64
        ``out[ry + r, rx + c] = image[r, c]``; the border follows :func:`pad_index`.

    Notes
    -----
    Only the four border strips are looked up through :func:`pad_index`; the middle is a plain copy.

    References
    ----------
    OpenCV, ``cv::copyMakeBorder``; NumPy, ``np.pad`` (the same rules under other names, see above).

    Examples
    --------
    >>> row = np.array([[1, 2, 3]])
    >>> pad(row, (0, 2), "reflect"), pad(row, (0, 2), "replicate")[0]
    (array([[3., 2., 1., 2., 3., 2., 1.]]), array([1., 1., 1., 2., 3., 3., 3.]))
    """
    x = as_float_image(image)
    mode = PAD_MODES[check_choice(mode, "mode", PAD_MODES)]
    ry, rx = (radius, radius) if np.isscalar(radius) else tuple(radius)
    if int(ry) != ry or int(rx) != rx or ry < 0 or rx < 0:
        raise ValueError(f"radius must be a non-negative integer or a pair of them, got {radius!r}.")
    ry, rx = int(ry), int(rx)
    H, W = x.shape
    if mode == "zero":
        out = np.full((H + 2 * ry, W + 2 * rx), float(value))
        out[ry:ry + H, rx:rx + W] = x
        return out
    rows = pad_index(H, ry, ry, mode)                    # (H + 2 ry,) source row of each padded row
    cols = pad_index(W, rx, rx, mode)                    # (W + 2 rx,) source column of each padded column
    # out = x[np.ix_(rows, cols)], but only the border strips are looked up by index (the middle is a
    # plain copy, and an index lookup per pixel of the whole image costs ~10x more).
    out = np.empty((H + 2 * ry, W + 2 * rx))
    out[ry:ry + H, rx:rx + W] = x
    out[:ry, rx:rx + W] = x[rows[:ry]]                    # (ry, W) rows above
    out[ry + H:, rx:rx + W] = x[rows[ry + H:]]            # (ry, W) rows below
    out[:, :rx] = out[:, rx + cols[:rx]]                  # (H + 2 ry, rx) columns left, corners included
    out[:, rx + W:] = out[:, rx + cols[rx + W:]]          # (H + 2 ry, rx) columns right
    return out                                            # (H + 2 ry, W + 2 rx)


def _check_kernel(kernel) -> np.ndarray:
    kernel = check_array(np.asarray(kernel) if isinstance(kernel, (list, tuple)) else kernel,
                         "kernel", ndim=2, dtype_kind="biuf")
    if kernel.shape[0] % 2 == 0 or kernel.shape[1] % 2 == 0:
        raise ValueError(f"kernel must have odd height and width so it has a centre pixel, "
                         f"got shape {kernel.shape}.")
    return kernel.astype(np.float64)


def correlate2d(image, kernel, mode: str = "reflect", value: float = 0.0) -> np.ndarray:
    """Cross-correlation ``g[r, c] = sum_{i,j} h[i, j] f[r + i, c + j]``, output the size of the input.

    Defined in :ref:`sec-convolution` (Eq. :eq:`eq-correlation`).

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype (bool counts as 0/1).
    kernel : (kh, kw) array_like
        Weights ``h``, indexed ``[row, col]`` with the offsets ``i, j`` counted from its centre pixel
        ``[kh // 2, kw // 2]``; kh and kw odd.
    mode : str
        Border rule, see :func:`pad`.
    value : float
        Fill value of the ``"zero"`` border.

    Returns
    -------
    (H, W) ndarray of float64
        ``cv2.filter2D`` (which correlates) and ``scipy.ndimage.correlate`` with the same border.

    Notes
    -----
    Vectorised as a sum of kh*kw shifted copies of the padded image, one per kernel weight; this is
    the same arithmetic as the double loop over pixels, reordered so NumPy does the inner loop.

    References
    ----------
    R. C. Gonzalez and R. E. Woods, *Digital Image Processing*, 4th ed., sec. 3.4.

    Examples
    --------
    >>> f = np.zeros((3, 3)); f[1, 1] = 1
    >>> correlate2d(f, [[1, 2, 3], [4, 5, 6], [7, 8, 9]], mode="zero")  # an impulse gives the kernel flipped
    array([[9., 8., 7.],
           [6., 5., 4.],
           [3., 2., 1.]])
    """
    x = as_float_image(image)
    h = _check_kernel(kernel)
    kh, kw = h.shape
    H, W = x.shape
    p = pad(x, (kh // 2, kw // 2), mode, value)           # (H + kh - 1, W + kw - 1)
    out = np.zeros((H, W))
    for u in range(kh):
        for v in range(kw):
            if h[u, v] != 0.0:
                out += h[u, v] * p[u:u + H, v:v + W]      # (H, W) shifted copy
    return out


def convolve2d(image, kernel, mode: str = "reflect", value: float = 0.0) -> np.ndarray:
    """Convolution ``g[r, c] = sum_{i,j} h[i, j] f[r - i, c - j]``: correlation with the flipped kernel.

    Defined in :ref:`sec-convolution` (Eq. :eq:`eq-convolution`).

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype (bool counts as 0/1).
    kernel : (kh, kw) array_like
        Weights indexed ``[row, col]`` from the centre pixel; kh and kw odd.
    mode : str
        Border rule, see :func:`pad`.
    value : float
        Fill value of the ``"zero"`` border.

    Returns
    -------
    (H, W) ndarray of float64
        ``scipy.ndimage.convolve`` with the same border.

    Notes
    -----
    Convolution flips the kernel in both axes (a 180° rotation) so that an impulse reproduces the
    kernel itself and so that convolution is associative and commutative; for a symmetric kernel
    (box, Gaussian, Laplacian) the two operations agree.

    References
    ----------
    R. C. Gonzalez and R. E. Woods, *Digital Image Processing*, 4th ed., sec. 3.4.

    Examples
    --------
    >>> f = np.zeros((3, 3)); f[1, 1] = 1
    >>> convolve2d(f, [[1, 2, 3], [4, 5, 6], [7, 8, 9]], mode="zero")  # an impulse gives the kernel
    array([[1., 2., 3.],
           [4., 5., 6.],
           [7., 8., 9.]])
    """
    h = _check_kernel(kernel)
    return correlate2d(image, h[::-1, ::-1], mode, value)


def gaussian_kernel1d(sigma: float, ksize: int | None = None) -> np.ndarray:
    """Sampled, normalised 1-D Gaussian ``G(i) = exp(-i^2 / (2 sigma^2)) / Z`` for ``i = -r..r``.

    Defined in :ref:`sec-gaussian-smoothing` (Eq. :eq:`eq-gaussian-kernel`).

    Parameters
    ----------
    sigma : float
        Standard deviation in pixels, > 0.
    ksize : int, optional
        Odd number of taps. Default ``2 * ceil(3 sigma) + 1``: the kernel reaches 3 sigma on each side,
        which holds 99.7 % of the continuous Gaussian's mass.

    Returns
    -------
    (ksize,) ndarray of float64
        Symmetric, sums to 1 (``Z`` is the sum of the samples, not ``sqrt(2 pi) sigma``).

    Notes
    -----
    Sample ``exp(-i^2 / (2 sigma^2))`` at the integer offsets and divide by the sum, so that blurring keeps
    a constant image constant; equals ``cv2.getGaussianKernel(ksize, sigma)``.

    Examples
    --------
    >>> g = gaussian_kernel1d(1.0)
    >>> g.shape, round(float(g.sum()), 12), bool(np.allclose(g, g[::-1]))
    ((7,), 1.0, True)
    """
    sigma = check_positive(sigma, "sigma")
    if ksize is None:
        ksize = 2 * math.ceil(3.0 * sigma) + 1
    ksize = check_odd_size(ksize, "ksize")
    r = ksize // 2
    i = np.arange(-r, r + 1, dtype=np.float64)             # (ksize,) offsets from the centre
    g = np.exp(-(i ** 2) / (2.0 * sigma ** 2))
    return g / g.sum()                                    # Z = sum of the samples


def gaussian_blur(image, sigma: float, ksize: int | None = None, mode: str = "reflect") -> np.ndarray:
    """Gaussian smoothing as two 1-D passes: down the columns with ``G``, then along the rows with ``G``.

    Defined in :ref:`sec-gaussian-smoothing` (Eq. :eq:`eq-separable-gaussian`).

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype (bool counts as 0/1).
    sigma : float
        Standard deviation in pixels, > 0.
    ksize : int, optional
        Odd kernel size; default as in :func:`gaussian_kernel1d`.
    mode : str
        Border rule, see :func:`pad`.

    Returns
    -------
    (H, W) ndarray of float64
        On the input's scale: the weights sum to 1, so a constant image is unchanged.

    Notes
    -----
    The 2-D Gaussian is an outer product, ``G(u, v) = G(u) G(v)``, so one k×k correlation equals a
    k×1 pass followed by a 1×k pass: 2k multiply-adds per pixel instead of k². The two passes run band
    by band on flattened rows, with the symmetric taps paired (``coursekit.image._separable``); the
    tests hold them equal to two plain :func:`correlate2d` passes.

    References
    ----------
    R. C. Gonzalez and R. E. Woods, *Digital Image Processing*, 4th ed., sec. 3.5.

    Examples
    --------
    >>> f = np.zeros((9, 9)); f[4, 4] = 1
    >>> round(float(gaussian_blur(f, 1.0).sum()), 12)   # smoothing preserves the total brightness
    1.0
    """
    x = as_float_image(image)
    g = gaussian_kernel1d(sigma, ksize)                   # (k,) the 1-D kernel
    p = pad(x, g.size // 2, mode)                         # (H + k - 1, W + k - 1)
    return separable_correlate(p, g, g)                   # (H, W) G down the columns, then G along the rows


def box_filter(image, ksize: int = 3, mode: str = "reflect") -> np.ndarray:
    """Mean of the ``ksize × ksize`` neighbourhood (normalised box filter), computed separably.

    Defined in :ref:`sec-box-median-bilateral` (Eq. :eq:`eq-box-filter`).

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype (bool counts as 0/1).
    ksize : int
        Odd window size.
    mode : str
        Border rule, see :func:`pad`.

    Returns
    -------
    (H, W) ndarray of float64
        On the input's scale (``cv2.blur`` with ``BORDER_REFLECT_101`` for the default mode).

    Notes
    -----
    The box is separable like the Gaussian: a pass of ``[1/k] * k`` down the columns, then along the rows.

    References
    ----------
    R. C. Gonzalez and R. E. Woods, *Digital Image Processing*, 4th ed., sec. 3.5.

    Examples
    --------
    >>> f = np.zeros((5, 5)); f[2, 2] = 9.0
    >>> box_filter(f, 3, mode="zero")[1:4, 1:4].round(12)    # the 9 is shared equally by 9 pixels
    array([[1., 1., 1.],
           [1., 1., 1.],
           [1., 1., 1.]])
    """
    x = as_float_image(image)
    ksize = check_odd_size(ksize, "ksize")
    b = np.full(ksize, 1.0 / ksize)                       # (k,) the 1-D kernel
    p = pad(x, ksize // 2, mode)                          # (H + k - 1, W + k - 1)
    return separable_correlate(p, b, b)                   # (H, W) down the columns, then along the rows


#: The 4-neighbour discrete Laplacian.
LAPLACIAN_KERNEL = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


