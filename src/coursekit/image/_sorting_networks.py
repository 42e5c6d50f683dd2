"""Sorting and selection networks: how to take a median of every window with whole-image min/max.

A sorting network is a fixed sequence of compare-exchange steps ``(a, b) -> (min(a, b), max(a, b))``
that sorts any input. Because the sequence does not depend on the data, each step can be applied to
*every pixel at once* as ``np.minimum``/``np.maximum`` of two shifted images — exactly what NumPy is
good at. :func:`coursekit.image.nonlinear.median_filter` uses the networks built here.

Used in Chapter 2 (the median filter). Reference: K. E. Batcher, "Sorting networks and their
applications", AFIPS Spring Joint Computer Conference, 1968.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["median_partition", "oddeven_merge", "oddeven_sort", "prune", "median_network",
           "run_network", "median_band", "median_by_network"]


def median_partition(p: np.ndarray, k: int) -> np.ndarray:
    """Median of every k×k window of a padded image ``p`` (H + k - 1, W + k - 1) by ``np.partition``."""
    m = k * k // 2
    win = sliding_window_view(p, (k, k))                  # (H, W, k, k), a view
    win = win.reshape(win.shape[:2] + (k * k,))           # (H, W, k*k), a copy
    return np.partition(win, m, axis=-1)[..., m]          # (H, W)


_LO, _HI = "-inf", "+inf"        # constant wires: compare with them and nothing needs computing


def oddeven_merge(lo: int, n: int, r: int):
    """Comparators (i, j) of Batcher's odd–even merge of wires lo..lo+n-1 (two sorted halves), stride r."""
    step = 2 * r
    if step < n:
        yield from oddeven_merge(lo, n, step)            # merge the even subsequence
        yield from oddeven_merge(lo + r, n, step)        # merge the odd subsequence
        for i in range(lo + r, lo + n - r, step):         # then fix neighbours
            yield (i, i + r)
    else:
        yield (lo, lo + r)


