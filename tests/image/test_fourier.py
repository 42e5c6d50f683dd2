"""Chapter 2, frequency: the DFT by its matrix, the convolution theorem and the orthonormal 8×8 DCT,
checked against np.fft, scipy.fft, scipy.signal and OpenCV on real images and seeded random inputs."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import scipy.fft
import scipy.ndimage as ndi
import scipy.signal
from skimage import data

from coursekit.image.dct import block_dct, block_idct, dct2, dct_basis_images, dct_matrix, idct2
from coursekit.image.fourier import (
    circular_convolve,
    convolution_theorem,
    dft2,
    dft_matrix,
    frequency_filter,
    gaussian_transfer,
    idft2,
    magnitude_spectrum,
)


def _gray(name: str) -> np.ndarray:
    img = getattr(data, name)()
    return img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


REAL = {"camera": _gray("camera"), "coffee": _gray("coffee")}  # 512×512 and 400×600 (not square)


# ----------------------------------------------------------------------------- DFT


@pytest.mark.parametrize("n", [1, 2, 5, 8, 17])
def test_dft_matrix_matches_np_fft_on_random_signals(n, rng):
    f = rng.normal(size=n)
    # Direct sum vs FFT: both are O(n eps |f|) accurate; 1e-10 is far above that for n <= 17.
    np.testing.assert_allclose(dft_matrix(n) @ f, np.fft.fft(f), atol=1e-10)


def test_dft_matrix_rows_are_orthogonal_with_norm_n():
    F = dft_matrix(16)
    np.testing.assert_allclose(F.conj().T @ F, 16 * np.eye(16), atol=1e-9)


@pytest.mark.parametrize("name", list(REAL))
def test_dft2_matches_np_fft2_on_real_images(name):
    f = REAL[name][::2, ::2]  # (256, 256) and (200, 300): keeps the O(HW(H+W)) product fast
    expected = np.fft.fft2(f.astype(np.float64))
    # Rounding of an O(H+W)-term sum against an O(log) FFT: relative error ~1e-13 of the DC magnitude.
    np.testing.assert_allclose(dft2(f), expected, atol=1e-10 * np.abs(expected).max())


def test_idft2_inverts_dft2_on_random_input(rng):
    f = rng.random((12, 20))
    np.testing.assert_allclose(idft2(dft2(f)).real, f, atol=1e-12)
    np.testing.assert_allclose(idft2(np.fft.fft2(f)), np.fft.ifft2(np.fft.fft2(f)), atol=1e-12)


def test_magnitude_spectrum_has_its_maximum_at_the_centre_for_a_positive_image():
    f = REAL["camera"].astype(np.float64)
    S = magnitude_spectrum(f)
    assert np.unravel_index(np.argmax(S), S.shape) == (256, 256)  # DC = sum of positive pixels
    np.testing.assert_allclose(S[256, 256], np.log1p(f.sum()), rtol=1e-12)


# ----------------------------------------------------------------------------- convolution theorem


def _wrap_full_convolution(f, h):
    """Independent oracle: linear convolution (scipy.signal) folded back onto the periodic grid."""
    full = scipy.signal.convolve2d(f, h, mode="full")
    g = np.zeros_like(f, dtype=np.float64)
    H, W = f.shape
    for y in range(full.shape[0]):
        for x in range(full.shape[1]):
            g[y % H, x % W] += full[y, x]
    return g


@pytest.mark.parametrize("name", list(REAL))
def test_circular_convolution_matches_folded_scipy_convolution(name, rng):
    f = REAL[name][100:140, 200:248].astype(np.float64)  # (40, 48) real patch
    h = rng.normal(size=(5, 3))
    np.testing.assert_allclose(circular_convolve(f, h), _wrap_full_convolution(f, h), atol=1e-9)


@pytest.mark.parametrize("shape", [(8, 8), (13, 21)])
def test_convolution_theorem_holds_on_random_input(shape, rng):
    direct, spectral = convolution_theorem(rng.random(shape), rng.normal(size=(4, 5)))
    np.testing.assert_allclose(direct, spectral, atol=1e-10)  # FFT round-off only


def test_convolution_theorem_holds_on_camera():
    f = REAL["camera"][::4, ::4]  # (128, 128)
    direct, spectral = convolution_theorem(f, np.ones((7, 7)) / 49.0)
    np.testing.assert_allclose(direct, spectral, atol=1e-9)


def test_gaussian_transfer_filter_matches_spatial_gaussian_with_wrap():
    f = REAL["coffee"].astype(np.float64)
    got = frequency_filter(f, gaussian_transfer(f.shape, 2.0))
    expected = ndi.gaussian_filter(f, 2.0, mode="wrap", truncate=6.0)
    # The transfer is the continuous Gaussian's Fourier transform; the sampled kernel's DTFT differs by
    # aliasing of order exp(-2 pi^2 sigma^2 (1 - ...)) ~ 1e-17 for sigma=2, plus a 1e-8 kernel tail:
    # far below 0.05 grey levels of a 0..255 image.
    assert np.abs(got - expected).max() < 0.05


def test_frequency_tools_reject_bad_input():
    with pytest.raises(ValueError, match="integer >= 1"):
        dft_matrix(0)
    with pytest.raises(ValueError, match="colour"):
        dft2(np.zeros((8, 8, 3)))
    with pytest.raises(ValueError, match="larger than the image"):
        circular_convolve(np.zeros((4, 4)), np.ones((5, 5)))
    with pytest.raises(ValueError, match="shape"):
        frequency_filter(np.zeros((8, 8)), np.ones((8, 9)))
    with pytest.raises(ValueError, match="sigma"):
        gaussian_transfer((8, 8), 0.0)


# ----------------------------------------------------------------------------- DCT


@pytest.mark.parametrize("n", [1, 2, 4, 8, 16])
def test_dct_matrix_is_orthonormal(n):
    C = dct_matrix(n)
    np.testing.assert_allclose(C @ C.T, np.eye(n), atol=1e-12)
    np.testing.assert_allclose(C.T @ C, np.eye(n), atol=1e-12)


@pytest.mark.parametrize("n", [2, 8, 11])
def test_dct_matrix_matches_scipy_ortho_dct_of_the_identity(n):
    # Column j of C is the DCT of the unit vector e_j.
    np.testing.assert_allclose(dct_matrix(n), scipy.fft.dct(np.eye(n), norm="ortho", axis=0), atol=1e-12)


def test_dct2_matches_scipy_dctn_and_cv2_dct_on_random_blocks(rng):
    blocks = rng.uniform(-128, 127, size=(10, 8, 8))
    got = dct2(blocks)
    np.testing.assert_allclose(got, scipy.fft.dctn(blocks, axes=(-2, -1), norm="ortho"), atol=1e-9)
    for b, g in zip(blocks, got):
        # cv2.dct on float64 is the same orthonormal DCT-II; double round-off only.
        np.testing.assert_allclose(g, cv2.dct(b), atol=1e-9)


@pytest.mark.parametrize("name", list(REAL))
def test_block_dct_matches_scipy_per_block_on_real_images(name):
    f = REAL[name].astype(np.float64) - 128.0
    coeffs = block_dct(f)
    H, W = f.shape
    assert coeffs.shape == (H // 8, W // 8, 8, 8)
    for i, j in [(0, 0), (3, 7), (H // 8 - 1, W // 8 - 1)]:
        ref = scipy.fft.dctn(f[8 * i:8 * i + 8, 8 * j:8 * j + 8], norm="ortho")
        np.testing.assert_allclose(coeffs[i, j], ref, atol=1e-9)
    np.testing.assert_allclose(block_idct(coeffs), f, atol=1e-9)


def test_idct2_inverts_dct2_and_preserves_energy(rng):
    B = rng.normal(size=(5, 8, 8))
    X = dct2(B)
    np.testing.assert_allclose(idct2(X), B, atol=1e-12)
    np.testing.assert_allclose((X**2).sum(), (B**2).sum(), rtol=1e-12)  # Parseval: C is orthonormal


def test_dct_basis_image_has_a_single_unit_coefficient():
    basis = dct_basis_images(8)
    X = dct2(basis[2, 5])
    expected = np.zeros((8, 8))
    expected[2, 5] = 1.0
    np.testing.assert_allclose(X, expected, atol=1e-12)


@pytest.mark.parametrize("name", ["camera", "moon"])
def test_dct_compacts_block_energy_better_than_dft(name):
    # The chapter's claim, with the same budget of 9 real numbers per 8×8 block (mean removed): the
    # DCT's lowest 3×3 frequencies vs the DFT's |u|, |v| <= 1 (9 complex coefficients in a
    # conjugate-symmetric set = 9 real numbers). The DFT's periodic extension adds a jump at the
    # block border that spreads energy to high frequencies. Measured margin ~0.11-0.16; we ask 0.05.
    f = _gray(name).astype(np.float64)
    H, W = f.shape
    blocks = f.reshape(H // 8, 8, W // 8, 8).transpose(0, 2, 1, 3)  # (H/8, W/8, 8, 8)
    blocks = blocks - blocks.mean(axis=(-2, -1), keepdims=True)
    X = dct2(blocks)
    F = np.fft.fft2(blocks) / 8.0  # orthonormal scaling: same total energy as X
    low_dct = (X[..., :3, :3] ** 2).sum() / (X**2).sum()
    k = np.r_[0, 1, 7]  # frequencies 0, +1, -1 on the periodic grid
    low_dft = (np.abs(F[..., k[:, None], k[None, :]]) ** 2).sum() / (np.abs(F) ** 2).sum()
    assert low_dct > low_dft + 0.05, (low_dct, low_dft)


def test_dct_tools_reject_bad_input():
    with pytest.raises(ValueError, match="8×8 blocks"):
        block_dct(np.zeros((12, 16)))
    with pytest.raises(ValueError, match="colour"):
        block_dct(np.zeros((16, 16, 3)))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        dct2(np.zeros(8))
    with pytest.raises(ValueError, match="square blocks"):
        block_idct(np.zeros((2, 2, 8, 4)))
    with pytest.raises(ValueError, match="must be an integer"):
        dct_matrix(2.5)
    with pytest.raises(ValueError, match="integer >= 1"):
        dct_matrix(0)
