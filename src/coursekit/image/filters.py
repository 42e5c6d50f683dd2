"""Linear and non-linear neighbourhood filters: padding, correlation, convolution, smoothing, derivatives.

Chapter 2 (Image processing), sections on filtering. Every function takes a 2-D grey image of any real
dtype and computes in float64.

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
C. Tomasi and R. Manduchi, "Bilateral filtering for gray and color images", ICCV 1998.
D. Marr and E. Hildreth, "Theory of edge detection", Proc. R. Soc. Lond. B 207, 1980.
"""

from __future__ import annotations

import math

import numpy as np

from coursekit.core.validation import (
    as_float_image,
    check_array,
    check_choice,
    check_odd_size,
    check_positive,
)

__all__ = [
    "PAD_MODES", "pad", "correlate2d", "convolve2d", "gaussian_kernel1d", "gaussian_blur", "box_filter",
]

#: Border modes and their aliases (alias → canonical name).
PAD_MODES = {"zero": "zero", "constant": "zero", "replicate": "replicate", "edge": "replicate",
             "reflect": "reflect", "symmetric": "symmetric", "wrap": "wrap"}


def _pad_index(n: int, before: int, after: int, mode: str) -> np.ndarray:
    """Where each padded position reads from: an index into a row of length ``n``."""
    i = np.arange(-before, n + after)                     # (before + n + after,) positions
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
        Grey image, any real dtype.
    radius : int or (int, int)
        Rows added above and below, columns added left and right (``(ry, rx)``).
    mode : {"zero", "replicate", "reflect", "symmetric", "wrap"}
        The border rule (see the module docstring); ``"constant"`` and ``"edge"`` are aliases.
    value : float
        The fill value of the ``zero``/``constant`` mode.

    Returns
    -------
    (H + 2 ry, W + 2 rx) ndarray of float64

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
    rows = _pad_index(H, ry, ry, mode)                    # (H + 2 ry,) source row of each padded row
    cols = _pad_index(W, rx, rx, mode)                    # (W + 2 rx,) source column of each padded column
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
                         "kernel", ndim=2, dtype_kind="fiu")
    if kernel.shape[0] % 2 == 0 or kernel.shape[1] % 2 == 0:
        raise ValueError(f"kernel must have odd height and width so it has a centre pixel, "
                         f"got shape {kernel.shape}.")
    return kernel.astype(np.float64)


def correlate2d(image, kernel, mode: str = "reflect", value: float = 0.0) -> np.ndarray:
    """Cross-correlation ``g(x, y) = sum_{u,v} h(u, v) f(x + u, y + v)``, output the size of the input.

    Defined in :ref:`sec-convolution` (Eq. :eq:`eq-correlation`).

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype.
    kernel : (kh, kw) array_like
        Weights ``h``; kh and kw odd, the centre is the pixel being computed.
    mode, value
        Border rule, see :func:`pad`.

    Returns
    -------
    (H, W) ndarray of float64

    Notes
    -----
    Vectorised as a sum of kh*kw shifted copies of the padded image, one per kernel weight; this is
    the same arithmetic as the double loop over pixels, reordered so NumPy does the inner loop.

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
    """Convolution ``g(x, y) = sum_{u,v} h(u, v) f(x - u, y - v)``: correlation with the flipped kernel.

    Defined in :ref:`sec-convolution` (Eq. :eq:`eq-convolution`).

    Convolution flips the kernel in both axes (a 180° rotation) so that an impulse reproduces the
    kernel itself and so that convolution is associative and commutative; for a symmetric kernel
    (box, Gaussian, Laplacian) the two operations agree.

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype.
    kernel : (kh, kw) array_like
        kh and kw odd.
    mode, value
        Border rule, see :func:`pad`.

    Returns
    -------
    (H, W) ndarray of float64

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
        Symmetric, sums to 1.

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


