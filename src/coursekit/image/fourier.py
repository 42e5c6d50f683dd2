"""The frequency view of an image: the DFT and the convolution theorem (the 8×8 DCT is in ``dct``).

Chapter 2 (Image processing), section "The DFT and the convolution theorem". Every transform here is
written as the matrix product of its definition, so a student can see there is nothing magic; ``np.fft``
appears only as the fast path that the definition is compared with. Conventions (CONTRIBUTING.md,
"Conventions"): spectra are indexed ``[u, v]`` = (vertical frequency, horizontal frequency), like the image
``[row, col]`` they come from, in ``np.fft`` order (DC at ``[0, 0]``) unless a docstring says "centred";
images of any real dtype (bool as 0/1) are transformed as float64.

References
----------
- J. W. Cooley and J. W. Tukey, "An algorithm for the machine calculation of
  complex Fourier series", Math. Comp. 19 (1965).
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import as_float_image, check_array, check_int, check_positive

__all__ = [
    "dft_matrix", "dft2", "idft2", "magnitude_spectrum", "circular_convolve", "convolution_theorem",
    "gaussian_transfer", "frequency_filter",
]


# ----------------------------------------------------------------------------- the DFT


def dft_matrix(n: int) -> np.ndarray:
    """The n×n DFT matrix ``F[k, x] = exp(-2πi k x / n)``.

    Defined in :ref:`sec-dft` (Eq. :eq:`eq-dft-matrix`).

    Parameters
    ----------
    n : int
        Signal length, >= 1.

    Returns
    -------
    (n, n) ndarray of complex128
        Row ``k`` holds the complex sinusoid of frequency ``k`` cycles per ``n`` samples.
        ``F @ f`` equals ``np.fft.fft(f)``; ``F.conj() @ F == n I``.

    Notes
    -----
    An outer product of the frequency index ``k`` and the sample index ``x`` inside one ``exp``: the
    definition itself, O(n²) per transform where the FFT takes O(n log n).

    References
    ----------
    J. W. Cooley and J. W. Tukey, "An algorithm for the machine calculation of complex Fourier series",
    Math. Comp. 19, 1965.

    Examples
    --------
    >>> F = dft_matrix(4)
    >>> np.allclose(F @ [1.0, 2.0, 3.0, 4.0], np.fft.fft([1.0, 2.0, 3.0, 4.0]))
    True
    """
    n = check_int(n, "n", 1)
    k = np.arange(n)[:, None]  # (n, 1) frequency index
    x = np.arange(n)[None, :]  # (1, n) sample index
    return np.exp(-2j * np.pi * k * x / n)


def dft2(image: np.ndarray) -> np.ndarray:
    """2-D DFT by the definition, ``F = F_M f F_N`` (DFT of every column, then of every row).

    Defined in :ref:`sec-dft` (Eq. :eq:`eq-dft2`).

    Parameters
    ----------
    image : (H, W) ndarray
        A grey image, any real dtype (bool counts as 0/1).

    Returns
    -------
    (H, W) ndarray of complex128
        ``F[u, v] = Σ_y Σ_x f[y, x] exp(-2πi (u y / H + v x / W))``, in ``np.fft`` order (DC at
        ``[0, 0]``); equals ``np.fft.fft2``.

    Notes
    -----
    Cost O(HW(H + W)), against O(HW log HW) for the FFT: fine for the lesson, not for video.

    References
    ----------
    J. W. Cooley and J. W. Tukey, "An algorithm for the machine calculation of complex Fourier series",
    Math. Comp. 19, 1965.

    Examples
    --------
    >>> f = np.arange(12.0).reshape(3, 4)
    >>> np.allclose(dft2(f), np.fft.fft2(f))
    True
    """
    f = as_float_image(image)
    H, W = f.shape
    return dft_matrix(H) @ f @ dft_matrix(W)  # (H, H)(H, W)(W, W); F_N is symmetric, so no transpose


def idft2(spectrum: np.ndarray) -> np.ndarray:
    """Inverse 2-D DFT by the definition, ``f = (1 / HW) F_M* F F_N*``.

    Defined in :ref:`sec-dft` (Eq. :eq:`eq-dft2`).

    Parameters
    ----------
    spectrum : (H, W) ndarray of complex
        A spectrum as returned by :func:`dft2`.

    Returns
    -------
    (H, W) ndarray of complex128
        Take ``.real`` when the spectrum came from a real image.

    Notes
    -----
    The conjugate matrices undo the forward ones because ``F* F = n I``; the ``1 / HW`` is that ``n``
    for the two axes (``np.fft.ifft2`` uses the same scaling).

    References
    ----------
    J. W. Cooley and J. W. Tukey, "An algorithm for the machine calculation of complex Fourier series",
    Math. Comp. 19, 1965.

    Examples
    --------
    >>> f = np.arange(6.0).reshape(2, 3)
    >>> np.allclose(idft2(dft2(f)).real, f)
    True
    """
    check_array(spectrum, "spectrum", ndim=2, dtype_kind="fiuc")
    H, W = spectrum.shape
    return dft_matrix(H).conj() @ spectrum @ dft_matrix(W).conj() / (H * W)


def magnitude_spectrum(image: np.ndarray) -> np.ndarray:
    """``log(1 + |F|)`` with the zero frequency moved to the centre, for display.

    Defined in :ref:`sec-dft` (Eq. :eq:`eq-dft2`).

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype.

    Returns
    -------
    (H, W) ndarray of float64
        Non-negative and centred: the DC term sits at ``[H // 2, W // 2]``, horizontal frequency grows
        to the right, vertical frequency downwards.

    Notes
    -----
    ``np.fft.fftshift`` moves the zero frequency to the middle; the log compresses the huge range of
    magnitudes (the DC term is ``H W`` times the mean) so the rest is visible
    (:func:`coursekit.image.intensity.log_transform`).

    References
    ----------
    J. W. Cooley and J. W. Tukey, "An algorithm for the machine calculation of complex Fourier series",
    Math. Comp. 19, 1965.

    Examples
    --------
    >>> S = magnitude_spectrum(np.ones((4, 6)))            # a constant image: only the DC term
    >>> S.round(3)[2, 3], float(S.sum() - S[2, 3])
    (np.float64(3.219), 0.0)
    """
    f = as_float_image(image)
    return np.log1p(np.abs(np.fft.fftshift(np.fft.fft2(f))))


# ----------------------------------------------------------------------------- convolution theorem


def circular_convolve(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Circular convolution by the direct sum, ``g[y, x] = Σ_{u,v} h[u, v] f[(y-u) mod H, (x-v) mod W]``.

    Defined in :ref:`sec-dft` (Eq. :eq:`eq-convolution-theorem`).

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image ``f``, any real dtype.
    kernel : (h, w) ndarray
        Kernel ``h``, any real dtype; ``h <= H`` and ``w <= W``; its entry ``[0, 0]`` is the origin
        (no centring).

    Returns
    -------
    (H, W) ndarray of float64
        Indexed ``[row, col]`` like the image.

    Notes
    -----
    One shifted copy of the image per kernel tap: O(HW hw). The image wraps around at its
    borders, which is exactly the periodic world the DFT assumes.

    References
    ----------
    J. W. Cooley and J. W. Tukey, "An algorithm for the machine calculation of complex Fourier series",
    Math. Comp. 19, 1965.

    Examples
    --------
    >>> circular_convolve(np.array([[1.0, 2.0, 3.0]]), np.array([[0.0, 1.0]]))
    array([[3., 1., 2.]])
    """
    f = as_float_image(image)
    h = as_float_image(kernel, "kernel")
    if h.shape[0] > f.shape[0] or h.shape[1] > f.shape[1]:
        raise ValueError(f"kernel {h.shape} must not be larger than the image {f.shape}.")
    g = np.zeros_like(f)
    for u, v in zip(*np.nonzero(h)):
        g += h[u, v] * np.roll(f, shift=(u, v), axis=(0, 1))  # f[(y-u) mod H, (x-v) mod W]
    return g


def convolution_theorem(image: np.ndarray, kernel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both sides of the convolution theorem, ``DFT(f ⊛ h) = DFT(f) · DFT(h)``.

    Defined in :ref:`sec-dft` (Eq. :eq:`eq-convolution-theorem`).

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image ``f``, any real dtype.
    kernel : (h, w) ndarray
        Kernel ``h``, any real dtype, zero-padded to (H, W) with its origin at ``[0, 0]``.

    Returns
    -------
    direct : (H, W) ndarray of float64
        :func:`circular_convolve` — the sum in the spatial domain.
    spectral : (H, W) ndarray of float64
        ``IFFT(FFT(f) · FFT(h))`` — a product in the frequency domain (``np.fft`` is the fast path).

    Notes
    -----
    The pair comes back in the order of the equation, (left side, right side); the two agree to
    float64 rounding for every image and kernel.

    References
    ----------
    J. W. Cooley and J. W. Tukey, "An algorithm for the machine calculation of complex Fourier series",
    Math. Comp. 19, 1965.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> direct, spectral = convolution_theorem(rng.random((8, 8)), rng.random((3, 3)))
    >>> bool(np.allclose(direct, spectral))
    True
    """
    direct = circular_convolve(image, kernel)
    f = as_float_image(image)
    h = np.zeros_like(f)
    k = as_float_image(kernel, "kernel")
    h[: k.shape[0], : k.shape[1]] = k  # (H, W) zero-padded kernel
    spectral = np.fft.ifft2(np.fft.fft2(f) * np.fft.fft2(h)).real
    return direct, spectral


def gaussian_transfer(shape: tuple[int, int], sigma: float) -> np.ndarray:
    """Transfer function of a spatial Gaussian of std ``sigma`` pixels: ``exp(-2π²σ²(u² + v²))``.

    Defined in :ref:`sec-dft` (Eq. :eq:`eq-gaussian-transfer`).

    Parameters
    ----------
    shape : (H, W)
        Size of the spectrum.
    sigma : float
        Spatial standard deviation in pixels, > 0.

    Returns
    -------
    (H, W) ndarray of float64
        In ``np.fft`` order (DC at ``[0, 0]``), indexed ``[u, v]`` in cycles per pixel.

    Notes
    -----
    The Fourier transform of a Gaussian is a Gaussian: a blur of std ``sigma`` pixels multiplies
    frequency ``(u, v)`` by ``exp(-2π²σ²(u² + v²))``, a low-pass filter with std ``1 / (2π sigma)``.

    References
    ----------
    J. W. Cooley and J. W. Tukey, "An algorithm for the machine calculation of complex Fourier series",
    Math. Comp. 19, 1965.

    Examples
    --------
    >>> float(gaussian_transfer((8, 8), 2.0)[0, 0])
    1.0
    """
    sigma = check_positive(sigma, "sigma")
    H, W = (check_int(s, "shape", 1) for s in shape)
    u = np.fft.fftfreq(H)[:, None]  # (H, 1) cycles per pixel
    v = np.fft.fftfreq(W)[None, :]  # (1, W)
    return np.exp(-2.0 * np.pi**2 * sigma**2 * (u**2 + v**2))


def frequency_filter(image: np.ndarray, transfer: np.ndarray) -> np.ndarray:
    """Filter in the frequency domain: ``g = IDFT(DFT(f) · T)`` (circular borders).

    Defined in :ref:`sec-dft` (Eq. :eq:`eq-gaussian-transfer`).

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image ``f``, any real dtype.
    transfer : (H, W) ndarray
        Transfer function ``T`` in ``np.fft`` order (DC at ``[0, 0]``), real or complex, e.g.
        :func:`gaussian_transfer`.

    Returns
    -------
    (H, W) ndarray of float64
        The real part of the inverse transform, on the input's scale.

    Notes
    -----
    The convolution theorem read backwards: a product of spectra is a circular convolution of images,
    so borders wrap around (compare :func:`coursekit.image.filters.gaussian_blur`, which reflects).

    References
    ----------
    J. W. Cooley and J. W. Tukey, "An algorithm for the machine calculation of complex Fourier series",
    Math. Comp. 19, 1965.

    Examples
    --------
    >>> f = np.random.default_rng(0).random((16, 16))
    >>> bool(np.allclose(frequency_filter(f, np.ones((16, 16))), f))   # T = 1 changes nothing
    True
    """
    f = as_float_image(image)
    check_array(transfer, "transfer", shape=f.shape, dtype_kind="fiuc")
    return np.fft.ifft2(np.fft.fft2(f) * transfer).real


# ----------------------------------------------------------------------------- the DCT


