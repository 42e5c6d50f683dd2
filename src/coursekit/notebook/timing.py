"""Honest timings for the "from scratch vs the library" cells and for ``make bench``.

A single timing on a shared laptop can be off by 2x or more; the median of a few repeats after a
warm-up call is stable enough to compare two implementations measured in the same run.
"""

from __future__ import annotations

import statistics
import time
from typing import Callable

__all__ = ["median_time", "median_ms", "median_times_interleaved"]


def median_time(fn: Callable[[], object], repeats: int = 5, warmup: int = 1) -> float:
    """Median wall-clock time of ``fn()`` in seconds, over ``repeats`` calls after ``warmup`` calls.

    Parameters
    ----------
    fn : callable
        Called with no arguments.
    repeats : int
        Timed calls.
    warmup : int
        Untimed calls first (caches, lazy imports, JIT warm-up).

    Returns
    -------
    float
        The median duration of one call, in seconds.

    Examples
    --------
    >>> median_time(lambda: sum(range(1000)), repeats=3) > 0
    True
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}.")
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def median_ms(fn: Callable[[], object], repeats: int = 5, warmup: int = 1) -> float:
    """:func:`median_time` in milliseconds.

    Parameters
    ----------
    fn : callable
        Called with no arguments.
    repeats : int
        Timed calls.
    warmup : int
        Untimed calls first.

    Returns
    -------
    float
        The median duration of one call, in milliseconds.

    Examples
    --------
    >>> median_ms(lambda: None, repeats=3) < 1000
    True
    """
    return 1e3 * median_time(fn, repeats, warmup)


def median_times_interleaved(fns: list[Callable[[], object]], repeats: int = 25, block: int = 5,
                             warmup: int = 1) -> list[float]:
    """Median times (seconds) of several functions, timed in alternating blocks.

    Each round calls every function ``block`` times in a row (warm caches, as in a loop), then moves on
    to the next function; rounds repeat until each function has run ``repeats`` times. Alternating the
    blocks exposes every function to the same drift in machine load, so the *ratios* of the medians
    are fairer than timing each function once in its own long block.

    Parameters
    ----------
    fns : list of callable
        The functions to compare, each called with no arguments.
    repeats : int
        Timed calls of each function.
    block : int
        Consecutive calls of one function before moving to the next.
    warmup : int
        Untimed calls of each function first.

    Returns
    -------
    list of float
        The median duration of one call of each function, in seconds, in the order of ``fns``.

    Examples
    --------
    >>> fast, slow = median_times_interleaved([lambda: None, lambda: sum(range(10_000))], repeats=3)
    >>> fast < slow
    True
    """
    if repeats < 1 or block < 1:
        raise ValueError(f"repeats and block must be >= 1, got {repeats} and {block}.")
    times: list[list[float]] = [[] for _ in fns]
    while len(times[0]) < repeats:
        for fn, ts in zip(fns, times):
            for _ in range(warmup):  # re-warm after the other functions ran
                fn()
            for _ in range(min(block, repeats - len(ts))):
                t0 = time.perf_counter()
                fn()
                ts.append(time.perf_counter() - t0)
    return [statistics.median(ts) for ts in times]