def oddeven_sort(lo: int, n: int, block: int = 1):
    """Batcher's odd–even merge sort of n = 2^p wires, assuming blocks of ``block`` wires arrive sorted."""
    if n > block:
        yield from oddeven_sort(lo, n // 2, block)
        yield from oddeven_sort(lo + n // 2, n // 2, block)
        yield from oddeven_merge(lo, n, 1)


def prune(wires: list, comparators, outputs: list, first_id: int):
    """Run a comparator network symbolically; keep only the min/max operations the outputs depend on.

    ``wires`` holds an input id or a constant (_LO, _HI) per wire. A comparator touching a constant is a
    free relabelling (min(a, +inf) = a); any other one produces two new values, ``min`` and ``max``.
    Returns ``ops`` — tuples (new_id, "min" | "max", a, b) in execution order — and the output ids.
    """
    wires, ops, new = list(wires), [], first_id
    for i, j in comparators:
        a, b = wires[i], wires[j]
        if a == _LO or b == _HI:                          # already in order
            continue
        if a == _HI or b == _LO:                          # surely out of order: swap the labels
            wires[i], wires[j] = b, a
            continue
        ops += [(new, "min", a, b), (new + 1, "max", a, b)]
        wires[i], wires[j], new = new, new + 1, new + 2
    outs = [wires[o] for o in outputs]
    needed, kept = set(outs), []
    for op in reversed(ops):                              # backwards: what do the outputs depend on?
        if op[0] in needed:
            kept.append(op)
            needed.update(op[2:])
    return kept[::-1], outs


@functools.lru_cache(maxsize=None)
def median_network(ksize: int):
    """The two stages of a ksize×ksize median selection network (a pure function of ksize, cached).

    Stage 1 sorts each column of k pixels (inputs 0..k-1 = rows). Stage 2 merges the k sorted columns
    (input ``v * k + i`` = rank i of column v) and keeps only what the median needs. Each stage is
    Batcher's network on the next power of two m >= k wires per column, the spare wires held at ±inf.
    """
    k = ksize
    m = 1 << (k - 1).bit_length()                         # wires per column, a power of two
    col_ops, col_out = prune(list(range(k)) + [_HI] * (m - k), oddeven_sort(0, m), list(range(k)), k)
    if k == 3:                                            # the classic 3x3 shortcut: 12 operations, not 20
        ops, out = _median3_of_sorted_columns()
        return with_last_uses(col_ops, col_out), tuple(col_out), with_last_uses(ops, {out}), out
    spare = (m - k) * m                                   # wires of the m - k empty columns
    best = None                                           # where the ±inf go changes the pruning: try all
    for front in itertools.product([0, m - k], repeat=k):  # -inf before (or +inf after) column v's k values
        for n_lo in range(spare + 1):                     # how many wires of the empty columns are -inf
            wires = [w for v in range(k)
                     for w in [_LO] * front[v] + [v * k + i for i in range(k)] + [_HI] * (m - k - front[v])]
            wires += [_LO] * n_lo + [_HI] * (spare - n_lo)   # (m*m,) every block of m wires is sorted
            mid = sum(front) + n_lo + k * k // 2          # the median's wire: after every -inf
            ops, (out,) = prune(wires, oddeven_sort(0, m * m, block=m), [mid], k * k)
            if best is None or len(ops) < len(best[0]):
                best = (ops, out)
    return with_last_uses(col_ops, col_out), tuple(col_out), with_last_uses(best[0], {best[1]}), best[1]


def _median3_of_sorted_columns():
    """Stage 2 for 3×3 windows whose three columns are already sorted (input ``3 v + i`` = rank i of column v).

    The median of the 9 values is ``med3(max of the 3 lows, med3 of the 3 middles, min of the 3 highs)``,
    with ``med3(a, b, c) = max(min(a, b), min(max(a, b), c))`` — the classic hardware 3×3 median (e.g.
    J. L. Smith, "Implementing median filters in XC4000E FPGAs", Xilinx Xcell 23, 1996). Like any
    comparator network it is correct for all inputs if it is correct for all 0/1 inputs (Knuth's 0–1
    principle); the tests check all 2^9 of them. Returns the operations ``(new_id, "min" | "max", a, b)``
    and the id of the median.
    """
    ops, new = [], 9

    def op(kind, a, b):
        nonlocal new
        ops.append((new, kind, a, b))
        new += 1
        return new - 1

    def med3(a, b, c):
        return op("max", op("min", a, b), op("min", op("max", a, b), c))

    low = op("max", op("max", 0, 3), 6)                   # the largest of the three column minima
    high = op("min", op("min", 2, 5), 8)                  # the smallest of the three column maxima
    mid = med3(1, 4, 7)                                   # the median of the three column medians
    return ops, med3(low, mid, high)


def with_last_uses(ops, keep) -> tuple:
    """Append to each operation the values it reads for the last time (their buffers can be reused)."""
    last = {}
    for t, (_, _, a, b) in enumerate(ops):
        last[a] = last[b] = t
    return tuple((new, kind, a, b, tuple(v for v in {a, b} if last[v] == t and v not in keep))
                 for t, (new, kind, a, b) in enumerate(ops))


def run_network(values: dict, ops, length: int, dtype) -> dict:
    """Apply min/max operations to whole 1-D arrays of ``length``; dead values give their buffer back."""
    inputs, free = set(values), []
    for new, kind, a, b, dead in ops:
        buf = free.pop() if free else np.empty(length, dtype)
        values[new] = (np.minimum if kind == "min" else np.maximum)(values[a], values[b], out=buf)
        for v in dead:
            if v not in inputs:                            # inputs are views of the image: not ours
                free.append(values.pop(v))
    return values


def median_band(p: np.ndarray, k: int) -> np.ndarray:
    """Median of every k×k window of a padded band ``p`` (h + k - 1, w + k - 1), by the network."""
    col_ops, col_out, ops, out = median_network(k)
    h, Wp = p.shape[0] - (k - 1), p.shape[1]
    w = Wp - (k - 1)
    f = np.ascontiguousarray(p).ravel()                   # ((h + k - 1) * Wp,) row after row
    n_col = h * Wp                                        # a shift by u rows is a shift by u * Wp
    col = run_network({u: f[u * Wp:u * Wp + n_col] for u in range(k)}, col_ops, n_col, p.dtype)
    S = [col[c] for c in col_out]                         # k × (h * Wp,) rank i of each vertical k-run
    n = (h - 1) * Wp + w                                  # the last window starts here
    grid = {v * k + i: S[i][v:v + n] for v in range(k) for i in range(k)}   # shift by v columns
    med = run_network(grid, ops, n, p.dtype)[out]       # (n,)
    res = np.empty(h * Wp, p.dtype)
    res[:n] = med
    return res.reshape(h, Wp)[:, :w]                      # (h, w) drop the wrapped-around columns


def median_by_network(p: np.ndarray, k: int, band_values: int | None = None) -> np.ndarray:
    """Median of every k×k window of a padded image ``p`` (H + k - 1, W + k - 1), band by band, in its dtype.

    The fast path of :func:`coursekit.image.nonlinear.median_filter` for ``k <= 7``. ``band_values`` is a
    tuning knob (values per band operand; default ``2 ** (18 - k // 2)``, smaller for big windows, which
    keep more values alive); the result does not depend on it.
    """
    r = k // 2
    H, W = p.shape[0] - 2 * r, p.shape[1] - 2 * r
    out = np.empty((H, W), p.dtype)
    band = max(1, (2 ** (18 - r) if band_values is None else int(band_values)) // p.shape[1])   # rows per band
    for y in range(0, H, band):
        out[y:y + band] = median_band(p[y:y + band + 2 * r], k)   # (band, W)
    return out
