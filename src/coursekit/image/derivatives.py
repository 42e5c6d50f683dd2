"""Derivative filters: Sobel, the Laplacian and the Laplacian of Gaussian.

Chapter 2, section "Derivatives". Conventions (CONTRIBUTING.md, "Conventions"): :func:`sobel` returns the
pair in the order ``(gx, gy)`` = (d/dx along the columns, d/dy down the rows); x points right and y points
down. Output scales are unnormalised, as in OpenCV and SciPy: Sobel's gain is 8 (a ramp rising by 1 per
pixel gives ``gx = 8``; a step of height h gives ``4 h`` on each side of it), the Laplacian's is 1 per unit
second derivative. Every function takes any real grey image and returns float64 on its scale.

References
----------
I. Sobel and G. Feldman, "A 3x3 isotropic gradient operator for image processing", Stanford Artificial
Intelligence Project, 1968.
D. Marr and E. Hildreth, "Theory of edge detection", Proc. R. Soc. Lond. B 207, 1980.
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import as_float_image
from coursekit.image.filters import LAPLACIAN_KERNEL, correlate2d, gaussian_blur, pad

__all__ = ["sobel", "laplacian", "laplacian_of_gaussian"]


def sobel(image, mode: str = "reflect") -> tuple[np.ndarray, np.ndarray]:
    """Sobel derivatives ``(gx, gy)``: the change to the right (along x) and the change downwards (along y).

    Defined in :ref:`sec-derivatives` (Eq. :eq:`eq-sobel`).

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype (bool counts as 0/1); values are used as given.
    mode : str
        Border rule, see :func:`coursekit.image.filters.pad`.

    Returns
    -------
    gx : (H, W) ndarray of float64
        Correlation with ``[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]``: positive where the image gets brighter
        to the right (towards larger x = column).
    gy : (H, W) ndarray of float64
        Correlation with the transpose: positive where the image gets brighter downwards (larger y = row).

    Notes
    -----
    Each kernel is separable: a central difference ``[-1, 0, 1]`` along one axis times a smoothing
    ``[1, 2, 1]`` along the other. The output is not divided by 8 (like ``cv2.Sobel`` and
    ``scipy.ndimage.sobel``): a ramp of slope 1 per pixel gives 8. (``skimage.filters.sobel_h`` and
    ``sobel_v`` divide by 4 and name the axes differently.)

    References
    ----------
    I. Sobel and G. Feldman, "A 3x3 isotropic gradient operator for image processing", Stanford AI
    Project, 1968.

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
        Grey image, any real dtype (bool counts as 0/1).
    mode : str
        Border rule, see :func:`coursekit.image.filters.pad`.

    Returns
    -------
    (H, W) ndarray of float64
        Same as ``cv2.Laplacian(image, cv2.CV_64F, ksize=1)``; gain 1 per unit second derivative.

    Notes
    -----
    A correlation with the 4-neighbour kernel ``[[0, 1, 0], [1, -4, 1], [0, 1, 0]]``: the sum of the
    second differences along x and along y.

    References
    ----------
    R. C. Gonzalez and R. E. Woods, *Digital Image Processing*, 4th ed., sec. 3.6.

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
        Grey image, any real dtype (bool counts as 0/1).
    sigma : float
        Standard deviation of the Gaussian, > 0.
    ksize : int, optional
        Odd Gaussian kernel size (default as in :func:`coursekit.image.filters.gaussian_kernel1d`).
    mode : str
        Border rule, see :func:`coursekit.image.filters.pad`.

    Returns
    -------
    (H, W) ndarray of float64
        Zero crossings mark edges; strong negative (positive) responses mark bright (dark) blobs of
        radius about ``sigma * sqrt(2)``. Not scale-normalised (multiply by ``sigma**2`` to compare scales).

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
