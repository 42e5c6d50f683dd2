"""Input checks shared by every coursekit module (the only place they are written).

Each public coursekit function validates what it is given and raises a
``ValueError`` whose message a student can act on: what was expected, what
arrived, and (where it helps) how to fix it. The helpers here keep those
messages uniform across the book.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "check_shape",
    "check_int",
    "check_pair",
    "check_fraction",
    "check_count_range",
    "check_names",
    "check_rng",
    "check_generator",
    "as_float_image", "as_gray_image", "as_uint8_image", "check_array", "check_odd_size", "check_positive",
    "check_nonnegative", "check_in_range", "check_choice",
]


def _describe(x) -> str:
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape} and dtype {x.dtype}"
    return f"a {type(x).__name__}"


def check_array(x, name: str, ndim=None, dtype_kind: str | None = None, shape=None) -> np.ndarray:
    """Check that ``x`` is an ndarray with the given ndim, dtype kind and shape.

    Float and complex arrays must also be finite (no NaN, no infinity).

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

    Examples
    --------
    >>> check_array(np.zeros((2, 3)), "X", ndim=2, dtype_kind="f", shape=(None, 3)).shape
    (2, 3)
    >>> check_array([1, 2], "X")
    Traceback (most recent call last):
    ...
    ValueError: X must be a NumPy array, got a list; wrap it with np.asarray(...).
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
    """Validate a 2-D grey image of any real dtype (bool, integer or float) and return it unchanged.

    The library's dtype rule (CONTRIBUTING.md, "Conventions"): every function that takes a grey image
    accepts bool (as 0 and 1), any integer and any float dtype.

    Parameters
    ----------
    image : (H, W) ndarray of bool, int or float
        The image, finite and not empty.
    name : str
        The argument's name, used in the error message.

    Returns
    -------
    (H, W) ndarray
        ``image`` itself.

    Raises
    ------
    ValueError
        For colour images, batches, empty arrays, complex arrays and non-finite values.

    Examples
    --------
    >>> as_gray_image(np.zeros((4, 5), dtype=np.uint8)).shape
    (4, 5)
    >>> as_gray_image(np.zeros((4, 5, 3)))
    Traceback (most recent call last):
    ...
    ValueError: image must be a 2-D grey image, got a colour image of shape (4, 5, 3); convert it first, e.g. with coursekit.data.rgb_to_gray(...).
    """
    if isinstance(image, np.ndarray) and image.ndim == 3 and image.shape[-1] in (3, 4):
        raise ValueError(
            f"{name} must be a 2-D grey image, got a colour image of shape {image.shape}; "
            "convert it first, e.g. with coursekit.data.rgb_to_gray(...)."
        )
    check_array(image, name, ndim=2, dtype_kind="biuf")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {image.shape}).")
    return image


def as_float_image(image, name: str = "image") -> np.ndarray:
    """Validate a grey image and return it as float64 (a copy only when needed).

    Parameters
    ----------
    image : (H, W) ndarray of bool, int or float
        The image (see :func:`as_gray_image`).
    name : str
        The argument's name, used in the error message.

    Returns
    -------
    (H, W) ndarray of float64
        The same values; ``image`` itself when it is float64 already.

    Examples
    --------
    >>> as_float_image(np.array([[0, 255]], dtype=np.uint8))
    array([[  0., 255.]])
    """
    return as_gray_image(image, name).astype(np.float64, copy=False)


def as_uint8_image(image, name: str = "image") -> np.ndarray:
    """Validate a 2-D uint8 grey image (the 0..255 convention of OpenCV).

    For the algorithms that model an 8-bit pipeline (histogram equalisation, Otsu, JPEG).

    Parameters
    ----------
    image : (H, W) ndarray of uint8
        The image.
    name : str
        The argument's name, used in the error message.

    Returns
    -------
    (H, W) ndarray of uint8
        ``image`` itself.

    Examples
    --------
    >>> as_uint8_image(np.zeros((2, 2), dtype=np.uint8)).dtype
    dtype('uint8')
    >>> as_uint8_image(np.zeros((2, 2)))
    Traceback (most recent call last):
    ...
    ValueError: image must be uint8 with values 0..255, got dtype float64; use coursekit.data.to_uint8(...) to convert a float image in [0, 1].
    """
    as_gray_image(image, name)
    if image.dtype != np.uint8:
        raise ValueError(
            f"{name} must be uint8 with values 0..255, got dtype {image.dtype}; "
            "use coursekit.data.to_uint8(...) to convert a float image in [0, 1]."
        )
    return image


def check_odd_size(k, name: str = "ksize", minimum: int = 1) -> int:
    """Check that a kernel size is an odd integer >= ``minimum`` and return it.

    Parameters
    ----------
    k : int
        The size to check.
    name : str
        The argument's name, used in the error message.
    minimum : int
        The smallest allowed size.

    Returns
    -------
    int
        ``k`` as a Python int.

    Examples
    --------
    >>> check_odd_size(5)
    5
    >>> check_odd_size(4)
    Traceback (most recent call last):
    ...
    ValueError: ksize must be an odd integer >= 1 so the kernel has a centre pixel, got 4.
    """
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {k!r}.")
    k = int(k)
    if k < minimum or k % 2 == 0:
        raise ValueError(
            f"{name} must be an odd integer >= {minimum} so the kernel has a centre pixel, got {k}."
        )
    return k


