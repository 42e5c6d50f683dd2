"""Honest timings for the "from scratch vs the library" cells and for ``make bench``.

A single timing on a shared laptop can be off by 2x or more; the median of a few repeats after a
warm-up call is stable enough to compare two implementations measured in the same run.
"""

from __future__ import annotations

import statistics
import time
from typing import Callable

__all__ = ["median_time", "median_ms"]


def median_time(fn: Callable[[], object], repeats: int = 5, warmup: int = 1) -> float:
    """Median wall-clock time of ``fn()`` in seconds, over ``repeats`` calls after ``warmup`` calls.

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
    """:func:`median_time` in milliseconds."""
    return 1e3 * median_time(fn, repeats, warmup)
