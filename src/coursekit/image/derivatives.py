"""Derivative filters: Sobel, the Laplacian and the Laplacian of Gaussian.

Chapter 2 (edges). Sobel returns ``(gx, gy)`` = (d/dx along columns, d/dy along rows), unnormalised
(the kernel weights sum to 8 in magnitude, as in OpenCV).
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import as_float_image
from coursekit.image.filters import LAPLACIAN_KERNEL, correlate2d, gaussian_blur, pad

__all__ = ["sobel", "laplacian", "laplacian_of_gaussian"]


def sobel(image, mode: str = "reflect") -> tuple[np.ndarray, np.ndarray]:
    """Sobel derivatives: ``gx`` (change to the right, along columns) and ``gy`` (change downwards).

    Defined in :ref:`sec-derivatives` (Eq. :eq:`eq-sobel`).

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype.
    mode : str
        Border rule, see :func:`pad`.

    Returns
    -------
    gx, gy : (H, W) ndarray of float64
        Correlation with ``[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]`` and its transpose (not divided by 8,
        like ``cv2.Sobel``).

    Notes
    -----
    Each kernel is separable: a central difference ``[-1, 0, 1]`` along one axis times a smoothing
    ``[1, 2, 1]`` along the other.

    Examples
    --------
    >>> ramp = np.tile(np.arange(5.0), (5, 1))            # brightness grows by 1 per column
    >>> gx, gy = sobel(ramp)
    >>> float(gx[2, 2]), float(gy[2, 2])
    (8.0, 0.0)
    """
    x = as_float_image(image)
    p = pad(x, 1, mode)                                   # (H + 2, W + 2)
    dx = p[:, 2:] - p[:, :-2]                             # (H + 2, W) central difference along x
    dy = p[2:, :] - p[:-2, :]                             # (H, W + 2) central difference along y
    gx = dx[:-2] + 2.0 * dx[1:-1] + dx[2:]                # (H, W) smoothed down the columns by [1, 2, 1]
    gy = dy[:, :-2] + 2.0 * dy[:, 1:-1] + dy[:, 2:]       # (H, W) smoothed along the rows by [1, 2, 1]
    return gx, gy


def laplacian(image, mode: str = "reflect") -> np.ndarray:
    """Discrete Laplacian ``f(x+1,y) + f(x-1,y) + f(x,y+1) + f(x,y-1) - 4 f(x,y)``.

    Defined in :ref:`sec-derivatives` (Eq. :eq:`eq-laplacian`).

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype.
    mode : str
        Border rule, see :func:`pad`.

    Returns
    -------
    (H, W) ndarray of float64
        Same as ``cv2.Laplacian(image, cv2.CV_64F, ksize=1)``.

    Examples
    --------
    >>> bowl = np.add.outer(np.arange(5.0) ** 2, np.arange(5.0) ** 2)   # x^2 + y^2
    >>> float(laplacian(bowl)[2, 2])                    # d2/dx2 + d2/dy2 = 2 + 2
    4.0
    """
    return correlate2d(image, LAPLACIAN_KERNEL, mode)


def laplacian_of_gaussian(image, sigma: float, ksize: int | None = None, mode: str = "reflect") -> np.ndarray:
    """Laplacian of Gaussian ``∇²(G_sigma * f)``: smooth first, then take the Laplacian.

    Defined in :ref:`sec-derivatives` (Eq. :eq:`eq-laplacian-of-gaussian`).

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype.
    sigma : float
        Standard deviation of the Gaussian, > 0.
    ksize : int, optional
        Odd Gaussian kernel size (default as in :func:`gaussian_kernel1d`).
    mode : str
        Border rule, see :func:`pad`.

    Returns
    -------
    (H, W) ndarray of float64
        Zero crossings mark edges; strong negative (positive) responses mark bright (dark) blobs of
        radius about ``sigma * sqrt(2)``.

    Notes
    -----
    Convolution is associative, so ``∇²(G * f) = (∇²G) * f``: one "Mexican hat" kernel, or here the
    cheaper order, a separable blur and then the 3×3 Laplacian.

    References
    ----------
    D. Marr and E. Hildreth, "Theory of edge detection", Proc. R. Soc. Lond. B 207, 1980.

    Examples
    --------
    >>> float(np.abs(laplacian_of_gaussian(np.full((8, 8), 3.0), 1.0)).max())  # flat image, no response
    0.0
    """
    return laplacian(gaussian_blur(image, sigma, ksize, mode), mode)
