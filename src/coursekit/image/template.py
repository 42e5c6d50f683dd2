"""Template matching by sum of squared differences and normalised cross-correlation (Chapter 2).

Slide a small template ``T`` (h × w) over an image ``I`` and score every
placement. SSD measures a distance (smaller is better) and is fooled by a
change of brightness or contrast; zero-mean normalised cross-correlation
(NCC) is a correlation coefficient in [-1, 1] (larger is better) that does
not change when the window is replaced by ``a * window + b`` with ``a > 0``.

Both are computed without a loop over placements: a loop over the ``h * w``
template pixels accumulates the cross term ``sum T * I`` as whole-image
shifted products, and the window sums ``sum I`` and ``sum I^2`` come from
integral images (summed-area tables) in O(1) per placement.

References
----------
- J. P. Lewis, "Fast normalized cross-correlation", Vision Interface, 1995.
- F. C. Crow, "Summed-area tables for texture mapping", SIGGRAPH 1984.
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import as_float_image, check_choice, check_int

__all__ = ["window_sums", "cross_correlation", "match_template"]


def window_sums(image: np.ndarray, h: int, w: int) -> np.ndarray:
    """Sum of every ``h × w`` window of ``image`` by an integral image.

    Defined in :ref:`sec-template-matching`.

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype (bool counts as 0/1).
    h, w : int
        Window size, ``1 <= h <= H`` and ``1 <= w <= W``.

    Returns
    -------
    (H - h + 1, W - w + 1) ndarray of float64
        Indexed ``[row, col]`` by the window's top-left pixel: ``out[r, c] = image[r:r+h, c:c+w].sum()``.

    Notes
    -----
    The integral image ``s[r, c]`` (the sum of ``image[:r, :c]``) turns any window sum into four
    look-ups: ``s[r+h, c+w] - s[r, c+w] - s[r+h, c] + s[r, c]``.

    References
    ----------
    F. C. Crow, "Summed-area tables for texture mapping", SIGGRAPH 1984.

    Examples
    --------
    >>> window_sums(np.arange(9.0).reshape(3, 3), 2, 2)
    array([[ 8., 12.],
           [20., 24.]])
    """
    f = as_float_image(image)
    h, w = check_int(h, "h", 1, f.shape[0]), check_int(w, "w", 1, f.shape[1])
    s = np.zeros((f.shape[0] + 1, f.shape[1] + 1))         # (H+1, W+1), a zero row and column in front
    s[1:, 1:] = f.cumsum(0).cumsum(1)                       # s[r, c] = sum of image[:r, :c]
    return s[h:, w:] - s[:-h, w:] - s[h:, :-w] + s[:-h, :-w]


def cross_correlation(image: np.ndarray, template: np.ndarray) -> np.ndarray:
    """``C[r, c] = sum_{k, l} T[k, l] I[r + k, c + l]`` for every placement ('valid' only).

    Defined in :ref:`sec-template-matching` (Eq. :eq:`eq-ncc`).

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image ``I``, any real dtype (bool counts as 0/1).
    template : (h, w) ndarray
        The template ``T``, any real dtype; ``h <= H`` and ``w <= W``.

    Returns
    -------
    (H - h + 1, W - w + 1) ndarray of float64
        Indexed ``[row, col]`` by the placement's top-left pixel.

    Notes
    -----
    One vectorised pass per template pixel: ``T[k, l]`` times the image shifted by ``(k, l)``.
    This is the cross term of both SSD and NCC (:func:`match_template`).

    References
    ----------
    J. P. Lewis, "Fast normalized cross-correlation", Vision Interface, 1995.

    Examples
    --------
    >>> cross_correlation(np.arange(9.0).reshape(3, 3), np.ones((2, 2)))
    array([[ 8., 12.],
           [20., 24.]])
    """
    f, t = as_float_image(image), as_float_image(template, "template")
    h, w = t.shape
    if h > f.shape[0] or w > f.shape[1]:
        raise ValueError(f"template {t.shape} is larger than image {f.shape}; it must fit inside the image.")
    out_h, out_w = f.shape[0] - h + 1, f.shape[1] - w + 1
    out = np.zeros((out_h, out_w))
    for k in range(h):                 # one vectorised pass per template pixel
        for l in range(w):
            out += t[k, l] * f[k:k + out_h, l:l + out_w]  # (H', W')
    return out


def match_template(image: np.ndarray, template: np.ndarray, method: str = "ncc") -> np.ndarray:
    """Score every placement of ``template`` in ``image`` by SSD or zero-mean NCC.

    Defined in :ref:`sec-template-matching` (Eqs. :eq:`eq-ssd` and :eq:`eq-ncc`).

    Parameters
    ----------
    image : (H, W) ndarray
        Grey image, any real dtype (bool counts as 0/1).
    template : (h, w) ndarray
        Any real dtype; must fit inside the image: ``h <= H`` and ``w <= W``.
    method : {"ssd", "ncc"}
        ``"ssd"``: ``sum (I - T)^2`` (lower is better; ``cv2.TM_SQDIFF``).
        ``"ncc"``: ``sum T' I' / sqrt(sum T'^2 sum I'^2)`` with ``T'`` and ``I'`` the template
        and window minus their means (higher is better; ``cv2.TM_CCOEFF_NORMED``).

    Returns
    -------
    (H - h + 1, W - w + 1) ndarray of float64
        Indexed ``[row, col]``: ``out[y, x]`` scores the placement whose top-left corner is the point
        ``(x, y)``, so the best match's corner is ``np.unravel_index(best, out.shape)[::-1]`` as
        ``(x, y)``. SSD is in squared image units; NCC is in [-1, 1] and 0 where the window is flat
        (its variance is zero, so the coefficient is undefined).

    Notes
    -----
    1. Window sums ``S1 = sum I`` and ``S2 = sum I^2`` from integral images (:func:`window_sums`).
    2. Cross term ``C = sum T I`` (:func:`cross_correlation`), with ``T' = T - mean(T)`` for NCC.
    3. SSD ``= S2 - 2 C + sum T^2``; NCC ``= C' / sqrt((S2 - S1^2 / n) * sum T'^2)``, n = h w.

    The image is shifted by its mean first; neither score changes, but the variances lose
    less precision to cancellation.

    References
    ----------
    J. P. Lewis, "Fast normalized cross-correlation", Vision Interface, 1995.

    Examples
    --------
    >>> img = np.zeros((6, 6)); img[2:4, 3:5] = [[1, 2], [3, 4]]
    >>> r = match_template(img, np.array([[1.0, 2], [3, 4]]), "ssd")
    >>> np.unravel_index(np.argmin(r), r.shape)
    (np.int64(2), np.int64(3))
    >>> r = match_template(10 + 5 * img, np.array([[1.0, 2], [3, 4]]), "ncc")
    >>> round(float(r[2, 3]), 6)
    1.0
    """
    check_choice(method, "method", {"ssd", "ncc"})
    img = as_float_image(image, "image")
    tpl = as_float_image(template, "template")
    h, w = tpl.shape
    if h > img.shape[0] or w > img.shape[1]:
        raise ValueError(f"template {tpl.shape} is larger than image {img.shape}; "
                         "it must fit inside the image (h <= H and w <= W).")
    n = h * w
    if method == "ssd":
        s2 = window_sums(img ** 2, h, w)                                # (H', W')
        return np.maximum(s2 - 2.0 * cross_correlation(img, tpl) + np.sum(tpl ** 2), 0.0)
    t0 = tpl - tpl.mean()                                               # (h, w) zero-mean template
    t_energy = np.sum(t0 ** 2)
    if t_energy <= 1e-12 * max(1.0, n * np.max(np.abs(tpl)) ** 2):
        raise ValueError("template is constant: its zero-mean version is 0, so NCC is undefined "
                         "everywhere; use method='ssd' or a template with some texture.")
    i0 = img - img.mean()                                               # (H, W) shift for precision
    s1 = window_sums(i0, h, w)                                          # (H', W')
    s2 = window_sums(i0 ** 2, h, w)                                     # (H', W')
    var_i = np.maximum(s2 - s1 ** 2 / n, 0.0)                           # (H', W') n * window variance
    num = cross_correlation(i0, t0)                                     # sum T' I = sum T' I'
    denom = np.sqrt(var_i * t_energy)
    # a flat window: its variance is below the rounding error of the integral image (~eps * its total)
    flat = var_i <= 64 * np.finfo(np.float64).eps * np.sum(i0 ** 2)
    out = np.zeros_like(num)
    np.divide(num, denom, out=out, where=~flat)
    return np.clip(out, -1.0, 1.0)
