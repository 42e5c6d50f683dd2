"""Atrous (dilated) convolution: a wider view for the same weights, and the holes it can leave.

Chapter 6 (Segmentation and depth). A 3×3 kernel with dilation (rate) r reads the input on a grid r pixels apart,
so it spans ``r (k - 1) + 1`` pixels with ``k²`` weights. DeepLab uses it to keep feature maps at 1/8 of the input
instead of 1/32 without losing receptive field, and ASPP runs several rates in parallel. Stacking layers of one
rate > 1 leaves a regular lattice of input pixels that no output ever reads ("gridding"); rates without a common
factor, such as 1, 2, 5, fill the holes (Wang et al., 2018).

References
----------
F. Yu and V. Koltun, "Multi-scale context aggregation by dilated convolutions", ICLR 2016.
L.-C. Chen et al., "DeepLab: semantic image segmentation with deep convolutional nets, atrous convolution, and
fully connected CRFs", TPAMI 40(4), 2018 (atrous convolution, ASPP).
P. Wang et al., "Understanding convolution for semantic segmentation", WACV 2018 (gridding, hybrid dilation).
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array, check_int

__all__ = ["atrous_span", "dilate_kernel", "atrous_coverage"]


def atrous_span(kernel_size: int, rate: int) -> int:
    """Input pixels one dilated kernel spans along an axis: ``r (k - 1) + 1``.

    Defined in :ref:`sec-seg-atrous` (Eq. :eq:`eq-atrous-span`).

    Examples
    --------
    >>> atrous_span(3, 1), atrous_span(3, 2), atrous_span(3, 6)
    (3, 5, 13)
    """
    k = check_int(kernel_size, "kernel_size", minimum=1)
    r = check_int(rate, "rate", minimum=1)
    return r * (k - 1) + 1


def dilate_kernel(weight, rate: int) -> np.ndarray:
    """Insert ``rate - 1`` zeros between the taps of a kernel: the dense kernel a dilated convolution applies.

    Defined in :ref:`sec-seg-atrous` (Eq. :eq:`eq-atrous-span`).

    A convolution with ``dilate_kernel(w, r)`` and dilation 1 equals a convolution with ``w`` and dilation r
    (a test checks it against ``torch.nn.functional.conv2d``); the zeros cost compute, the dilation does not.

    Parameters
    ----------
    weight : (..., k_h, k_w) ndarray
        Kernels on the last two axes.
    rate : int
        Dilation r (>= 1).

    Returns
    -------
    (..., r (k_h - 1) + 1, r (k_w - 1) + 1) ndarray

    Examples
    --------
    >>> dilate_kernel(np.array([[1, 2], [3, 4]]), 2)
    array([[1, 0, 2],
           [0, 0, 0],
           [3, 0, 4]])
    """
    weight = check_array(weight, "weight", dtype_kind="fiub")
    if weight.ndim < 2:
        raise ValueError(f"weight must have the kernel on its last two axes, got shape {weight.shape}.")
    r = check_int(rate, "rate", minimum=1)
    kh, kw = weight.shape[-2:]
    out = np.zeros(weight.shape[:-2] + (atrous_span(kh, r), atrous_span(kw, r)), dtype=weight.dtype)
    out[..., ::r, ::r] = weight                                         # taps every r pixels
    return out


def atrous_coverage(rates, kernel_size: int = 3) -> np.ndarray:
    """How many paths connect one output pixel to each input pixel through a stack of dilated convolutions.

    Defined in :ref:`sec-seg-atrous` (Eq. :eq:`eq-atrous-span`).

    Parameters
    ----------
    rates : sequence of int
        The dilation of each layer, input side first.
    kernel_size : int
        k of every layer (all-ones kernels: only the connectivity matters).

    Returns
    -------
    (S, S) ndarray of int64
        ``S = 1 + sum_l r_l (k - 1)``, the receptive field. A zero marks an input pixel inside the receptive
        field that the output never reads: the gridding artefact.

    Notes
    -----
    The composition of linear filters is their full convolution, so the coverage is the full 2-D convolution of
    the dilated all-ones kernels (a sum of outer products, computed separably as one 1-D profile squared).

    Examples
    --------
    >>> atrous_coverage([2, 2])[0]        # two 3x3 layers of rate 2: odd offsets are never read
    array([1, 0, 2, 0, 3, 0, 2, 0, 1])
    """
    k = check_int(kernel_size, "kernel_size", minimum=1)
    rates = [check_int(r, "rate", minimum=1) for r in rates]
    if not rates:
        raise ValueError("rates must list at least one layer's dilation.")
    profile = np.ones(1, dtype=np.int64)                                # 1-D coverage along one axis
    for r in rates:
        profile = np.convolve(profile, dilate_kernel(np.ones((1, k), dtype=np.int64), r)[0])
    return np.outer(profile, profile)                                   # (S, S): the kernels are separable
