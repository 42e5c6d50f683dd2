"""Image quality metrics: mean squared error, PSNR and SSIM.

Chapter 1 (PSNR) and Chapter 2 (SSIM next to PSNR); reused by the rendering chapter (Chapter 9).
Two SSIMs live here: :func:`ssim_gaussian` (with :func:`ssim_map`) is Wang et al.'s original, with an
11-tap Gaussian window of sigma 1.5 and population statistics, the setting
``skimage.metrics.structural_similarity(..., gaussian_weights=True, sigma=1.5, use_sample_covariance=False)``;
:func:`ssim` is scikit-image's default, a uniform 7 × 7 window with sample (N - 1) statistics, used to compare
saliency maps (Chapter 18).

References
----------
Z. Wang, A. C. Bovik, H. R. Sheikh and E. P. Simoncelli, "Image quality assessment: from error visibility
to structural similarity", IEEE TIP 13(4), 2004.
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from coursekit.core.validation import check_array, check_positive
from coursekit.image.filters import gaussian_blur

__all__ = ["mse", "psnr", "ssim", "ssim_map", "ssim_gaussian"]


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


def _data_range(reference: np.ndarray, test: np.ndarray, data_range) -> float:
    """``R``: as given (a finite number > 0), or 255 when both images are uint8 and it is omitted."""
    if data_range is None:
        if reference.dtype != np.uint8 or test.dtype != np.uint8:
            raise ValueError(
                f"data_range is required unless both images are uint8 (got {reference.dtype} and "
                f"{test.dtype}); pass data_range=1.0 for float images in [0, 1] or 255 for 0..255 values."
            )
        return 255.0
    if isinstance(data_range, bool) or not isinstance(data_range, numbers.Real) or not np.isfinite(data_range) \
            or data_range <= 0:
        raise ValueError(f"data_range must be a finite number > 0, got {data_range!r}.")
    return float(data_range)


def mse(reference: np.ndarray, test: np.ndarray) -> float:
    """Mean squared error between two images of the same shape.

    Defined in :ref:`sec-mse-psnr` (Eq. :eq:`eq-mse`).

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
    """
    _as_image(reference, "reference")
    _as_image(test, "test")
    _check_same_shape(reference, test)
    diff = reference.astype(np.float64) - test.astype(np.float64)  # (H, W) or (H, W, C)
    return float(np.mean(diff * diff))


def psnr(reference: np.ndarray, test: np.ndarray, data_range: float | None = None) -> float:
    """Peak signal-to-noise ratio, in decibels: ``10 log10(R^2 / MSE)``.

    Defined in :ref:`sec-mse-psnr` (Eq. :eq:`eq-psnr`).

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
    1. Compute the MSE in float64, Eq. :eq:`eq-mse`.
    2. Divide the squared peak ``R ** 2`` by it and take ``10 * log10``, Eq. :eq:`eq-psnr`.

    Every halving of the RMSE adds about 6.02 dB (``20 log10 2``).

    Examples
    --------
    >>> ref = np.zeros((4, 4), dtype=np.uint8)
    >>> test = ref.copy(); test[0, 0] = 16             # MSE = 16**2 / 16 = 16
    >>> round(psnr(ref, test), 2)                      # 10 log10(255**2 / 16)
    36.09
    >>> psnr(ref / 255.0, test / 255.0, data_range=1.0) == psnr(ref, test)
    True
    """
    _as_image(reference, "reference")
    _as_image(test, "test")
    _check_same_shape(reference, test)
    data_range = _data_range(reference, test, data_range)
    error = mse(reference, test)
    if error == 0.0:
        return float("inf")
    return float(10.0 * np.log10(float(data_range) ** 2 / error))


def ssim(a, b, data_range: float = 1.0, win_size: int = 7) -> float:
    """Mean structural similarity of two grey maps over all ``win_size`` × ``win_size`` windows (uniform weights).

    SSIM = (2 μ_a μ_b + C1)(2 σ_ab + C2) / ((μ_a² + μ_b² + C1)(σ_a² + σ_b² + C2)), C1 = (0.01 L)²,
    C2 = (0.03 L)², L = ``data_range``, with sample (N − 1) variances; the same defaults as
    ``skimage.metrics.structural_similarity``.

    Parameters
    ----------
    a, b : (H, W) array_like of float
        The two maps, of the same shape.
    data_range : float
        L, the span of possible values (1 for images in [0, 1], 255 for 8-bit values), > 0.
    win_size : int
        Odd side of the square window, at most ``min(H, W)``.

    Returns
    -------
    float
        The mean SSIM over all windows, at most 1 (identical maps).

    References
    ----------
    Z. Wang, A. C. Bovik, H. R. Sheikh and E. P. Simoncelli, "Image quality assessment: from error
    visibility to structural similarity", IEEE Trans. Image Processing 13(4), 2004.

    Examples
    --------
    >>> a = np.random.default_rng(0).random((16, 16))
    >>> ssim(a, a), round(ssim(a, 1.0 - a), 3) < 0
    (1.0, True)
    """
    a = check_array(np.asarray(a, dtype=np.float64), "a", ndim=2)
    b = check_array(np.asarray(b, dtype=np.float64), "b", shape=a.shape)
    check_positive(data_range, "data_range")
    if win_size % 2 == 0 or win_size > min(a.shape):
        raise ValueError(f"win_size must be odd and at most the map's side {min(a.shape)}, got {win_size}.")
    Wa = sliding_window_view(a, (win_size, win_size))               # (h', w', win, win)
    Wb = sliding_window_view(b, (win_size, win_size))
    n = win_size * win_size
    mu_a, mu_b = Wa.mean(axis=(-2, -1)), Wb.mean(axis=(-2, -1))     # (h', w')
    var_a = Wa.var(axis=(-2, -1)) * n / (n - 1)
    var_b = Wb.var(axis=(-2, -1)) * n / (n - 1)
    cov = ((Wa - mu_a[..., None, None]) * (Wb - mu_b[..., None, None])).sum(axis=(-2, -1)) / (n - 1)
    C1, C2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    s = ((2 * mu_a * mu_b + C1) * (2 * cov + C2)) / ((mu_a ** 2 + mu_b ** 2 + C1) * (var_a + var_b + C2))
    return float(s.mean())


def ssim_map(reference: np.ndarray, test: np.ndarray, data_range: float | None = None,
             sigma: float = 1.5) -> np.ndarray:
    """Local structural similarity with a Gaussian window, one value per pixel (Wang et al., 2004).

    Defined in :ref:`sec-ssim` (Eq. :eq:`eq-ssim`).

    Parameters
    ----------
    reference : (H, W) or (H, W, C) ndarray of real numbers
        The image taken as ground truth; colour channels are compared one by one.
    test : ndarray, same shape as ``reference``
        The image being judged.
    data_range : float, optional
        ``R``, as in :func:`psnr`: 255 for uint8 (the default when both are uint8), 1 for [0, 1] floats.
    sigma : float
        Standard deviation of the Gaussian window in pixels (1.5, as Wang et al.); the window has
        ``2 * int(3.5 sigma + 0.5) + 1`` taps (11 for sigma 1.5), as scikit-image truncates it.

    Returns
    -------
    (H, W) or (H, W, C) ndarray of float64
        ``SSIM(x, y) = l c s`` at every pixel, at most 1; 1 where the two images agree.

    Notes
    -----
    1. Local means ``mu_x = w * x``, ``mu_y = w * y`` with the Gaussian window ``w`` (border ``symmetric``,
       SciPy's ``reflect``).
    2. Local (population) variances and covariance: ``sigma_x^2 = w * x^2 - mu_x^2``, likewise
       ``sigma_y^2`` and ``sigma_xy = w * (x y) - mu_x mu_y``.
    3. ``SSIM = (2 mu_x mu_y + C1)(2 sigma_xy + C2) / ((mu_x^2 + mu_y^2 + C1)(sigma_x^2 + sigma_y^2 + C2))``
       with ``C1 = (0.01 R)^2`` and ``C2 = (0.03 R)^2``: luminance, contrast and structure in one product.

    References
    ----------
    Z. Wang, A. C. Bovik, H. R. Sheikh and E. P. Simoncelli, "Image quality assessment: from error
    visibility to structural similarity", IEEE Trans. Image Processing 13(4), 2004.

    Examples
    --------
    >>> a = np.random.default_rng(0).random((16, 16))
    >>> float(ssim_map(a, a, data_range=1.0).min())
    1.0
    """
    _as_image(reference, "reference")
    _as_image(test, "test")
    _check_same_shape(reference, test)
    R = _data_range(reference, test, data_range)
    sigma = check_positive(sigma, "sigma")
    if reference.ndim == 3:                                         # colour: one map per channel
        return np.stack([ssim_map(reference[..., c], test[..., c], R, sigma)
                         for c in range(reference.shape[2])], axis=-1)
    ksize = 2 * int(3.5 * sigma + 0.5) + 1
    if ksize > min(reference.shape):
        raise ValueError(f"the Gaussian window has {ksize} taps, more than the image's side "
                         f"{min(reference.shape)}; use a larger image or a smaller sigma.")
    x, y = reference.astype(np.float64), test.astype(np.float64)    # (H, W) each
    def w(f: np.ndarray) -> np.ndarray:                              # the local weighted mean
        return gaussian_blur(f, sigma, ksize, mode="symmetric")

    mu_x, mu_y = w(x), w(y)                                         # 1. local means
    var_x = w(x * x) - mu_x ** 2                                    # 2. local variances, covariance
    var_y = w(y * y) - mu_y ** 2
    cov = w(x * y) - mu_x * mu_y
    C1, C2 = (0.01 * R) ** 2, (0.03 * R) ** 2
    return ((2 * mu_x * mu_y + C1) * (2 * cov + C2)                 # 3. luminance x contrast-structure
            / ((mu_x ** 2 + mu_y ** 2 + C1) * (var_x + var_y + C2)))


def ssim_gaussian(reference: np.ndarray, test: np.ndarray, data_range: float | None = None,
                  sigma: float = 1.5) -> float:
    """Mean SSIM with a Gaussian window: :func:`ssim_map` averaged away from the border.

    Defined in :ref:`sec-ssim` (Eq. :eq:`eq-ssim`).

    Parameters
    ----------
    reference : (H, W) or (H, W, C) ndarray of real numbers
        The image taken as ground truth.
    test : ndarray, same shape as ``reference``
        The image being judged.
    data_range : float, optional
        ``R``, as in :func:`psnr` (may be omitted only for two uint8 images).
    sigma : float
        Standard deviation of the Gaussian window, pixels.

    Returns
    -------
    float
        The mean of the map over the pixels at least the window's radius from the border (and over the
        channels), at most 1. Equal to ``skimage.metrics.structural_similarity(reference, test,
        data_range=R, gaussian_weights=True, sigma=sigma, use_sample_covariance=False)`` (with
        ``channel_axis=-1`` for colour).

    Notes
    -----
    The border strip is left out because its windows reach outside the image, as scikit-image does.
    Unlike PSNR, SSIM barely moves when the whole image gets brighter (the luminance term compares means
    relative to their size) but drops when noise or blur destroys local structure.

    References
    ----------
    Z. Wang, A. C. Bovik, H. R. Sheikh and E. P. Simoncelli, "Image quality assessment: from error
    visibility to structural similarity", IEEE Trans. Image Processing 13(4), 2004.

    Examples
    --------
    >>> f = np.random.default_rng(0).random((32, 32))
    >>> ssim_gaussian(f, f, data_range=1.0), ssim_gaussian(f, 1.0 - f, data_range=1.0) < 0
    (1.0, True)
    """
    S = ssim_map(reference, test, data_range, sigma)
    r = int(3.5 * float(sigma) + 0.5)                               # the window's radius
    return float(S[r:S.shape[0] - r, r:S.shape[1] - r].mean())
