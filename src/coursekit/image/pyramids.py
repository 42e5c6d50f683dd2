"""Gaussian and Laplacian pyramids (Burt and Adelson), with OpenCV's ``pyrDown`` / ``pyrUp`` semantics.

Chapter 2 (Image processing), section "Gaussian and Laplacian pyramids". A Gaussian pyramid blurs and
halves the image again and again (Chapter 1's prefilter before subsampling, with a 5-tap binomial kernel);
a Laplacian pyramid stores, at each level, what the next coarser level cannot predict — a band of
frequencies — plus the coarsest image, and adds them back up exactly. Multi-scale detectors, blending and
coarse-to-fine optical flow (Chapter 16) all stand on these two.

Conventions (CONTRIBUTING.md): images are ``(H, W)`` grey, any real dtype; results are float64 on the
input's scale. Each step equals OpenCV's on float64 input (``cv2.pyrDown``, ``cv2.pyrUp``, the tests'
oracles): the kernel ``[1, 4, 6, 4, 1] / 16``, the border ``reflect`` (``BORDER_REFLECT_101``), even rows and
columns kept, and ``pyrUp`` to an odd size computed at the even size and cropped. (``skimage.transform``'s
``pyramid_gaussian`` uses another kernel and a resize, so it is not an oracle here.)

References
----------
- P. J. Burt and E. H. Adelson, "The Laplacian pyramid as a compact image code", IEEE Trans.
  Communications 31(4), 1983.
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import as_float_image, check_int
from coursekit.image._separable import separable_correlate
from coursekit.image.filters import pad

__all__ = ["PYRAMID_KERNEL", "pyr_down", "pyr_up", "gaussian_pyramid", "laplacian_pyramid",
           "reconstruct_from_laplacian"]

#: Burt and Adelson's generating kernel with a = 0.375: the binomial [1, 4, 6, 4, 1] / 16.
PYRAMID_KERNEL = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0


def pyr_down(image: np.ndarray) -> np.ndarray:
    """One level down: blur with the 5-tap binomial kernel, then keep every other row and column.

    Defined in :ref:`sec-pyramids` (Eq. :eq:`eq-pyr-down`).

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype (bool counts as 0/1).

    Returns
    -------
    (ceil(H / 2), ceil(W / 2)) ndarray of float64
        ``cv2.pyrDown`` of the image as float64; the values keep the input's scale.

    Notes
    -----
    1. Blur separably with ``w = [1, 4, 6, 4, 1] / 16`` down the columns and along the rows (border
       ``reflect``): a cheap Gaussian of sigma about 1 that removes most of what the half-size grid
       cannot hold (Chapter 1's prefilter).
    2. Keep the even rows and columns, ``g[i, j] = (w * f)[2 i, 2 j]``.

    References
    ----------
    P. J. Burt and E. H. Adelson, "The Laplacian pyramid as a compact image code", IEEE Trans.
    Communications 31(4), 1983.

    Examples
    --------
    >>> pyr_down(np.ones((5, 8))).tolist()[0]           # a constant image stays constant
    [1.0, 1.0, 1.0, 1.0]
    """
    x = as_float_image(image)
    blurred = separable_correlate(pad(x, 2, "reflect"), PYRAMID_KERNEL, PYRAMID_KERNEL)  # (H, W) 1.
    return blurred[::2, ::2]                                                         # 2. even rows, cols


def pyr_up(image: np.ndarray, out_shape: tuple[int, int] | None = None) -> np.ndarray:
    """One level up: put the pixels on the even rows and columns of a zero image twice the size, and blur.

    Defined in :ref:`sec-pyramids` (Eq. :eq:`eq-pyr-up`).

    Parameters
    ----------
    image : (h, w) ndarray
        Grey image, any real dtype (bool counts as 0/1).
    out_shape : (int, int), optional
        ``(rows, cols)`` of the result, each ``2 h`` or ``2 h - 1`` (``2 w`` or ``2 w - 1``): the shape of
        the finer level the image came from. Default ``(2 h, 2 w)``.

    Returns
    -------
    out_shape ndarray of float64
        ``cv2.pyrUp(image, dstsize=(cols, rows))`` of the image as float64.

    Notes
    -----
    1. Upsample by zeros: ``u[2 i, 2 j] = f[i, j]``, 0 elsewhere; three quarters of ``u`` are zeros.
    2. Blur with ``2 w`` along each axis (4 times the weights in all): every output pixel then sums
       weights that add up to 1, because the kernel's even taps ``1 + 6 + 1`` and odd taps ``4 + 4`` are
       each half of 16.
    3. Crop to ``out_shape`` (an odd size is the even one minus its last row or column).

    References
    ----------
    P. J. Burt and E. H. Adelson, "The Laplacian pyramid as a compact image code", IEEE Trans.
    Communications 31(4), 1983.

    Examples
    --------
    >>> pyr_up(np.ones((2, 3)), out_shape=(3, 6)).tolist()[0]      # a constant image stays constant
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    """
    x = as_float_image(image)
    h, w = x.shape
    rows, cols = (2 * h, 2 * w) if out_shape is None else (int(out_shape[0]), int(out_shape[1]))
    if rows not in (2 * h, 2 * h - 1) or cols not in (2 * w, 2 * w - 1):
        raise ValueError(f"out_shape must be (2h or 2h - 1, 2w or 2w - 1) = ({2 * h} or {2 * h - 1}, "
                         f"{2 * w} or {2 * w - 1}) for an image of shape {x.shape}, got {out_shape!r}.")
    u = np.zeros((2 * h, 2 * w))
    u[::2, ::2] = x                                                            # 1. (2h, 2w) zeros between
    up = separable_correlate(pad(u, 2, "reflect"), 2 * PYRAMID_KERNEL, 2 * PYRAMID_KERNEL)  # 2. (2h, 2w)
    return up[:rows, :cols]                                                    # 3. crop


def gaussian_pyramid(image: np.ndarray, levels: int) -> list[np.ndarray]:
    """The Gaussian pyramid ``G_0 = f``, ``G_{k+1} = pyr_down(G_k)``.

    Defined in :ref:`sec-pyramids` (Eq. :eq:`eq-pyr-down`).

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype (bool counts as 0/1).
    levels : int
        Number of images returned, >= 1 (``G_0`` is the image itself, as float64).

    Returns
    -------
    list of ndarray of float64
        ``levels`` images; ``G_k`` has shape about ``(H / 2^k, W / 2^k)`` (rounded up at each step):
        ``cv2.pyrDown`` applied again and again (C++'s ``cv::buildPyramid(image, levels - 1)``).

    Notes
    -----
    Each level is blurred before it is subsampled, so it holds only frequencies its grid can represent: the
    pyramid of a zone plate fades to grey instead of aliasing (Chapter 1). The whole pyramid costs at most
    4/3 of the image's storage, since the levels shrink by 4 each time.

    References
    ----------
    P. J. Burt and E. H. Adelson, "The Laplacian pyramid as a compact image code", IEEE Trans.
    Communications 31(4), 1983.

    Examples
    --------
    >>> [g.shape for g in gaussian_pyramid(np.zeros((20, 33)), 4)]
    [(20, 33), (10, 17), (5, 9), (3, 5)]
    """
    x = as_float_image(image)
    levels = check_int(levels, "levels", 1)
    pyramid = [x.astype(np.float64)]
    for _ in range(levels - 1):
        pyramid.append(pyr_down(pyramid[-1]))
    return pyramid


def laplacian_pyramid(image: np.ndarray, levels: int) -> list[np.ndarray]:
    """The Laplacian pyramid: ``L_k = G_k - pyr_up(G_{k+1})`` for ``k < levels - 1``, and the last ``G``.

    Defined in :ref:`sec-pyramids` (Eq. :eq:`eq-laplacian-pyramid`).

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype (bool counts as 0/1).
    levels : int
        Number of images returned, >= 1.

    Returns
    -------
    list of ndarray of float64
        ``levels`` images of the shapes of :func:`gaussian_pyramid`: ``levels - 1`` band-pass images
        (zero mean on smooth regions, large at edges and texture of their scale) and the coarsest Gaussian
        level, the low-pass residual.

    Notes
    -----
    Each band holds what the next coarser level, expanded back, fails to predict; so the bands and the
    residual add back up to the image exactly (:func:`reconstruct_from_laplacian`), whatever the kernel.

    References
    ----------
    P. J. Burt and E. H. Adelson, "The Laplacian pyramid as a compact image code", IEEE Trans.
    Communications 31(4), 1983.

    Examples
    --------
    >>> bands = laplacian_pyramid(np.full((8, 8), 5.0), 3)
    >>> [float(np.abs(b).max()) for b in bands]                    # a flat image: empty bands
    [0.0, 0.0, 5.0]
    """
    G = gaussian_pyramid(image, levels)
    bands = [g - pyr_up(g_next, g.shape) for g, g_next in zip(G[:-1], G[1:])]   # detail at each scale
    return bands + [G[-1]]


def reconstruct_from_laplacian(pyramid: list[np.ndarray]) -> np.ndarray:
    """Collapse a Laplacian pyramid: ``g = L_last``, then ``g = L_k + pyr_up(g)`` from coarse to fine.

    Defined in :ref:`sec-pyramids` (Eq. :eq:`eq-laplacian-pyramid`).

    Parameters
    ----------
    pyramid : list of ndarray
        As returned by :func:`laplacian_pyramid` (bands from fine to coarse, then the residual).

    Returns
    -------
    (H, W) ndarray of float64
        The image ``G_0``, equal to the original up to floating-point rounding.

    Notes
    -----
    ``G_k = L_k + pyr_up(G_{k+1})`` is the definition of ``L_k`` read backwards, so the collapse is exact
    whatever was done to build the pyramid; editing the bands before collapsing (blending two images band by
    band, or zeroing small values to compress) is what the pyramid is for.

    References
    ----------
    P. J. Burt and E. H. Adelson, "The Laplacian pyramid as a compact image code", IEEE Trans.
    Communications 31(4), 1983.

    Examples
    --------
    >>> f = np.arange(30.0).reshape(5, 6)
    >>> bool(np.allclose(reconstruct_from_laplacian(laplacian_pyramid(f, 3)), f))
    True
    """
    if not isinstance(pyramid, (list, tuple)) or not pyramid:
        raise ValueError("pyramid must be a non-empty list of images, as from laplacian_pyramid(...).")
    g = as_float_image(pyramid[-1], "pyramid[-1]")
    for k in range(len(pyramid) - 2, -1, -1):
        band = as_float_image(pyramid[k], f"pyramid[{k}]")
        g = band + pyr_up(g, band.shape)                 # add back the detail of scale k
    return g
