"""The discrete cosine transform (DCT-II, orthonormal) as a matrix, in 2-D on 8×8 blocks, and its basis images.

Chapter 2, section "The 8×8 DCT". The transform is written as a matrix product so the equation is the
code; ``scipy.fft.dctn(..., norm="ortho")`` is the test oracle. Coefficient arrays are indexed
``[k, l]`` = (vertical frequency, horizontal frequency), like the block ``[row, col]`` they come from;
inputs of any real dtype (bool as 0/1) give float64.

References
----------
N. Ahmed, T. Natarajan and K. R. Rao, "Discrete cosine transform", IEEE Trans. Computers C-23, 1974.
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import as_float_image, check_array, check_int

__all__ = ["dct_matrix", "dct2", "idct2", "dct_basis_images", "block_dct", "block_idct"]


def dct_matrix(n: int = 8) -> np.ndarray:
    """The orthonormal DCT-II matrix ``C[k, x] = α_k cos(π (2x + 1) k / 2n)``.

    Defined in :ref:`sec-dct` (Eq. :eq:`eq-dct-matrix`).

    Parameters
    ----------
    n : int
        Block size, >= 1 (JPEG uses 8).

    Returns
    -------
    (n, n) ndarray of float64
        Row ``k`` is the cosine of frequency ``k``; ``α_0 = sqrt(1/n)``, ``α_k = sqrt(2/n)`` for k > 0,
        so ``C @ C.T == I``.

    Notes
    -----
    ``C @ f`` equals ``scipy.fft.dct(f, norm="ortho")``: the orthonormal scaling makes the inverse the
    transpose, which is what makes the 2-D transform of Eq. :eq:`eq-dct2` two matrix products.

    References
    ----------
    N. Ahmed, T. Natarajan and K. R. Rao, "Discrete cosine transform", IEEE Trans. Computers C-23, 1974.

    Examples
    --------
    >>> C = dct_matrix(8)
    >>> bool(np.allclose(C @ C.T, np.eye(8)))
    True
    >>> round(float(C[0, 0]), 6)
    0.353553
    """
    n = check_int(n, "n", 1)
    k = np.arange(n)[:, None]  # (n, 1) frequency
    x = np.arange(n)[None, :]  # (1, n) sample
    alpha = np.where(k == 0, np.sqrt(1.0 / n), np.sqrt(2.0 / n))  # (n, 1)
    return alpha * np.cos(np.pi * (2 * x + 1) * k / (2 * n))


def dct2(block: np.ndarray) -> np.ndarray:
    """2-D orthonormal DCT-II of one block or a stack of blocks: ``X = C B Cᵀ``.

    Defined in :ref:`sec-dct` (Eq. :eq:`eq-dct2`).

    Parameters
    ----------
    block : (..., M, N) ndarray
        One block (e.g. 8×8) or a stack of blocks, any real dtype, indexed ``[..., row, col]``.

    Returns
    -------
    (..., M, N) ndarray of float64
        Indexed ``[..., k, l]`` (vertical, horizontal frequency); ``X[..., 0, 0]`` is the DC term,
        ``sqrt(M N)`` times the block's mean.

    Notes
    -----
    Transform every column (``C_M B``), then every row (``· C_Nᵀ``); equals
    ``scipy.fft.dctn(B, axes=(-2, -1), norm="ortho")``.

    References
    ----------
    N. Ahmed, T. Natarajan and K. R. Rao, "Discrete cosine transform", IEEE Trans. Computers C-23, 1974.

    Examples
    --------
    >>> X = dct2(np.full((8, 8), 10.0))
    >>> round(float(X[0, 0]), 6), bool(np.allclose(X.ravel()[1:], 0))
    (80.0, True)
    """
    check_array(block, "block", dtype_kind="biuf")
    if block.ndim < 2:
        raise ValueError(f"block must have at least 2 dimensions (M, N), got shape {block.shape}.")
    M, N = block.shape[-2:]
    return dct_matrix(M) @ block.astype(np.float64) @ dct_matrix(N).T  # (..., M, N)


def idct2(coeffs: np.ndarray) -> np.ndarray:
    """Inverse of :func:`dct2`: ``B = Cᵀ X C`` (C is orthonormal, so its inverse is its transpose).

    Defined in :ref:`sec-dct` (Eq. :eq:`eq-dct2`).

    Parameters
    ----------
    coeffs : (..., M, N) ndarray
        Coefficients indexed ``[..., k, l]``, any real dtype.

    Returns
    -------
    (..., M, N) ndarray of float64
        The block(s), indexed ``[..., row, col]``.

    Notes
    -----
    Parseval: the transform keeps the sum of squares, ``‖X‖_F = ‖B‖_F``, so dropping small coefficients
    costs exactly their energy.

    References
    ----------
    N. Ahmed, T. Natarajan and K. R. Rao, "Discrete cosine transform", IEEE Trans. Computers C-23, 1974.

    Examples
    --------
    >>> B = np.arange(64.0).reshape(8, 8)
    >>> bool(np.allclose(idct2(dct2(B)), B))
    True
    """
    check_array(coeffs, "coeffs", dtype_kind="biuf")
    if coeffs.ndim < 2:
        raise ValueError(f"coeffs must have at least 2 dimensions (M, N), got shape {coeffs.shape}.")
    M, N = coeffs.shape[-2:]
    return dct_matrix(M).T @ coeffs.astype(np.float64) @ dct_matrix(N)  # (..., M, N)


def dct_basis_images(n: int = 8) -> np.ndarray:
    """The n² DCT basis images: ``basis[k, l] = outer(C[k], C[l])``.

    Defined in :ref:`sec-dct` (Eq. :eq:`eq-dct2`).

    Parameters
    ----------
    n : int
        Block size, >= 1.

    Returns
    -------
    (n, n, n, n) ndarray of float64
        ``basis[k, l]`` is the n×n block (indexed ``[row, col]``) whose DCT is 1 at ``(k, l)`` and 0
        elsewhere: ``k`` cycles down the rows, ``l`` along the columns.

    Notes
    -----
    Every block is a weighted sum of these images, the weights being its DCT coefficients.

    References
    ----------
    N. Ahmed, T. Natarajan and K. R. Rao, "Discrete cosine transform", IEEE Trans. Computers C-23, 1974.

    Examples
    --------
    >>> basis = dct_basis_images(8)
    >>> basis.shape, bool(np.allclose(dct2(basis[1, 2]), np.eye(8)[1][:, None] * np.eye(8)[2]))
    ((8, 8, 8, 8), True)
    """
    C = dct_matrix(n)
    return np.einsum("ky,lx->klyx", C, C)  # (n, n, n, n)


def _check_blocks(image: np.ndarray, n: int, name: str) -> np.ndarray:
    f = as_float_image(image, name)
    H, W = f.shape
    if H % n or W % n:
        raise ValueError(
            f"{name} of shape {f.shape} is not a whole number of {n}×{n} blocks; pad it first "
            f"(e.g. np.pad(img, ((0, {-H % n}), (0, {-W % n})), mode='edge'), as JPEG does)."
        )
    return f


def block_dct(image: np.ndarray, n: int = 8) -> np.ndarray:
    """DCT of every non-overlapping n×n block of a grey image.

    Defined in :ref:`sec-dct` (Eq. :eq:`eq-dct2`).

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype; ``H`` and ``W`` must be multiples of ``n`` (pad with
        ``np.pad(..., mode="edge")``).
    n : int
        Block size, >= 1.

    Returns
    -------
    (H // n, W // n, n, n) ndarray of float64
        ``out[i, j]`` is the DCT of the block at rows ``i*n:(i+1)*n``, columns ``j*n:(j+1)*n``.

    Notes
    -----
    Reshape to ``(H/n, n, W/n, n)``, move the block axes last, and apply :func:`dct2` to the stack.

    References
    ----------
    G. K. Wallace, "The JPEG still picture compression standard", CACM 34(4), 1991.

    Examples
    --------
    >>> block_dct(np.zeros((16, 24))).shape
    (2, 3, 8, 8)
    """
    n = check_int(n, "n", 1)
    f = _check_blocks(image, n, "image")
    H, W = f.shape
    blocks = f.reshape(H // n, n, W // n, n).transpose(0, 2, 1, 3)  # (H/n, W/n, n, n)
    return dct2(blocks)


def block_idct(coeffs: np.ndarray) -> np.ndarray:
    """Inverse of :func:`block_dct`: ``(H/n, W/n, n, n)`` coefficients → ``(H, W)`` image.

    Defined in :ref:`sec-dct` (Eq. :eq:`eq-dct2`).

    Parameters
    ----------
    coeffs : (Bh, Bw, n, n) ndarray
        One block of coefficients per block position, any real dtype.

    Returns
    -------
    (Bh * n, Bw * n) ndarray of float64
        The image, block ``[i, j]`` at rows ``i*n:(i+1)*n`` and columns ``j*n:(j+1)*n``.

    Notes
    -----
    :func:`idct2` on the stack, then the inverse of :func:`block_dct`'s reshape.

    References
    ----------
    G. K. Wallace, "The JPEG still picture compression standard", CACM 34(4), 1991.

    Examples
    --------
    >>> img = np.random.default_rng(0).random((16, 8))
    >>> bool(np.allclose(block_idct(block_dct(img)), img))
    True
    """
    check_array(coeffs, "coeffs", ndim=4, dtype_kind="biuf")
    if coeffs.shape[2] != coeffs.shape[3]:
        raise ValueError(f"coeffs must hold square blocks (Bh, Bw, n, n), got shape {coeffs.shape}.")
    bh, bw, n, _ = coeffs.shape
    blocks = idct2(coeffs)  # (Bh, Bw, n, n)
    return blocks.transpose(0, 2, 1, 3).reshape(bh * n, bw * n)  # (H, W)
