"""Argument checks shared by the procedural generators of :mod:`coursekit.data`."""

from __future__ import annotations

import numbers

import numpy as np


def check_rng(rng) -> np.random.Generator:
    """Check that ``rng`` is a ``np.random.Generator`` (the only source of randomness we accept)."""
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng must be a np.random.Generator, got {type(rng).__name__}; "
            "create one with np.random.default_rng(seed)."
        )
    return rng


def check_int(value, name: str, minimum: int = 1, maximum: int | None = None) -> int:
    """Check that ``value`` is an integer in ``[minimum, maximum]`` and return it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}.")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}.")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}.")
    return value


def check_fraction(value, name: str, lo: float = 0.0, hi: float = 1.0) -> float:
    """Check that ``value`` is a real number in ``[lo, hi]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}.")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must lie in [{lo}, {hi}], got {value}.")
    return float(value)


def check_count_range(value, name: str, minimum: int = 0) -> tuple[int, int]:
    """Accept ``k`` or ``(lo, hi)`` (inclusive) and return ``(lo, hi)`` with ``minimum <= lo <= hi``."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        lo = hi = int(value)
    else:
        try:
            lo, hi = value
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be an int or a pair (lo, hi), got {value!r}.") from None
        lo = check_int(lo, f"{name}[0]", minimum)
        hi = check_int(hi, f"{name}[1]", minimum)
    if lo < minimum or hi < lo:
        raise ValueError(f"{name} must satisfy {minimum} <= lo <= hi, got {value!r}.")
    return lo, hi


def check_names(names, name: str, allowed) -> tuple[str, ...]:
    """Check a non-empty sequence of names, each one of ``allowed``."""
    if isinstance(names, str):
        names = (names,)
    names = tuple(names)
    if not names:
        raise ValueError(f"{name} must name at least one of {list(allowed)}.")
    for n in names:
        if n not in allowed:
            raise ValueError(f"{name} contains unknown name {n!r}; choose from {list(allowed)}.")
    return names
