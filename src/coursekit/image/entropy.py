"""JPEG's lossless back end: zigzag ordering, run-length coding of AC coefficients and a bit-count estimate.

Chapter 2, section "The JPEG pipeline". The Huffman stage is replaced by an entropy estimate of the
symbols; see ``estimate_bits``. Positions inside a block are array indices ``[row, col]`` (the frequency
``(k, l)`` of a DCT coefficient), not ``(x, y)`` points.

References
----------
ITU-T T.81 | ISO/IEC 10918-1 (1992), Figure A.6 (zigzag) and sec. F.1.2 (run lengths).
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array, check_int

__all__ = [
    "zigzag_indices", "zigzag", "inverse_zigzag", "run_length_encode", "run_length_decode", "estimate_bits",
]

EOB = (0, 0)  #: end of block: every remaining AC coefficient is zero


ZRL = (15, 0)  #: zero run length: sixteen zeros, more coefficients follow


def zigzag_indices(n: int = 8) -> np.ndarray:
    """The zigzag scan order of an n×n block as array indices ``(row, col)``.

    Defined in :ref:`sec-jpeg` (Eq. :eq:`eq-zigzag`).

    Parameters
    ----------
    n : int
        Block size, >= 1 (8 for JPEG).

    Returns
    -------
    (n*n, 2) ndarray of int64
        ``out[i]`` is the index ``[row, col]`` (not an ``(x, y)`` point) of the i-th coefficient in scan
        order, so ``block[out[:, 0], out[:, 1]]`` reads a block in zigzag order.

    Notes
    -----
    Walk the anti-diagonals ``s = row + col = 0, 1, …, 2n − 2``; on odd ``s`` go down-left
    (row increasing), on even ``s`` go up-right (row decreasing).

    References
    ----------
    ITU-T T.81 | ISO/IEC 10918-1 (1992), Figure A.6.

    Examples
    --------
    >>> zigzag_indices(8)[:6].tolist()
    [[0, 0], [0, 1], [1, 0], [2, 0], [1, 1], [0, 2]]
    """
    n = check_int(n, "n", 1)
    order = []
    for s in range(2 * n - 1):
        rows = range(max(0, s - n + 1), min(s, n - 1) + 1)  # rows on this anti-diagonal, top to bottom
        rows = rows if s % 2 == 1 else reversed(rows)
        order.extend((r, s - r) for r in rows)
    return np.array(order, dtype=np.int64)


def zigzag(blocks: np.ndarray) -> np.ndarray:
    """Read each 8×8 block in zigzag order: ``(..., 8, 8)`` → ``(..., 64)``.

    Defined in :ref:`sec-jpeg` (Eq. :eq:`eq-zigzag`).

    Parameters
    ----------
    blocks : (..., 8, 8) ndarray
        One block or a stack of blocks, any real dtype, indexed ``[..., k, l]``.

    Returns
    -------
    (..., 64) ndarray, same dtype as ``blocks``
        The coefficients in zigzag order, low frequencies first.

    Notes
    -----
    One fancy-index look-up with the ``(row, col)`` pairs of :func:`zigzag_indices`.

    References
    ----------
    G. K. Wallace, "The JPEG still picture compression standard", CACM 34(4), 1991.

    Examples
    --------
    >>> zigzag(np.arange(64).reshape(8, 8))[:6]
    array([ 0,  1,  8, 16,  9,  2])
    """
    check_array(blocks, "blocks", dtype_kind="biuf")
    if blocks.ndim < 2 or blocks.shape[-2:] != (8, 8):
        raise ValueError(f"blocks must end in (8, 8), got shape {blocks.shape}.")
    rc = zigzag_indices(8)
    return blocks[..., rc[:, 0], rc[:, 1]]  # (..., 64)


def inverse_zigzag(vectors: np.ndarray) -> np.ndarray:
    """Put zigzag-ordered coefficients back in their block: ``(..., 64)`` → ``(..., 8, 8)``.

    Defined in :ref:`sec-jpeg` (Eq. :eq:`eq-zigzag`).

    Parameters
    ----------
    vectors : (..., 64) ndarray
        Coefficients in zigzag order, any real dtype.

    Returns
    -------
    (..., 8, 8) ndarray, same dtype as ``vectors``
        The blocks, indexed ``[..., k, l]``.

    Notes
    -----
    The same index pairs as :func:`zigzag`, used to write instead of to read.

    References
    ----------
    G. K. Wallace, "The JPEG still picture compression standard", CACM 34(4), 1991.

    Examples
    --------
    >>> B = np.arange(64).reshape(8, 8)
    >>> bool((inverse_zigzag(zigzag(B)) == B).all())
    True
    """
    check_array(vectors, "vectors", dtype_kind="biuf")
    if vectors.ndim < 1 or vectors.shape[-1] != 64:
        raise ValueError(f"vectors must end in 64 zigzag coefficients, got shape {vectors.shape}.")
    rc = zigzag_indices(8)
    out = np.zeros(vectors.shape[:-1] + (8, 8), dtype=vectors.dtype)  # (..., 8, 8)
    out[..., rc[:, 0], rc[:, 1]] = vectors
    return out


def run_length_encode(ac) -> list[tuple[int, int]]:
    """Code the 63 AC coefficients of one block as (zero run, value) pairs, as baseline JPEG does.

    Defined in :ref:`sec-jpeg` (Eq. :eq:`eq-run-length`).

    Parameters
    ----------
    ac : (63,) array of int
        AC coefficients of one quantised block in zigzag order (DC is coded separately).

    Returns
    -------
    list of (int, int)
        ``(zero run, value)`` pairs in scan order, with ``ZRL = (15, 0)`` and ``EOB = (0, 0)``.

    Notes
    -----
    Each nonzero value becomes ``(number of zeros before it, value)``; a run longer than 15 first
    emits ``ZRL = (15, 0)`` for every 16 zeros; trailing zeros become one ``EOB = (0, 0)``
    (omitted when the last coefficient is nonzero).

    References
    ----------
    ITU-T T.81 | ISO/IEC 10918-1 (1992), sec. F.1.2.2 (coding of the AC coefficients).

    Examples
    --------
    >>> ac = np.zeros(63, dtype=int); ac[[0, 3, 20]] = [5, -2, 1]
    >>> run_length_encode(ac)
    [(0, 5), (2, -2), (15, 0), (0, 1), (0, 0)]
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

    Defined in :ref:`sec-jpeg` (Eq. :eq:`eq-run-length`).

    Parameters
    ----------
    pairs : sequence of (int, int)
        ``(zero run, value)`` pairs as from :func:`run_length_encode`; ``EOB`` ends the block.

    Returns
    -------
    (63,) ndarray of int64
        The AC coefficients in zigzag order.

    Notes
    -----
    Skip ``run`` zeros (16 for ``ZRL``), write the value, repeat until ``EOB`` or 63 coefficients.

    References
    ----------
    ITU-T T.81 | ISO/IEC 10918-1 (1992), sec. F.1.2.2 (coding of the AC coefficients).

    Examples
    --------
    >>> run_length_decode([(1, 3), (0, 0)])[:3]
    array([0, 3, 0])
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

    Defined in :ref:`sec-jpeg` (Eq. :eq:`eq-entropy-bits`).

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

    Notes
    -----
    The ideal code length of a symbol stream is ``sum -log2 p(symbol)`` under its own empirical
    distribution (Shannon); Huffman's code is within one bit per symbol of it.

    References
    ----------
    C. E. Shannon, "A mathematical theory of communication", Bell System Technical Journal 27, 1948.

    Examples
    --------
    >>> flat = np.zeros((2, 2, 8, 8), dtype=np.int64)           # four blocks, every coefficient 0
    >>> estimate_bits(flat)                                      # one DC symbol, one EOB: no information
    0.0
    >>> q = flat.copy(); q[0, 0, 0, 0] = 3       # DC differences 3, -3, 0, 0: sizes 2, 2, 0, 0
    >>> estimate_bits(q)                         # 4 size symbols at 1 bit each + 2 + 2 amplitude bits
    8.0
    """
    check_array(q, "q", ndim=4, dtype_kind="iu")
    zz = zigzag(q).reshape(-1, 64)  # (B, 64) blocks in raster order
    dc_diff = np.diff(zz[:, 0], prepend=0)  # (B,) DPCM of the DC terms
    dc_size = _size(dc_diff)
    bits = _entropy_bits(dc_size) + float(dc_size.sum())
    ac_symbols, amplitude_bits = _ac_symbols(zz[:, 1:])
    return bits + _entropy_bits(ac_symbols) + amplitude_bits
