"""A baseline JPEG pipeline, one teachable piece per step.

Chapter 2 (Image processing), section "The JPEG pipeline":
RGB → YCbCr (JFIF, full-range BT.601) → 4:2:0 chroma subsampling → level shift and
8×8 DCT → quantisation with the Annex K tables scaled by the IJG quality rule →
zigzag scan → run-length coding of the AC coefficients → (entropy coding).

Three steps lose information: 4:2:0 chroma subsampling (colour only), quantisation (the main one, and the
one the quality setting tunes) and rounding the decoded samples to uint8 (libjpeg also rounds the YCbCr
planes to 8 bits before the DCT; here they stay in float64). The last step is *estimated*, not performed: :func:`estimate_bits` charges each
symbol its ideal (empirical-entropy) code length plus its raw amplitude bits. A
real encoder's Huffman code costs at most one extra bit per symbol, plus headers.

dtype rule (CONTRIBUTING.md, "Conventions"): JPEG codes 8-bit samples, so the
pipeline's ends (:func:`rgb_to_ycbcr`, :func:`jpeg_compress`) take uint8 and the
decoded image comes back as uint8; the steps in between work in float64.

References
----------
- ITU-T T.81 | ISO/IEC 10918-1, "Digital compression and coding of continuous-tone
  still images" (1992), Annex K (example tables) and Figure A.6 (zigzag).
- E. Hamilton, "JPEG File Interchange Format, version 1.02" (1992), section "Conversion
  to and from RGB".
- G. K. Wallace, "The JPEG still picture compression standard", CACM 34(4) (1991).
- Independent JPEG Group, libjpeg ``jcparam.c``: ``jpeg_quality_scaling``.
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import as_uint8_image, check_array, check_int
from coursekit.image.dct import block_dct, block_idct
from coursekit.image.entropy import estimate_bits

__all__ = [
    "LUMINANCE_TABLE", "CHROMINANCE_TABLE", "rgb_to_ycbcr", "ycbcr_to_rgb", "subsample_420", "upsample_420",
    "quality_table", "quantize_coefficients", "dequantize_coefficients", "jpeg_compress",
]

#: Table K.1 of T.81: luminance quantisation step for each DCT frequency (row = vertical).
LUMINANCE_TABLE = np.array([
    [16, 11, 10, 16, 24, 40, 51, 61],
    [12, 12, 14, 19, 26, 58, 60, 55],
    [14, 13, 16, 24, 40, 57, 69, 56],
    [14, 17, 22, 29, 51, 87, 80, 62],
    [18, 22, 37, 56, 68, 109, 103, 77],
    [24, 35, 55, 64, 81, 104, 113, 92],
    [49, 64, 78, 87, 103, 121, 120, 101],
    [72, 92, 95, 98, 112, 100, 103, 99],
])
LUMINANCE_TABLE.setflags(write=False)

#: Table K.2 of T.81: chrominance quantisation steps (coarser: the eye resolves less colour detail).
CHROMINANCE_TABLE = np.full((8, 8), 99)
CHROMINANCE_TABLE[:4, :4] = [[17, 18, 24, 47], [18, 21, 26, 66], [24, 26, 56, 99], [47, 66, 99, 99]]
CHROMINANCE_TABLE.setflags(write=False)

# JFIF / BT.601 luma weights; Cb and Cr are the scaled differences B − Y and R − Y.
_KR, _KB = 0.299, 0.114
_KG = 1.0 - _KR - _KB


# ----------------------------------------------------------------------------- colour


def _check_rgb(rgb, name: str) -> np.ndarray:
    check_array(rgb, name, ndim=3, dtype_kind="biuf")
    if rgb.shape[-1] != 3:
        raise ValueError(f"{name} must have 3 channels in its last axis, got shape {rgb.shape}.")
    return rgb


def rgb_to_ycbcr(rgb: np.ndarray) -> np.ndarray:
    """JFIF colour transform (full-range ITU-R BT.601), without rounding.

    Defined in :ref:`sec-jpeg` (Eq. :eq:`eq-ycbcr`).

    ``Y = 0.299 R + 0.587 G + 0.114 B``, ``Cb = 128 + (B − Y) / 1.772``, ``Cr = 128 + (R − Y) / 1.402``.

    Parameters
    ----------
    rgb : (H, W, 3) ndarray of uint8
        R, G, B in 0..255.

    Returns
    -------
    (H, W, 3) ndarray of float64
        Y, Cb, Cr, each in [0, 255]. (OpenCV's ``COLOR_RGB2YCrCb`` stores Y, **Cr, Cb**.)

    Notes
    -----
    Y is the BT.601 luma; Cb and Cr are the scaled differences B − Y and R − Y, offset by 128 so
    that all three fit 0..255. No rounding here: the coder rounds only once, at the end.

    References
    ----------
    E. Hamilton, "JPEG File Interchange Format, version 1.02", 1992, "Conversion to and from RGB".

    Examples
    --------
    >>> np.round(rgb_to_ycbcr(np.array([[[255, 0, 0]]], dtype=np.uint8)), 3)
    array([[[ 76.245,  84.972, 255.5  ]]])
    """
    _check_rgb(rgb, "rgb")
    if rgb.dtype != np.uint8:
        raise ValueError(f"rgb must be uint8 (JPEG codes 8-bit samples), got dtype {rgb.dtype}.")
    R, G, B = np.moveaxis(rgb.astype(np.float64), -1, 0)  # each (H, W)
    Y = _KR * R + _KG * G + _KB * B
    Cb = 128.0 + (B - Y) / (2.0 * (1.0 - _KB))  # 1 / 1.772 = 0.5 / 0.886
    Cr = 128.0 + (R - Y) / (2.0 * (1.0 - _KR))  # 1 / 1.402 = 0.5 / 0.701
    return np.stack([Y, Cb, Cr], axis=-1)  # (H, W, 3)


def ycbcr_to_rgb(ycbcr: np.ndarray) -> np.ndarray:
    """Inverse of :func:`rgb_to_ycbcr` (exact, no clipping or rounding).

    Defined in :ref:`sec-jpeg` (Eq. :eq:`eq-ycbcr`).

    ``R = Y + 1.402 (Cr − 128)``, ``B = Y + 1.772 (Cb − 128)``, ``G = (Y − 0.299 R − 0.114 B) / 0.587``.

    Parameters
    ----------
    ycbcr : (H, W, 3) ndarray, real

    Returns
    -------
    (H, W, 3) ndarray of float64
        R, G, B; may leave [0, 255] after lossy coding, so clip before converting to uint8.

    References
    ----------
    E. Hamilton, "JPEG File Interchange Format, version 1.02", 1992, "Conversion to and from RGB".

    Examples
    --------
    >>> rgb = np.array([[[12, 200, 77]]], dtype=np.uint8)
    >>> np.round(ycbcr_to_rgb(rgb_to_ycbcr(rgb)), 9)
    array([[[ 12., 200.,  77.]]])
    """
    _check_rgb(ycbcr, "ycbcr")
    Y, Cb, Cr = np.moveaxis(ycbcr.astype(np.float64), -1, 0)  # each (H, W)
    R = Y + 2.0 * (1.0 - _KR) * (Cr - 128.0)
    B = Y + 2.0 * (1.0 - _KB) * (Cb - 128.0)
    G = (Y - _KR * R - _KB * B) / _KG
    return np.stack([R, G, B], axis=-1)  # (H, W, 3)


def subsample_420(chroma: np.ndarray) -> np.ndarray:
    """4:2:0 subsampling: the mean of each 2×2 block (odd sizes: the last row/column is repeated).

    Defined in :ref:`sec-jpeg` (Eq. :eq:`eq-chroma-subsampling`).

    Parameters
    ----------
    chroma : (H, W) ndarray, real
        One chroma plane (Cb or Cr).

    Returns
    -------
    (ceil(H/2), ceil(W/2)) ndarray of float64
        A quarter of the samples.

    Notes
    -----
    The eye resolves colour less finely than brightness, so each chroma plane keeps one sample per
    2×2 block: half the data of the whole image.

    References
    ----------
    G. K. Wallace, "The JPEG still picture compression standard", CACM 34(4), 1991.

    Examples
    --------
    >>> subsample_420(np.array([[0.0, 2.0, 4.0], [2.0, 4.0, 6.0]]))
    array([[2., 5.]])
    """
    check_array(chroma, "chroma", ndim=2, dtype_kind="fiu")
    c = np.pad(chroma.astype(np.float64), ((0, chroma.shape[0] % 2), (0, chroma.shape[1] % 2)), mode="edge")
    H2, W2 = c.shape[0] // 2, c.shape[1] // 2
    return c.reshape(H2, 2, W2, 2).mean(axis=(1, 3))  # (H/2, W/2)


def upsample_420(chroma: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Undo :func:`subsample_420` by pixel replication, cropped to ``shape``.

    Defined in :ref:`sec-jpeg` (Eq. :eq:`eq-chroma-subsampling`).

    Parameters
    ----------
    chroma : (h, w) ndarray
        A subsampled chroma plane, any real dtype.
    shape : (H, W)
        Full-resolution size (rows, columns); needs ``h == ceil(H/2)`` and ``w == ceil(W/2)``.

    Returns
    -------
    (H, W) ndarray of float64
        Each sample copied to its 2×2 block.

    References
    ----------
    G. K. Wallace, "The JPEG still picture compression standard", CACM 34(4), 1991.

    Examples
    --------
    >>> upsample_420(np.array([[1.0, 2.0]]), (2, 3))
    array([[1., 1., 2.],
           [1., 1., 2.]])
    """
    check_array(chroma, "chroma", ndim=2, dtype_kind="fiu")
    H, W = (int(s) for s in shape)
    if chroma.shape != ((H + 1) // 2, (W + 1) // 2):
        raise ValueError(f"chroma of shape {chroma.shape} cannot be a 4:2:0 plane of a {H}×{W} image; "
                         f"expected shape {((H + 1) // 2, (W + 1) // 2)}.")
    return np.repeat(np.repeat(chroma.astype(np.float64), 2, axis=0), 2, axis=1)[:H, :W]


# ----------------------------------------------------------------------------- quantisation


def quality_table(quality: int, chroma: bool = False) -> np.ndarray:
    """The Annex K table scaled by the IJG quality rule (what libjpeg, Pillow and OpenCV use).

    Defined in :ref:`sec-jpeg` (Eq. :eq:`eq-jpeg-quantisation`).

    ``s = 5000 / q`` for ``q < 50``, else ``200 − 2q``; ``Q = clip(floor((T·s + 50) / 100), 1, 255)``.

    Parameters
    ----------
    quality : int
        1 (worst) .. 100 (best); 50 returns the Annex K table itself.
    chroma : bool
        Scale the chrominance table K.2 instead of the luminance table K.1.

    Returns
    -------
    (8, 8) ndarray of int64
        Quantisation steps in 1..255 (baseline JPEG stores them as 8-bit numbers).

    References
    ----------
    Independent JPEG Group, libjpeg ``jcparam.c``: ``jpeg_quality_scaling``.

    Examples
    --------
    >>> quality_table(50)[0, :4]
    array([16, 11, 10, 16])
    >>> int(quality_table(100).max())
    1
    """
    quality = check_int(quality, "quality", 1, 100)
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    base = CHROMINANCE_TABLE if chroma else LUMINANCE_TABLE
    return np.clip((base * scale + 50) // 100, 1, 255)


def _check_table(table) -> np.ndarray:
    check_array(table, "table", shape=(8, 8), dtype_kind="fiu")
    if np.any(table <= 0):
        raise ValueError("table must hold positive quantisation steps.")
    return table


def quantize_coefficients(coeffs: np.ndarray, table: np.ndarray) -> np.ndarray:
    """``q = round(X / Q)`` element-wise for one 8×8 block or a stack of them — JPEG's main, tunable loss.

    Defined in :ref:`sec-jpeg` (Eq. :eq:`eq-jpeg-quantisation`).

    Parameters
    ----------
    coeffs : (..., 8, 8) ndarray of float
        DCT coefficients.
    table : (8, 8) ndarray
        Quantisation steps, e.g. :func:`quality_table`.

    Returns
    -------
    (..., 8, 8) ndarray of int64

    Notes
    -----
    Dividing by the step and rounding throws away what the step cannot express; large steps at high
    frequencies, where the eye is least sensitive, are where JPEG saves its bits. It is not the only
    lossy step: 4:2:0 chroma subsampling and rounding to 8-bit samples lose information too, but the
    quality setting acts only here.

    References
    ----------
    ITU-T T.81 | ISO/IEC 10918-1 (1992), Annex K (example quantisation tables).

    Examples
    --------
    >>> quantize_coefficients(np.full((8, 8), 40.0), quality_table(50))[0, :4]
    array([2, 4, 4, 2])
    """
    check_array(coeffs, "coeffs", dtype_kind="fiu")
    if coeffs.shape[-2:] != (8, 8):
        raise ValueError(f"coeffs must end in (8, 8) blocks, got shape {coeffs.shape}.")
    return np.round(coeffs / _check_table(table)).astype(np.int64)


def dequantize_coefficients(q: np.ndarray, table: np.ndarray) -> np.ndarray:
    """``X̂ = q · Q``: the decoder's estimate of the DCT coefficients.

    Defined in :ref:`sec-jpeg` (Eq. :eq:`eq-jpeg-quantisation`).

    Parameters
    ----------
    q : (..., 8, 8) ndarray of int
        Quantised coefficients, as from :func:`quantize_coefficients`.
    table : (8, 8) ndarray
        The same quantisation steps the encoder used.

    Returns
    -------
    (..., 8, 8) ndarray of float64
        Each coefficient rounded to a multiple of its step: the error is at most half a step.

    References
    ----------
    ITU-T T.81 | ISO/IEC 10918-1 (1992), sec. A.3.4 (dequantisation).

    Examples
    --------
    >>> dequantize_coefficients(np.full((8, 8), 2), quality_table(50))[0, :4]
    array([32., 22., 20., 32.])
    """
    check_array(q, "q", dtype_kind="iu")
    if q.shape[-2:] != (8, 8):
        raise ValueError(f"q must end in (8, 8) blocks, got shape {q.shape}.")
    return (q * _check_table(table)).astype(np.float64)


# ----------------------------------------------------------------------------- the whole pipeline


def _code_plane(plane: np.ndarray, table: np.ndarray) -> tuple[np.ndarray, float]:
    """Level shift, block DCT, quantise, estimate bits, dequantise, inverse DCT; crop back."""
    H, W = plane.shape
    padded = np.pad(plane, ((0, -H % 8), (0, -W % 8)), mode="edge")  # (H8, W8) edge replicated
    q = quantize_coefficients(block_dct(padded - 128.0), table)  # (H8/8, W8/8, 8, 8) ints
    recon = block_idct(dequantize_coefficients(q, table)) + 128.0
    return recon[:H, :W], estimate_bits(q)


def jpeg_compress(image: np.ndarray, quality: int = 75, subsample: bool = True) -> tuple[np.ndarray, float]:
    """Run the JPEG pipeline on an 8-bit image; return the decoded image and an estimated size.

    Defined in :ref:`sec-jpeg` (Eq. :eq:`eq-entropy-bits`).

    Parameters
    ----------
    image : (H, W) or (H, W, 3) ndarray of uint8
        Grey or RGB. Sizes need not be multiples of 8: planes are padded by edge replication.
    quality : int
        1..100, IJG scaling of the Annex K tables (:func:`quality_table`).
    subsample : bool
        Use 4:2:0 chroma subsampling (colour only).

    Returns
    -------
    reconstruction : ndarray of uint8
        Same shape as ``image``.
    bits : float
        **Estimated** coded size in bits (:func:`estimate_bits`; no Huffman tables, no headers).

    Notes
    -----
    1. RGB → YCbCr (:func:`rgb_to_ycbcr`).
    2. Chroma 4:2:0 (:func:`subsample_420`).
    3. Per plane: subtract 128, 8×8 DCT, quantise with the luminance or chrominance table.
    4. Estimate the bits (:func:`coursekit.image.entropy.estimate_bits`).
    5. Decode: dequantise, inverse DCT, add 128, upsample chroma, back to RGB, clip to 0..255 and round.

    References
    ----------
    G. K. Wallace, "The JPEG still picture compression standard", CACM 34(4), 1991.

    Examples
    --------
    >>> img = np.tile(np.arange(0, 256, 16, dtype=np.uint8), (16, 1))  # (16, 16) ramp
    >>> rec, bits = jpeg_compress(img, quality=90)
    >>> rec.shape, rec.dtype, bool(np.abs(rec.astype(int) - img).max() <= 8), bits < 16 * 16 * 8
    ((16, 16), dtype('uint8'), True, True)
    """
    check_array(image, "image", ndim=(2, 3), dtype_kind="biuf")   # the uint8 check below says what to do
    luma_table, chroma_table = quality_table(quality), quality_table(quality, chroma=True)
    if image.ndim == 2:
        as_uint8_image(image)
        rec, bits = _code_plane(image.astype(np.float64), luma_table)
        return np.clip(np.round(rec), 0, 255).astype(np.uint8), bits
    ycc = rgb_to_ycbcr(image)  # (H, W, 3), validates RGB uint8
    H, W = image.shape[:2]
    Y, bits = _code_plane(ycc[..., 0], luma_table)
    planes = [Y]
    for c in (1, 2):
        chroma = subsample_420(ycc[..., c]) if subsample else ycc[..., c]
        rec, b = _code_plane(chroma, chroma_table)
        planes.append(upsample_420(rec, (H, W)) if subsample else rec)
        bits += b
    rgb = ycbcr_to_rgb(np.stack(planes, axis=-1))  # (H, W, 3)
    return np.clip(np.round(rgb), 0, 255).astype(np.uint8), bits
