"""The fast pass behind :func:`coursekit.image.filters.gaussian_blur` and ``box_filter``.

Both public functions read as their steps — make the 1-D kernel, pad, correlate down the columns and
then along the rows — and hand the two passes to :func:`separable_correlate`, which runs the same
arithmetic as two 1-D correlations in cache-sized bands of flattened rows (the tests in
``tests/image/test_filters.py`` hold it equal to the plain whole-image passes).

Used in Chapter 2 (Gaussian smoothing).
"""

from __future__ import annotations

import numpy as np

__all__ = ["separable_correlate", "symmetric_sum"]


def symmetric_sum(shifted, k: np.ndarray, out: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    """``out = sum_t k[t] * shifted(t)`` for a symmetric kernel ``k`` (k[r+i] == k[r-i]), in place.

    The taps are paired, ``k[r] x[0] + sum_i k[r+i] * (x[-i] + x[+i])``: half the multiplications of
    the plain sum, with the same result. ``shifted(t)`` is the input moved by ``t - r``.
    """
    r = k.size // 2
    np.multiply(shifted(r), k[r], out=out)
    for i in range(1, r + 1):
        np.add(shifted(r - i), shifted(r + i), out=tmp)
        tmp *= k[r + i]
        out += tmp
    return out


def separable_correlate(p: np.ndarray, ky: np.ndarray, kx: np.ndarray, band_values: int = 2 ** 14) -> np.ndarray:
    """Correlate a padded image with the separable kernel ``outer(ky, kx)``, 'valid' part only.

    ``p`` is a float64 image padded by ``(ry, rx) = (len(ky) // 2, len(kx) // 2)``, shape ``(H + 2 ry, W + 2 rx)``;
    the result is ``(H, W)`` float64: a pass down the columns with ``ky``, then one along the rows with
    ``kx``. Both kernels must be symmetric (Gaussian, box). ``band_values`` is a tuning knob: the number
    of values in one band's operands (16K float64 = 128 KB, sized for the CPU cache); the result does not
    depend on it.

    The arithmetic is that of two 1-D correlations; two tricks make NumPy run it fast:

    * Bands. The padded image is processed a band of rows at a time, so every temporary stays in the CPU
      cache instead of streaming whole images through memory.
    * Flattening. A band of padded rows is one contiguous 1-D array ``f`` of row length ``Wp``. A shift
      by ``t`` rows is a shift by ``t * Wp`` in ``f``, and a shift by ``t`` columns a shift by ``t``, so
      every operand is a contiguous slice. The column shifts wrap the end of one row into the next;
      those outputs land in the ``Wp - W`` padding columns and are dropped.
    """
    if not (np.array_equal(ky, ky[::-1]) and np.array_equal(kx, kx[::-1])):
        raise ValueError("separable_correlate pairs taps, so it needs symmetric kernels.")
    ry, rx = ky.size // 2, kx.size // 2
    p = np.ascontiguousarray(p, dtype=np.float64)         # (H + 2 ry, Wp), Wp = W + 2 rx
    H, Wp = p.shape[0] - 2 * ry, p.shape[1]
    W = Wp - 2 * rx
    f = p.ravel()                                         # ((H + 2 ry) * Wp,) row after row
    out = np.empty((H, W))
    band = max(1, int(band_values) // Wp)                 # rows per band
    v, res, tmp = np.empty(band * Wp), np.empty(band * Wp), np.empty(band * Wp)
    for y in range(0, H, band):
        h = min(band, H - y)
        n = h * Wp                                        # the band's h output rows, padding columns too
        symmetric_sum(lambda t: f[(y + t) * Wp:(y + t) * Wp + n], ky, v[:n], tmp[:n])  # (n,) down columns
        m = n - 2 * rx                                    # the last full window along the rows ends at n
        symmetric_sum(lambda t: v[t:t + m], kx, res[:m], tmp[:m])                       # (m,) along rows
        out[y:y + h] = res[:n].reshape(h, Wp)[:, :W]      # (h, W) drop the wrapped-around columns
    return out
