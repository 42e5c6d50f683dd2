"""Input checks shared by every coursekit module.

Each public coursekit function validates what it is given and raises a
``ValueError`` whose message a student can act on: what was expected, what
arrived, and (where it helps) how to fix it. The helpers here keep those
messages uniform across the book.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "as_float_image",
    "as_gray_image",
    "as_uint8_image",
    "check_array",
    "check_odd_size",
    "check_positive",
    "check_nonnegative",
    "check_in_range",
    "check_choice",
]


def _describe(x) -> str:
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape} and dtype {x.dtype}"
    return f"a {type(x).__name__}"


def check_array(x, name: str, ndim=None, dtype_kind: str | None = None, shape=None) -> np.ndarray:
    """Check that ``x`` is an ndarray with the given ndim, dtype kind and shape.

    Parameters
    ----------
    x : object
        The value to check.
    name : str
        The argument's name, used in the error message.
    ndim : int or tuple of int, optional
        Allowed numbers of dimensions.
    dtype_kind : str, optional
        Allowed NumPy dtype kinds, e.g. ``"f"`` (float), ``"fiu"`` (numeric), ``"b"`` (bool).
    shape : tuple, optional
        Required shape; ``None`` entries match any length.

    Returns
    -------
    ndarray
        ``x`` itself (not copied).
    """
    if not isinstance(x, np.ndarray):
        raise ValueError(f"{name} must be a NumPy array, got {_describe(x)}; wrap it with np.asarray(...).")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if x.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be {want}, got shape {x.shape} ({x.ndim}-D).")
    if dtype_kind is not None and x.dtype.kind not in dtype_kind:
        kinds = {"f": "float", "i": "signed int", "u": "unsigned int", "b": "bool", "c": "complex"}
        want = "/".join(kinds.get(k, k) for k in dtype_kind)
        raise ValueError(f"{name} must have a {want} dtype, got {x.dtype}.")
    if shape is not None:
        ok = len(shape) == x.ndim and all(s is None or s == t for s, t in zip(shape, x.shape))
        if not ok:
            want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name} must have shape {want}, got {x.shape}.")
    if x.dtype.kind in "fc" and x.size and not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return x


def as_gray_image(image, name: str = "image") -> np.ndarray:
    """Validate a 2-D grey image (any real dtype) and return it unchanged.

    Raises a ``ValueError`` for colour images, batches, empty arrays, bool or
    complex arrays, and non-finite values.
    """
    if isinstance(image, np.ndarray) and image.ndim == 3 and image.shape[-1] in (3, 4):
        raise ValueError(
            f"{name} must be a 2-D grey image, got a colour image of shape {image.shape}; "
            "convert it first, e.g. with coursekit.data.rgb_to_gray(...)."
        )
    check_array(image, name, ndim=2, dtype_kind="fiu")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {image.shape}).")
    return image


def as_float_image(image, name: str = "image") -> np.ndarray:
    """Validate a grey image and return it as float64 (a copy only when needed)."""
    return as_gray_image(image, name).astype(np.float64, copy=False)


def as_uint8_image(image, name: str = "image") -> np.ndarray:
    """Validate a 2-D uint8 grey image (the 0..255 convention of OpenCV)."""
    as_gray_image(image, name)
    if image.dtype != np.uint8:
        raise ValueError(
            f"{name} must be uint8 with values 0..255, got dtype {image.dtype}; "
            "use coursekit.data.to_uint8(...) to convert a float image in [0, 1]."
        )
    return image


def check_odd_size(k, name: str = "ksize", minimum: int = 1) -> int:
    """Check that a kernel size is an odd integer >= ``minimum`` and return it."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {k!r}.")
    k = int(k)
    if k < minimum or k % 2 == 0:
        raise ValueError(
            f"{name} must be an odd integer >= {minimum} so the kernel has a centre pixel, got {k}."
        )
    return k


def check_positive(value, name: str) -> float:
    """Check that a scalar is a finite number > 0 and return it as float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}.")
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}.")
    return float(value)


def check_nonnegative(value, name: str) -> float:
    """Check that a scalar is a finite number >= 0 and return it as float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}.")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}.")
    return float(value)


def check_in_range(x: np.ndarray, lo: float, hi: float, name: str = "image") -> np.ndarray:
    """Check that every value of ``x`` lies in ``[lo, hi]``."""
    if x.size and (x.min() < lo or x.max() > hi):
        raise ValueError(
            f"{name} must have values in [{lo}, {hi}], got range [{x.min():.4g}, {x.max():.4g}]."
        )
    return x


def check_choice(value, name: str, choices) -> str:
    """Check that ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}.")
    return value