def check_positive(value, name: str) -> float:
    """Check that a scalar is a finite number > 0 and return it as float.

    Parameters
    ----------
    value : float
        The number to check (a bool is refused).
    name : str
        The argument's name, used in the error message.

    Returns
    -------
    float

    Examples
    --------
    >>> check_positive(2, "sigma")
    2.0
    >>> check_positive(0, "sigma")
    Traceback (most recent call last):
    ...
    ValueError: sigma must be > 0, got 0.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}.")
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}.")
    return float(value)


def check_nonnegative(value, name: str) -> float:
    """Check that a scalar is a finite number >= 0 and return it as float.

    Parameters
    ----------
    value : float
        The number to check (a bool is refused).
    name : str
        The argument's name, used in the error message.

    Returns
    -------
    float

    Examples
    --------
    >>> check_nonnegative(0, "weight_decay")
    0.0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}.")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}.")
    return float(value)


def check_in_range(x: np.ndarray, lo: float, hi: float, name: str = "image") -> np.ndarray:
    """Check that every value of ``x`` lies in ``[lo, hi]``.

    Parameters
    ----------
    x : ndarray
        The values to check.
    lo, hi : float
        The inclusive bounds.
    name : str
        The argument's name, used in the error message.

    Returns
    -------
    ndarray
        ``x`` itself.

    Examples
    --------
    >>> check_in_range(np.array([0.0, 1.5]), 0.0, 1.0)
    Traceback (most recent call last):
    ...
    ValueError: image must have values in [0.0, 1.0], got range [0, 1.5].
    """
    if x.size and (x.min() < lo or x.max() > hi):
        raise ValueError(
            f"{name} must have values in [{lo}, {hi}], got range [{x.min():.4g}, {x.max():.4g}]."
        )
    return x


def check_choice(value, name: str, choices) -> str:
    """Check that ``value`` is one of ``choices``.

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        The argument's name, used in the error message.
    choices : collection
        The allowed values.

    Returns
    -------
    object
        ``value`` itself.

    Examples
    --------
    >>> check_choice("reflect", "mode", {"zero", "reflect", "replicate", "wrap"})
    'reflect'
    """
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}.")
    return value


def check_int(value, name: str, minimum: int | None = 1, maximum: int | None = None) -> int:
    """Check that ``value`` is an integer (not a bool) in ``[minimum, maximum]`` and return it as ``int``.

    Parameters
    ----------
    value : int
        The number to check; NumPy integers are accepted.
    name : str
        The argument's name, used in the error message.
    minimum, maximum : int or None
        The inclusive bounds; None leaves that side open.

    Returns
    -------
    int

    Examples
    --------
    >>> check_int(np.int64(3), "epochs")
    3
    >>> check_int(0, "epochs")
    Traceback (most recent call last):
    ...
    ValueError: epochs must be an integer >= 1, got 0.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}.")
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        if maximum is None:
            span = f">= {minimum}"
        elif minimum is None:
            span = f"<= {maximum}"
        else:
            span = f"between {minimum} and {maximum}"
        raise ValueError(f"{name} must be an integer {span}, got {value}.")
    return value


def check_pair(value, name: str, minimum: int = 0) -> tuple[int, int]:
    """Accept an integer ``k`` or a pair ``(a, b)`` of integers ``>= minimum``; return a pair.

    The rule of ``torch.nn.Conv2d``'s ``kernel_size``, ``stride``, ``padding`` and ``dilation``.

    Parameters
    ----------
    value : int or (int, int)
        One integer for both axes, or one per axis.
    name : str
        The argument's name, used in the error message.
    minimum : int
        The smallest allowed integer.

    Returns
    -------
    (int, int)

    Examples
    --------
    >>> check_pair(3, "kernel_size"), check_pair((3, 5), "kernel_size")
    ((3, 3), (3, 5))
    """
    pair = (value, value) if isinstance(value, numbers.Integral) and not isinstance(value, bool) else value
    if (not isinstance(pair, (tuple, list)) or len(pair) != 2
            or any(isinstance(a, bool) or not isinstance(a, numbers.Integral) or a < minimum for a in pair)):
        raise ValueError(f"{name} must be an integer >= {minimum} or a pair of them, got {value!r}.")
    return int(pair[0]), int(pair[1])


def check_fraction(value, name: str, lo: float = 0.0, hi: float = 1.0) -> float:
    """Check that ``value`` is a finite real number in ``[lo, hi]`` and return it as float.

    Parameters
    ----------
    value : float
        The number to check (a bool is refused).
    name : str
        The argument's name, used in the error message.
    lo, hi : float
        The inclusive bounds.

    Returns
    -------
    float

    Examples
    --------
    >>> check_fraction(0.25, "test_size")
    0.25
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}.")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must lie in [{lo}, {hi}], got {value}.")
    return float(value)


