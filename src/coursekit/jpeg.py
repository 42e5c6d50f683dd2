"""A baseline JPEG pipeline, one teachable piece per step.

Chapter 2 (Image processing), section "The JPEG pipeline":
RGB → YCbCr (JFIF, full-range BT.601) → 4:2:0 chroma subsampling → level shift and
8×8 DCT → quantisation with the Annex K tables scaled by the IJG quality rule →
zigzag scan → run-length coding of the AC coefficients → (entropy coding).

The last step is *estimated*, not performed: :func:`estimate_bits` charges each
symbol its ideal (empirical-entropy) code length plus its raw amplitude bits. A
real encoder's Huffman code costs at most one extra bit per symbol, plus headers.

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

import numbers

import numpy as np

from ._validate import as_uint8_image, check_array
from .frequency import block_dct, block_idct

__all__ = [
    "LUMINANCE_TABLE",
    "CHROMINANCE_TABLE",
    "rgb_to_ycbcr",
    "ycbcr_to_rgb",
    "subsample_420",
    "upsample_420",
    "quality_table",
    "quantize",
    "dequantize",
    "zigzag_indices",
    "zigzag",
    "inverse_zigzag",
    "run_length_encode",
    "run_length_decode",
    "estimate_bits",
    "jpeg_compress",
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
    check_array(rgb, name, ndim=3, dtype_kind="fiu")
    if rgb.shape[-1] != 3:
        raise ValueError(f"{name} must have 3 channels in its last axis, got shape {rgb.shape}.")
    return rgb


def rgb_to_ycbcr(rgb: np.ndarray) -> np.ndarray:
    """JFIF colour transform (full-range ITU-R BT.601), without rounding.

    ``Y = 0.299 R + 0.587 G + 0.114 B``, ``Cb = 128 + (B − Y) / 1.772``, ``Cr = 128 + (R − Y) / 1.402``.

    Parameters
    ----------
    rgb : (H, W, 3) ndarray of uint8
        R, G, B in 0..255.

    Returns
    -------
    (H, W, 3) ndarray of float64
        Y, Cb, Cr, each in [0, 255]. (OpenCV's ``COLOR_RGB2YCrCb`` stores Y, **Cr, Cb**.)

    Examples
    --------
    >>> np.round(rgb_to_ycbcr(np.array([[[255, 0, 0]]], dtype=np.uint8)), 3)
    array([[[ 76.245,  84.972, 255.5  ]]])

    Defined in Chapter 2, Eq. (2.34).
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

    ``R = Y + 1.402 (Cr − 128)``, ``B = Y + 1.772 (Cb − 128)``, ``G = (Y − 0.299 R − 0.114 B) / 0.587``.

    Parameters
    ----------
    ycbcr : (H, W, 3) ndarray, real

    Returns
    -------
    (H, W, 3) ndarray of float64
        R, G, B; may leave [0, 255] after lossy coding, so clip before converting to uint8.

    Examples
    --------
    >>> rgb = np.array([[[12, 200, 77]]], dtype=np.uint8)
    >>> np.round(ycbcr_to_rgb(rgb_to_ycbcr(rgb)), 9)
    array([[[ 12., 200.,  77.]]])

    Defined in Chapter 2, Eq. (2.34).
    """
    _check_rgb(ycbcr, "ycbcr")
    Y, Cb, Cr = np.moveaxis(ycbcr.astype(np.float64), -1, 0)  # each (H, W)
    R = Y + 2.0 * (1.0 - _KR) * (Cr - 128.0)
    B = Y + 2.0 * (1.0 - _KB) * (Cb - 128.0)
    G = (Y - _KR * R - _KB * B) / _KG
    return np.stack([R, G, B], axis=-1)  # (H, W, 3)


def subsample_420(chroma: np.ndarray) -> np.ndarray:
    """4:2:0 subsampling: the mean of each 2×2 block (odd sizes: the last row/column is repeated).

    Parameters
    ----------
    chroma : (H, W) ndarray, real
        One chroma plane (Cb or Cr).

    Returns
    -------
    (ceil(H/2), ceil(W/2)) ndarray of float64
        A quarter of the samples.

    Examples
    --------
    >>> subsample_420(np.array([[0.0, 2.0, 4.0], [2.0, 4.0, 6.0]]))
    array([[2., 5.]])

    Defined in Chapter 2, Eq. (2.35).
    """
    check_array(chroma, "chroma", ndim=2, dtype_kind="fiu")
    c = np.pad(chroma.astype(np.float64), ((0, chroma.shape[0] % 2), (0, chroma.shape[1] % 2)), mode="edge")
    H2, W2 = c.shape[0] // 2, c.shape[1] // 2
    return c.reshape(H2, 2, W2, 2).mean(axis=(1, 3))  # (H/2, W/2)


def upsample_420(chroma: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Undo :func:`subsample_420` by pixel replication, cropped to ``shape``.

    Parameters
    ----------
    chroma : (h, w) ndarray, real
    shape : (H, W)
        Full-resolution size; needs ``h == ceil(H/2)`` and ``w == ceil(W/2)``.

    Returns
    -------
    (H, W) ndarray of float64

    Defined in Chapter 2, Eq. (2.35).
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

    Examples
    --------
    >>> quality_table(50)[0, :4]
    array([16, 11, 10, 16])
    >>> int(quality_table(100).max())
    1

    Defined in Chapter 2, Eq. (2.36).
    """
    if isinstance(quality, bool) or not isinstance(quality, numbers.Integral) or not 1 <= quality <= 100:
        raise ValueError(f"quality must be an integer in 1..100, got {quality!r}.")
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    base = CHROMINANCE_TABLE if chroma else LUMINANCE_TABLE
    return np.clip((base * scale + 50) // 100, 1, 255)


def _check_table(table) -> np.ndarray:
    check_array(table, "table", shape=(8, 8), dtype_kind="fiu")
    if np.any(table <= 0):
        raise ValueError("table must hold positive quantisation steps.")
    return table


def quantize(coeffs: np.ndarray, table: np.ndarray) -> np.ndarray:
    """``q = round(X / Q)`` element-wise for one 8×8 block or a stack of them — the only lossy step.

    Parameters
    ----------
    coeffs : (..., 8, 8) ndarray of float
        DCT coefficients.
    table : (8, 8) ndarray
        Quantisation steps, e.g. :func:`quality_table`.

    Returns
    -------
    (..., 8, 8) ndarray of int64

    Examples
    --------
    >>> quantize(np.full((8, 8), 40.0), quality_table(50))[0, :4]
    array([2, 4, 4, 2])

    Defined in Chapter 2, Eq. (2.36).
    """
    check_array(coeffs, "coeffs", dtype_kind="fiu")
    if coeffs.shape[-2:] != (8, 8):
        raise ValueError(f"coeffs must end in (8, 8) blocks, got shape {coeffs.shape}.")
    return np.round(coeffs / _check_table(table)).astype(np.int64)


def dequantize(q: np.ndarray, table: np.ndarray) -> np.ndarray:
    """``X̂ = q · Q``: the decoder's estimate of the DCT coefficients.

    Returns
    -------
    (..., 8, 8) ndarray of float64

    Defined in Chapter 2, Eq. (2.36).
    """
    check_array(q, "q", dtype_kind="iu")
    if q.shape[-2:] != (8, 8):
        raise ValueError(f"q must end in (8, 8) blocks, got shape {q.shape}.")
    return (q * _check_table(table)).astype(np.float64)


# ----------------------------------------------------------------------------- zigzag and run lengths


def zigzag_indices(n: int = 8) -> np.ndarray:
    """The zigzag scan order of an n×n block as (row, column) pairs.

    Walk the anti-diagonals ``s = row + col = 0, 1, …, 2n − 2``; on odd ``s`` go down-left
    (row increasing), on even ``s`` go up-right (row decreasing).

    Parameters
    ----------
    n : int
        Block size (8 for JPEG).

    Returns
    -------
    (n*n, 2) ndarray of int64
        ``out[i]`` is the (row, col) of the i-th coefficient in scan order.

    Examples
    --------
    >>> zigzag_indices(8)[:6].tolist()
    [[0, 0], [0, 1], [1, 0], [2, 0], [1, 1], [0, 2]]

    Defined in Chapter 2, Eq. (2.37).
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}.")
    order = []
    for s in range(2 * n - 1):
        rows = range(max(0, s - n + 1), min(s, n - 1) + 1)  # rows on this anti-diagonal, top to bottom
        rows = rows if s % 2 == 1 else reversed(rows)
        order.extend((r, s - r) for r in rows)
    return np.array(order, dtype=np.int64)


def zigzag(blocks: np.ndarray) -> np.ndarray:
    """Read each 8×8 block in zigzag order: ``(..., 8, 8)`` → ``(..., 64)``.

    Examples
    --------
    >>> zigzag(np.arange(64).reshape(8, 8))[:6]
    array([ 0,  1,  8, 16,  9,  2])

    Defined in Chapter 2, Eq. (2.37).
    """
    check_array(blocks, "blocks", dtype_kind="fiu")
    if blocks.ndim < 2 or blocks.shape[-2:] != (8, 8):
        raise ValueError(f"blocks must end in (8, 8), got shape {blocks.shape}.")
    rc = zigzag_indices(8)
    return blocks[..., rc[:, 0], rc[:, 1]]  # (..., 64)


def inverse_zigzag(vectors: np.ndarray) -> np.ndarray:
    """Put zigzag-ordered coefficients back in their block: ``(..., 64)`` → ``(..., 8, 8)``.

    Examples
    --------
    >>> B = np.arange(64).reshape(8, 8)
    >>> bool((inverse_zigzag(zigzag(B)) == B).all())
    True

    Defined in Chapter 2, Eq. (2.37).
    """
    check_array(vectors, "vectors", dtype_kind="fiu")
    if vectors.ndim < 1 or vectors.shape[-1] != 64:
        raise ValueError(f"vectors must end in 64 zigzag coefficients, got shape {vectors.shape}.")
    rc = zigzag_indices(8)
    out = np.zeros(vectors.shape[:-1] + (8, 8), dtype=vectors.dtype)  # (..., 8, 8)
    out[..., rc[:, 0], rc[:, 1]] = vectors
    return out


EOB = (0, 0)  #: end of block: every remaining AC coefficient is zero
ZRL = (15, 0)  #: zero run length: sixteen zeros, more coefficients follow


def run_length_encode(ac) -> list[tuple[int, int]]:
    """Code the 63 AC coefficients of one block as (zero run, value) pairs, as baseline JPEG does.

    Each nonzero value becomes ``(number of zeros before it, value)``; a run longer than 15 first
    emits ``ZRL = (15, 0)`` for every 16 zeros; trailing zeros become one ``EOB = (0, 0)``
    (omitted when the last coefficient is nonzero).

    Parameters
    ----------
    ac : (63,) array of int
        AC coefficients of one quantised block in zigzag order (DC is coded separately).

    Returns
    -------
    list of (int, int)

    Examples
    --------
    >>> ac = np.zeros(63, dtype=int); ac[[0, 3, 20]] = [5, -2, 1]
    >>> run_length_encode(ac)
    [(0, 5), (2, -2), (15, 0), (0, 1), (0, 0)]

    Defined in Chapter 2, Eq. (2.38).
    """
    ac = np.asarray(ac)
    check_array(ac, "ac", shape=(63,), dtype_kind="iu")
    pairs, run = [], 0
    last = int(np.flatnonzero(ac)[-1]) if ac.any() else -1
    for value in ac[: last + 1].tolist():
        if value == 0:
            run += 1
            continue
        while run > 15:
            pairs.append(ZRL)
            run -= 16
        pairs.append((run, value))
        run = 0
    if last < 62:
        pairs.append(EOB)
    return pairs


def run_length_decode(pairs) -> np.ndarray:
    """Inverse of :func:`run_length_encode`: (run, value) pairs → the 63 AC coefficients.

    Examples
    --------
    >>> run_length_decode([(1, 3), (0, 0)])[:3]
    array([0, 3, 0])

    Defined in Chapter 2, Eq. (2.38).
    """
    ac, i = np.zeros(63, dtype=np.int64), 0
    for run, value in pairs:
        if (run, value) == EOB:
            break
        i += run if (run, value) != ZRL else 16
        if (run, value) == ZRL:
            continue
        if i >= 63:
            raise ValueError("the pairs describe more than 63 AC coefficients.")
        ac[i] = value
        i += 1
    return ac


# ----------------------------------------------------------------------------- the bit estimate


def _size(v: np.ndarray) -> np.ndarray:
    """JPEG magnitude category: the number of bits of |v| (0 for v = 0)."""
    return np.ceil(np.log2(np.abs(v) + 1.0)).astype(np.int64)


def _entropy_bits(symbols: np.ndarray) -> float:
    """Σ −log2 p(symbol) over a sequence: the ideal code length of its empirical distribution."""
    if symbols.size == 0:
        return 0.0
    _, counts = np.unique(symbols, return_counts=True)
    p = counts / counts.sum()
    return float(-(counts * np.log2(p)).sum())


def _ac_symbols(ac: np.ndarray) -> tuple[np.ndarray, float]:
    """All (run, size) symbols of :func:`run_length_encode` for many blocks at once, vectorised.

    ``ac`` is (B, 63); returns the symbols as bytes ``16 * run + size`` (ZRL = 0xF0, EOB = 0x00,
    in no particular order) and the total number of amplitude bits.
    """
    b, pos = np.nonzero(ac)  # nonzero coefficients, row-major: sorted by block, then position
    first = np.r_[True, b[1:] != b[:-1]]  # first nonzero of its block?
    prev = np.where(first, -1, np.r_[-1, pos[:-1]])
    run = pos - prev - 1  # zeros before each nonzero
    n_zrl = run // 16  # ZRL symbols before each nonzero
    size = _size(ac[b, pos])
    symbols = [16 * (run % 16) + size, np.full(int(n_zrl.sum()), 16 * 15)]  # (run, size) as one byte
    last = np.full(ac.shape[0], -1)
    np.maximum.at(last, b, pos)  # (B,) position of the last nonzero AC coefficient, -1 if none
    symbols.append(np.zeros(int((last < 62).sum()), dtype=np.int64))  # one EOB per block that needs it
    return np.concatenate(symbols), float(size.sum())


def estimate_bits(q: np.ndarray) -> float:
    """Estimated entropy-coded size of quantised blocks, in bits (an estimate, **not** Huffman).

    DC: differences between consecutive blocks' DC terms, coded as a size category plus that many
    amplitude bits. AC: the (run, size) symbols of :func:`run_length_encode` (with ZRL and EOB),
    plus each value's amplitude bits. Each symbol stream is charged its empirical entropy.

    Parameters
    ----------
    q : (Bh, Bw, 8, 8) ndarray of int
        Quantised blocks of one component, in raster order.

    Returns
    -------
    float
        Bits. A real Huffman code costs ≤ 1 extra bit per symbol, and a file adds headers.

    Defined in Chapter 2, Eq. (2.39).
    """
    check_array(q, "q", ndim=4, dtype_kind="iu")
    zz = zigzag(q).reshape(-1, 64)  # (B, 64) blocks in raster order
    dc_diff = np.diff(zz[:, 0], prepend=0)  # (B,) DPCM of the DC terms
    dc_size = _size(dc_diff)
    bits = _entropy_bits(dc_size) + float(dc_size.sum())
    ac_symbols, amplitude_bits = _ac_symbols(zz[:, 1:])
    return bits + _entropy_bits(ac_symbols) + amplitude_bits


# ----------------------------------------------------------------------------- the whole pipeline


def _code_plane(plane: np.ndarray, table: np.ndarray) -> tuple[np.ndarray, float]:
    """Level shift, block DCT, quantise, estimate bits, dequantise, inverse DCT; crop back."""
    H, W = plane.shape
    padded = np.pad(plane, ((0, -H % 8), (0, -W % 8)), mode="edge")  # (H8, W8) edge replicated
    q = quantize(block_dct(padded - 128.0), table)  # (H8/8, W8/8, 8, 8) ints
    recon = block_idct(dequantize(q, table)) + 128.0
    return recon[:H, :W], estimate_bits(q)


def jpeg_compress(image: np.ndarray, quality: int = 75, subsample: bool = True) -> tuple[np.ndarray, float]:
    """Run the JPEG pipeline on an 8-bit image; return the decoded image and an estimated size.

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
    1. RGB → YCbCr (:func:`rgb_to_ycbcr`); 2. chroma 4:2:0 (:func:`subsample_420`);
    3. per plane: subtract 128, 8×8 DCT, quantise with the luminance or chrominance table;
    4. estimate bits; 5. decode: dequantise, inverse DCT, add 128, upsample chroma, back to RGB,

    clip to 0..255 and round.

    Examples
    --------
    >>> img = np.tile(np.arange(0, 256, 16, dtype=np.uint8), (16, 1))  # (16, 16) ramp
    >>> rec, bits = jpeg_compress(img, quality=90)
    >>> rec.shape, rec.dtype, bool(np.abs(rec.astype(int) - img).max() <= 8), bits < 16 * 16 * 8
    ((16, 16), dtype('uint8'), True, True)

    Defined in Chapter 2, Eq. (2.39).
    """
    check_array(image, "image", ndim=(2, 3), dtype_kind="fiu")
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
