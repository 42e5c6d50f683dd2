"""Mathematical morphology: erosion, dilation, opening, closing and the boundary (Chapter 2).

Erosion is a *minimum* and dilation a *maximum* over the pixels a
structuring element ``B`` covers. On a binary image (``False < True``) that is
"all of ``B`` fits inside the shape" and "``B`` touches the shape". Both are
computed here by shifting the whole image once per pixel of ``B`` and taking
an element-wise min or max, so the cost is ``|B|`` vectorised passes.

Border convention (OpenCV's default): pixels outside the image never change
the result — they count as +inf for erosion and -inf for dilation.

dtype rule (CONTRIBUTING.md, "Conventions"): erosion and dilation only select
input values, so every operation here keeps the input's dtype — a bool mask
stays bool, a uint8 image stays uint8. Offsets inside a structuring element are
array offsets ``(drow, dcol)`` from its centre pixel.

References
----------
- J. Serra, *Image Analysis and Mathematical Morphology*, Academic Press, 1982.
- R. C. Gonzalez and R. E. Woods, *Digital Image Processing*, 4th ed., ch. 9.
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import as_gray_image, check_array, check_int

__all__ = ["square", "disk", "cross", "erode", "dilate", "opening", "closing", "boundary"]


# ----------------------------------------------------------------------------- structuring elements

def square(size: int) -> np.ndarray:
    """A ``size × size`` square structuring element (``size`` odd, so it has a centre).

    Defined in :ref:`sec-morphology`.

    Parameters
    ----------
    size : int
        Odd side length, >= 1.

    Returns
    -------
    (size, size) ndarray of bool
        All True; ``cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))``.

    Notes
    -----
    The square is separable (a row of ones times a column of ones), which is how OpenCV erodes with
    it in two 1-D passes; here it is simply a set of ``size²`` offsets.

    References
    ----------
    J. Serra, *Image Analysis and Mathematical Morphology*, Academic Press, 1982.

    Examples
    --------
    >>> square(3).astype(int)
    array([[1, 1, 1],
           [1, 1, 1],
           [1, 1, 1]])
    """
    size = check_int(size, "size", 1)
    if size % 2 == 0:
        raise ValueError(f"size must be odd so the structuring element has a centre pixel, got {size}.")
    return np.ones((size, size), dtype=bool)


def disk(radius: int) -> np.ndarray:
    """A digital disk ``{(dx, dy) : dx^2 + dy^2 <= radius^2}`` as a structuring element.

    Defined in :ref:`sec-morphology`.

    Parameters
    ----------
    radius : int
        Radius in pixels, >= 0 (0 gives the single centre pixel).

    Returns
    -------
    (2 radius + 1, 2 radius + 1) ndarray of bool
        True inside the disk; equals ``skimage.morphology.disk(radius)``.

    Notes
    -----
    A disk treats every direction alike, so it erodes and dilates shapes without favouring the axes
    the way a square does.

    References
    ----------
    J. Serra, *Image Analysis and Mathematical Morphology*, Academic Press, 1982.

    Examples
    --------
    >>> disk(1).astype(int)
    array([[0, 1, 0],
           [1, 1, 1],
           [0, 1, 0]])
    """
    radius = check_int(radius, "radius", 0)
    y, x = np.mgrid[-radius:radius + 1, -radius:radius + 1]  # (2r+1, 2r+1) each
    return (y ** 2 + x ** 2) <= radius ** 2


def cross(size: int) -> np.ndarray:
    """A plus sign: the centre row and column of a ``size × size`` square (``size`` odd).

    Defined in :ref:`sec-morphology`.

    Parameters
    ----------
    size : int
        Odd side length, >= 1.

    Returns
    -------
    (size, size) ndarray of bool
        ``cv2.getStructuringElement(cv2.MORPH_CROSS, (size, size))``; ``cross(3)`` is the 4-neighbourhood.

    Notes
    -----
    Dilating with ``cross(3)`` grows a shape by its 4-connected neighbours only.

    References
    ----------
    J. Serra, *Image Analysis and Mathematical Morphology*, Academic Press, 1982.

    Examples
    --------
    >>> cross(3).astype(int)
    array([[0, 1, 0],
           [1, 1, 1],
           [0, 1, 0]])
    """
    se = np.zeros_like(square(size))
    c = size // 2
    se[c, :] = True
    se[:, c] = True
    return se


def _check_se(se) -> np.ndarray:
    check_array(se, "se", ndim=2, dtype_kind="biuf")
    if se.size == 0 or not np.any(se):
        raise ValueError(f"se is empty (shape {se.shape}, no nonzero entry); "
                         "use e.g. coursekit.image.morphology.square(3).")
    if se.shape[0] % 2 == 0 or se.shape[1] % 2 == 0:
        raise ValueError(f"se must have odd height and width so it has a centre pixel, got shape {se.shape}.")
    return se.astype(bool)


def _extreme(image: np.ndarray, offsets: np.ndarray, op: str) -> np.ndarray:
    """``op`` (min or max) of ``image`` shifted by each array offset ``(drow, dcol)`` in ``offsets``."""
    h, w = image.shape
    if image.dtype == bool:
        fill = op == "min"                       # True is the 'top' of a binary image
    elif image.dtype.kind in "iu":
        info = np.iinfo(image.dtype)
        fill = info.max if op == "min" else info.min
    else:
        fill = np.inf if op == "min" else -np.inf
    p = int(np.abs(offsets).max())
    padded = np.pad(image, p, mode="constant", constant_values=fill)  # (H + 2p, W + 2p)
    reduce = np.minimum if op == "min" else np.maximum
    out = None
    for dy, dx in offsets:
        shifted = padded[p + dy:p + dy + h, p + dx:p + dx + w]       # (H, W): image[row + dy, col + dx]
        out = shifted.copy() if out is None else reduce(out, shifted, out=out)
    return out


def _offsets(se: np.ndarray) -> np.ndarray:
    cy, cx = se.shape[0] // 2, se.shape[1] // 2
    return np.argwhere(se) - np.array([cy, cx])  # (|B|, 2) array offsets (drow, dcol) from the centre


def erode(image: np.ndarray, se: np.ndarray) -> np.ndarray:
    """Erosion ``(A ⊖ B)(x) = min_{b in B} A(x + b)``.

    Defined in :ref:`sec-morphology` (Eq. :eq:`eq-erosion`).

    Parameters
    ----------
    image : (H, W) ndarray
        A binary (bool) mask or a grey image of any real dtype.
    se : (h, w) ndarray of bool or 0/1
        The structuring element ``B``; odd height and width, origin at the centre.

    Returns
    -------
    (H, W) ndarray, same dtype as ``image``
        Binary: a pixel stays ``True`` only if ``B`` placed there fits inside the shape, so shapes shrink
        and specks thinner than ``B`` vanish. Grey: the minimum over ``B``.

    Notes
    -----
    One shifted copy per pixel of ``B``, combined with ``np.minimum``; pixels outside the image count
    as the largest value of the dtype, so they never win. Same as ``cv2.erode(image, se)`` with the
    default border.

    References
    ----------
    J. Serra, *Image Analysis and Mathematical Morphology*, Academic Press, 1982.

    Examples
    --------
    >>> a = np.zeros((5, 5), bool); a[1:4, 1:4] = True
    >>> erode(a, square(3)).astype(int)[1:4, 1:4]
    array([[0, 0, 0],
           [0, 1, 0],
           [0, 0, 0]])
    """
    image, se = as_gray_image(image), _check_se(se)
    return _extreme(image, _offsets(se), "min")


def dilate(image: np.ndarray, se: np.ndarray) -> np.ndarray:
    """Dilation ``(A ⊕ B)(x) = max_{b in B} A(x - b)``.

    Defined in :ref:`sec-morphology` (Eq. :eq:`eq-dilation`).

    Parameters
    ----------
    image : (H, W) ndarray
        A binary (bool) mask or a grey image of any real dtype.
    se : (h, w) ndarray of bool or 0/1
        The structuring element ``B``; odd height and width, origin at the centre.

    Returns
    -------
    (H, W) ndarray, same dtype as ``image``
        Binary: ``True`` wherever ``B`` touches the shape. Grey: the maximum over the reflected ``B``.

    Notes
    -----
    The offsets are reflected (``x - b``), the Minkowski-sum definition used by
    SciPy and scikit-image. ``cv2.dilate`` does not reflect; for the symmetric
    elements of :func:`square`, :func:`disk` and :func:`cross` the two agree.

    References
    ----------
    J. Serra, *Image Analysis and Mathematical Morphology*, Academic Press, 1982.

    Examples
    --------
    >>> a = np.zeros((5, 5), bool); a[2, 2] = True
    >>> dilate(a, cross(3)).astype(int)[1:4, 1:4]
    array([[0, 1, 0],
           [1, 1, 1],
           [0, 1, 0]])
    """
    image, se = as_gray_image(image), _check_se(se)
    return _extreme(image, -_offsets(se), "max")


def opening(image: np.ndarray, se: np.ndarray) -> np.ndarray:
    """Opening ``A ∘ B = (A ⊖ B) ⊕ B``: removes specks smaller than ``B``, keeps the rest.

    Defined in :ref:`sec-morphology` (Eq. :eq:`eq-opening`).

    Parameters
    ----------
    image : (H, W) ndarray
        A binary (bool) mask or a grey image of any real dtype.
    se : (h, w) ndarray of bool or 0/1
        The structuring element ``B``; odd height and width.

    Returns
    -------
    (H, W) ndarray, same dtype as ``image``
        The union of every placement of ``B`` that fits inside the shape.

    Notes
    -----
    Erode, then dilate with the same ``B``. Opening is idempotent: opening twice changes nothing more.

    References
    ----------
    J. Serra, *Image Analysis and Mathematical Morphology*, Academic Press, 1982.

    Examples
    --------
    >>> a = np.zeros((7, 7), bool); a[1:6, 1:6] = True; a[0, 6] = True
    >>> bool(opening(a, square(3))[0, 6]), bool(opening(a, square(3))[3, 3])
    (False, True)
    """
    return dilate(erode(image, se), se)


def closing(image: np.ndarray, se: np.ndarray) -> np.ndarray:
    """Closing ``A • B = (A ⊕ B) ⊖ B``: fills holes and gaps smaller than ``B``.

    Defined in :ref:`sec-morphology` (Eq. :eq:`eq-closing`).

    Parameters
    ----------
    image : (H, W) ndarray
        A binary (bool) mask or a grey image of any real dtype.
    se : (h, w) ndarray of bool or 0/1
        The structuring element ``B``; odd height and width.

    Returns
    -------
    (H, W) ndarray, same dtype as ``image``
        The shape with every hole that ``B`` cannot fit into filled.

    Notes
    -----
    Dilate, then erode with the same ``B``: the dual of :func:`opening` (closing the shape is opening
    its complement).

    References
    ----------
    J. Serra, *Image Analysis and Mathematical Morphology*, Academic Press, 1982.

    Examples
    --------
    >>> a = np.ones((7, 7), bool); a[3, 3] = False
    >>> bool(closing(a, square(3))[3, 3])
    True
    """
    return erode(dilate(image, se), se)


def boundary(image: np.ndarray, se: np.ndarray) -> np.ndarray:
    """Inner boundary ``β(A) = A − (A ⊖ B)``: the pixels erosion removes.

    Defined in :ref:`sec-morphology` (Eq. :eq:`eq-morphological-boundary`).

    Parameters
    ----------
    image : (H, W) ndarray
        A binary (bool) mask, or a grey image of any real dtype (then the difference ``A - (A ⊖ B)``,
        the internal morphological gradient).
    se : (h, w) ndarray of bool or 0/1
        The structuring element ``B``; odd height and width.

    Returns
    -------
    (H, W) ndarray, same dtype as ``image``
        bool for a mask (``A and not (A ⊖ B)``); for a grey image the non-negative difference.

    Notes
    -----
    Erosion never exceeds the image, so the grey difference never wraps around for unsigned dtypes.

    References
    ----------
    R. C. Gonzalez and R. E. Woods, *Digital Image Processing*, 4th ed., sec. 9.5.

    Examples
    --------
    >>> a = np.zeros((5, 5), bool); a[1:4, 1:4] = True
    >>> int(boundary(a, square(3)).sum())
    8
    """
    eroded = erode(image, se)
    if image.dtype == bool:
        return image & ~eroded
    return image - eroded  # erosion <= image, so no unsigned wrap-around