def _symmetric_sum(shifted, k: np.ndarray, out: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    """``out = sum_t k[t] * shifted(t)`` for a symmetric kernel ``k`` (k[r+i] == k[r-i]), in place.

    The taps are paired, ``k[r] x[0] + sum_i k[r+i] * (x[-i] + x[+i])``: half the multiplications of
    the plain sum, with the same result. ``shifted(t)`` is the input moved by ``t - r``.
    """
    r = k.size // 2
    np.multiply(shifted(r), k[r], out=out)
    for i in range(1, r + 1):
        np.add(shifted(r - i), shifted(r + i), out=tmp)
        tmp *= k[r + i]
        out += tmp
    return out


def _separable_correlate(x: np.ndarray, ky: np.ndarray, kx: np.ndarray, mode: str) -> np.ndarray:
    """Correlate with the separable kernel ``outer(ky, kx)``: a pass down the columns with ``ky``, then one
    along the rows with ``kx``. Both kernels must be symmetric (Gaussian, box).

    Notes
    -----
    The arithmetic is that of two 1-D correlations; two tricks make NumPy run it fast:

    * Bands. The padded image is processed a band of rows at a time, so every temporary (about
      16K values) stays in the CPU cache instead of streaming whole images through memory.
    * Flattening. A band of padded rows is one contiguous 1-D array ``f`` of row length ``Wp``. A shift
      by ``t`` rows is a shift by ``t * Wp`` in ``f``, and a shift by ``t`` columns a shift by ``t``, so
      every operand is a contiguous slice. The column shifts wrap the end of one row into the next;
      those outputs land in the ``Wp - W`` padding columns and are dropped.
    """
    if not (np.array_equal(ky, ky[::-1]) and np.array_equal(kx, kx[::-1])):
        raise ValueError("_separable_correlate pairs taps, so it needs symmetric kernels.")
    ry, rx = ky.size // 2, kx.size // 2
    H, W = x.shape
    p = pad(x, (ry, rx), mode)                            # (H + 2 ry, Wp), Wp = W + 2 rx
    Wp = p.shape[1]
    f = p.ravel()                                         # ((H + 2 ry) * Wp,) row after row
    out = np.empty((H, W))
    band = max(1, 2 ** 14 // Wp)                          # rows per band: operands of ~16K float64 (128 KB)
    v, res, tmp = np.empty(band * Wp), np.empty(band * Wp), np.empty(band * Wp)
    for y in range(0, H, band):
        h = min(band, H - y)
        n = h * Wp                                        # the band's h output rows, padding columns too
        _symmetric_sum(lambda t: f[(y + t) * Wp:(y + t) * Wp + n], ky, v[:n], tmp[:n])  # (n,) down columns
        m = n - 2 * rx                                    # the last full window along the rows ends at n
        _symmetric_sum(lambda t: v[t:t + m], kx, res[:m], tmp[:m])                       # (m,) along rows
        out[y:y + h] = res[:n].reshape(h, Wp)[:, :W]      # (h, W) drop the wrapped-around columns
    return out


def _correlate_by_matmul(x: np.ndarray, ky: np.ndarray, kx: np.ndarray, mode: str, out: np.ndarray,
                         block: int = 32) -> np.ndarray:
    """Separable correlation with ``outer(ky, kx)`` as matrix products, in ``out``'s dtype.

    A 1-D correlation of a column with ``ky`` is a product with a banded (Toeplitz) matrix ``K``, row ``i``
    holding ``ky`` from column ``i`` on; so the pass down the columns for ``block`` output rows is
    ``K (block, block + 2 ry) @ p (block + 2 ry, Wp)`` and the pass along the rows is the same with the
    transpose. Most entries of ``K`` are 0, so this does ``(block + 2r) / k`` times the arithmetic of
    ``_separable_correlate``, but BLAS runs it faster than NumPy runs the k shifted sums. The sums are
    accumulated in another order, so results differ in the last bits; used by
    :func:`coursekit.image.edges.canny` (float32), never by the public filters.

    ``x`` is ``(H, W)`` of any real dtype (converted while it is padded: no full-size copy);
    ``out`` is an ``(H, W)`` array or view that receives the result.
    """
    ry, rx = ky.size // 2, kx.size // 2
    H, W = x.shape
    dtype, mode = out.dtype, PAD_MODES[mode]
    p = (np.zeros if mode == "zero" else np.empty)((H + 2 * ry, W + 2 * rx), dtype)   # as pad(x, (ry, rx), mode)
    p[ry:ry + H, rx:rx + W] = x
    if mode != "zero":
        rows, cols = _pad_index(H, ry, ry, mode), _pad_index(W, rx, rx, mode)
        p[:ry, rx:rx + W], p[ry + H:, rx:rx + W] = p[ry + rows[:ry], rx:rx + W], p[ry + rows[ry + H:], rx:rx + W]
        p[:, :rx], p[:, rx + W:] = p[:, rx + cols[:rx]], p[:, rx + cols[rx + W:]]
    Ky = np.zeros((block, block + 2 * ry), dtype)         # (block, block + 2 ry) banded
    Kx = np.zeros((block + 2 * rx, block), dtype)         # (block + 2 rx, block) banded, transposed
    for i in range(block):
        Ky[i, i:i + ky.size] = ky
        Kx[i:i + kx.size, i] = kx
    for y in range(0, H, block):                          # down the columns, in place: rows y:y+h of p
        h = min(block, H - y)                             # are not read again (matmul buffers the overlap)
        np.matmul(Ky[:h, :h + 2 * ry], p[y:y + h + 2 * ry], out=p[y:y + h])       # (h, W + 2 rx)
    for c in range(0, W, block):                          # along the rows
        w = min(block, W - c)
        np.matmul(p[:H, c:c + w + 2 * rx], Kx[:w + 2 * rx, :w], out=out[:, c:c + w])  # (H, w)
    return out


def gaussian_blur(image, sigma: float, ksize: int | None = None, mode: str = "reflect") -> np.ndarray:
    """Gaussian smoothing as two 1-D passes: rows with ``G``, then columns with ``G``.

    Defined in :ref:`sec-gaussian-smoothing` (Eq. :eq:`eq-separable-gaussian`).

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype.
    sigma : float
        Standard deviation in pixels, > 0.
    ksize : int, optional
        Odd kernel size; default as in :func:`gaussian_kernel1d`.
    mode : str
        Border rule, see :func:`pad`.

    Returns
    -------
    (H, W) ndarray of float64

    Notes
    -----
    The 2-D Gaussian is an outer product, ``G(u, v) = G(u) G(v)``, so one k×k correlation equals a
    k×1 pass followed by a 1×k pass: 2k multiply-adds per pixel instead of k². The passes run band by
    band on flattened rows, with the symmetric taps paired (see ``_separable_correlate``).

    Examples
    --------
    >>> f = np.zeros((9, 9)); f[4, 4] = 1
    >>> round(float(gaussian_blur(f, 1.0).sum()), 12)   # smoothing preserves the total brightness
    1.0
    """
    x = as_float_image(image)
    g = gaussian_kernel1d(sigma, ksize)                   # (k,)
    return _separable_correlate(x, g, g, mode)            # G(v) down the columns, then G(u) along the rows


def box_filter(image, ksize: int = 3, mode: str = "reflect") -> np.ndarray:
    """Mean of the ``ksize × ksize`` neighbourhood (normalised box filter), computed separably.

    Defined in :ref:`sec-box-median-bilateral` (Eq. :eq:`eq-box-filter`).

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype.
    ksize : int
        Odd window size.
    mode : str
        Border rule, see :func:`pad`.

    Returns
    -------
    (H, W) ndarray of float64

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
    b = np.full(ksize, 1.0 / ksize)                       # (ksize,)
    return _separable_correlate(x, b, b, mode)


#: The 4-neighbour discrete Laplacian.
LAPLACIAN_KERNEL = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


