"""Glue a value computed by a chapter into its prose, as a plain Python number.

myst-nb's ``glue`` stores a value's ``text/plain`` representation and formats it later (``{glue:text}`x:.2f```).
NumPy 2 represents its scalars as ``np.float64(0.5)``, which that formatter cannot read, so a chapter that
glues ``np.mean(...)`` directly would show nothing. :func:`glue` converts NumPy and torch scalars (and
0-d arrays) to Python numbers first; anything else passes through unchanged.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["plain", "glue"]


def plain(value):
    """``value`` as a Python ``int``/``float``/``bool`` when it is a NumPy or torch scalar; else unchanged.

    Examples
    --------
    >>> plain(np.float64(0.5)), type(plain(np.int64(3))).__name__, plain("text")
    (0.5, 'int', 'text')
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0 and not isinstance(value, numbers.Number):
        return value.item()                                     # a 0-d torch tensor
    return value


def glue(name: str, value, display: bool = False):
    """``myst_nb.glue(name, plain(value), display)``: the chapters' way to put a run's number in the prose."""
    from myst_nb import glue as myst_glue

    return myst_glue(name, plain(value), display=display)