def check_count_range(value, name: str, minimum: int = 0) -> tuple[int, int]:
    """Accept ``k`` or ``(lo, hi)`` (inclusive) and return ``(lo, hi)`` with ``minimum <= lo <= hi``.

    Parameters
    ----------
    value : int or (int, int)
        A count, or the inclusive range to draw a count from.
    name : str
        The argument's name, used in the error message.
    minimum : int
        The smallest allowed count.

    Returns
    -------
    (int, int)

    Examples
    --------
    >>> check_count_range(2, "n_people"), check_count_range((1, 3), "n_people")
    ((2, 2), (1, 3))
    """
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
    """Check a non-empty sequence of names, each one of ``allowed``; a single string is one name.

    Parameters
    ----------
    names : str or sequence of str
        The names to check.
    name : str
        The argument's name, used in the error message.
    allowed : collection of str
        The known names.

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> check_names("circle", "shapes", ("circle", "square"))
    ('circle',)
    """
    if isinstance(names, str):
        names = (names,)
    names = tuple(names)
    if not names:
        raise ValueError(f"{name} must name at least one of {list(allowed)}.")
    for n in names:
        if n not in allowed:
            raise ValueError(f"{name} contains unknown name {n!r}; choose from {list(allowed)}.")
    return names


def check_rng(rng, name: str = "rng") -> np.random.Generator:
    """Check that ``rng`` is a ``np.random.Generator``: the only source of NumPy randomness coursekit takes.

    Parameters
    ----------
    rng : np.random.Generator
        The generator to check.
    name : str
        The argument's name, used in the error message.

    Returns
    -------
    np.random.Generator
        ``rng`` itself.

    Examples
    --------
    >>> check_rng(np.random.default_rng(0)) is not None
    True
    >>> check_rng(0)
    Traceback (most recent call last):
    ...
    ValueError: rng must be a np.random.Generator, got int; create one with np.random.default_rng(seed).
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"{name} must be a np.random.Generator, got {type(rng).__name__}; "
            "create one with np.random.default_rng(seed)."
        )
    return rng


def check_generator(generator, name: str = "generator"):
    """Check that ``generator`` is a ``torch.Generator``: the only source of torch randomness coursekit takes.

    coursekit never draws from torch's global generator behind the caller's back (see CONTRIBUTING.md,
    "Randomness").

    Parameters
    ----------
    generator : torch.Generator
        The generator to check.
    name : str
        The argument's name, used in the error message.

    Returns
    -------
    torch.Generator
        ``generator`` itself.

    Examples
    --------
    >>> import torch
    >>> check_generator(torch.Generator().manual_seed(0)).initial_seed()
    0
    """
    import torch  # local: the NumPy chapters do not need torch

    if not isinstance(generator, torch.Generator):
        raise ValueError(
            f"{name} must be a torch.Generator, got {type(generator).__name__}; "
            "create one with torch.Generator().manual_seed(seed)."
        )
    return generator


def check_shape(x, spec: str, name: str = "x", **sizes) -> dict[str, int]:
    """Check an array's (or tensor's) shape against the book's letters and return the sizes they bind.

    Parameters
    ----------
    x : ndarray or torch.Tensor
        The value to check.
    spec : str
        Space-separated axis letters in the book's vocabulary, e.g. ``"B C H W"``; a number fixes an
        axis's length (``"N 3"``) and ``"*"`` matches any length.
    name : str
        The argument's name, used in the error message.
    **sizes : int
        Lengths that letters must have, e.g. ``C=3``.

    Returns
    -------
    dict of str to int
        Each letter's length, e.g. ``{"B": 8, "C": 3, "H": 32, "W": 32}``.

    Examples
    --------
    >>> check_shape(np.zeros((2, 3, 4, 4)), "B C H W", C=3)
    {'B': 2, 'C': 3, 'H': 4, 'W': 4}
    >>> check_shape(np.zeros((5, 2)), "N 3")
    Traceback (most recent call last):
    ...
    ValueError: x must have shape (N, 3), got (5, 2): axis 1 must be 3.
    """
    shape = getattr(x, "shape", None)
    if shape is None:
        raise ValueError(f"{name} must be an array or tensor of shape ({', '.join(spec.split())}), "
                         f"got {_describe(x)}.")
    letters = spec.split()
    want = "(" + ", ".join(letters) + ")"
    if len(shape) != len(letters):
        raise ValueError(f"{name} must have shape {want} ({len(letters)}-D), got {tuple(shape)}.")
    bound: dict[str, int] = {}
    for axis, (letter, n) in enumerate(zip(letters, shape)):
        n = int(n)
        if letter == "*":
            continue
        if letter.isdigit():
            expected = int(letter)
        elif letter in sizes:
            expected = int(sizes[letter])
        elif letter in bound:
            expected = bound[letter]
        else:
            bound[letter] = n
            continue
        if n != expected:
            raise ValueError(f"{name} must have shape {want}, got {tuple(shape)}: axis {axis} must be {expected}.")
        if not letter.isdigit():
            bound[letter] = n
    return bound
