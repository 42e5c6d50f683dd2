"""Transposed convolution (learnable upsampling) from scratch, and the bilinear kernel FCN starts it from.

Chapter 6 (Segmentation and depth). A convolution with stride s maps (H, W) to about (H/s, W/s) by the matrix
product ``Y = W_mat · im2col(x)`` (Chapter 4). Its *transpose* maps the small grid back to the large one:
``y = col2im(W_matᵀ · x)``. Every input pixel stamps a copy of the kernel, scaled by its value, onto the output
at stride s, and overlapping stamps add. That is exactly the backward pass of a strided convolution with respect
to its input, which is why it is also (misleadingly) called "deconvolution". Its own backward pass is a plain
convolution. The layout and arguments are those of ``torch.nn.ConvTranspose2d`` (``groups = 1``).

References
----------
V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep learning", arXiv:1603.07285, 2016.
J. Long, E. Shelhamer and T. Darrell, "Fully convolutional networks for semantic segmentation", CVPR 2015
(in-network upsampling initialised to bilinear interpolation).
A. Odena, V. Dumoulin and C. Olah, "Deconvolution and checkerboard artifacts", Distill, 2016.
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array, check_int, check_pair
from coursekit.nn.conv import col2im, conv2d, im2col

__all__ = ["conv_transpose_output_size", "conv_transpose2d_loops", "conv_transpose2d", "conv_transpose2d_backward",
           "bilinear_kernel", "transposed_overlap"]


def conv_transpose_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0,
                               output_padding: int = 0, dilation: int = 1) -> int:
    """Output length of a transposed convolution along one axis, as ``torch.nn.ConvTranspose2d`` computes it.

    Defined in :ref:`sec-seg-transposed-conv` (Eq. :eq:`eq-transposed-size`).

    Parameters
    ----------
    size : int
        Input length H (>= 1).
    kernel_size, stride, padding, output_padding, dilation : int
        ``output_padding < max(stride, dilation)`` adds rows on one side only: it picks which of the ``s``
        input lengths that a stride-s convolution maps to H this layer inverts.

    Returns
    -------
    int
        ``(H - 1) s - 2 p + d (k - 1) + output_padding + 1``.

    Examples
    --------
    >>> conv_transpose_output_size(8, 4, stride=2, padding=1)     # the FCN-style 2x upsampler
    16
    """
    H = check_int(size, "size", minimum=1)
    k = check_int(kernel_size, "kernel_size", minimum=1)
    s = check_int(stride, "stride", minimum=1)
    p = check_int(padding, "padding", minimum=0)
    d = check_int(dilation, "dilation", minimum=1)
    op = check_int(output_padding, "output_padding", minimum=0)
    if op >= max(s, d):
        raise ValueError(f"output_padding must be smaller than stride or dilation, got {op} with stride {s}, "
                         f"dilation {d}.")
    out = (H - 1) * s - 2 * p + d * (k - 1) + op + 1
    if out < 1:
        raise ValueError(f"padding {p} crops the whole output (length {out}); use less padding.")
    return out


def _check(x, weight, bias, stride, padding, output_padding, dilation):
    x = check_array(x, "x", ndim=4, dtype_kind="fiu")
    weight = check_array(weight, "weight", ndim=4, dtype_kind="fiu")
    if weight.shape[0] != x.shape[1]:
        raise ValueError(f"weight must be (C_in, C_out, kh, kw) with C_in = {x.shape[1]} (the channels of x), "
                         f"got {weight.shape}; note ConvTranspose2d's weight puts C_in first, unlike Conv2d.")
    if bias is not None:
        bias = check_array(bias, "bias", ndim=1, dtype_kind="fiu", shape=(weight.shape[1],))
    s, p, op, d = (check_pair(v, n, m) for v, n, m in ((stride, "stride", 1), (padding, "padding", 0),
                                                       (output_padding, "output_padding", 0), (dilation, "dilation", 1)))
    if op[0] >= s[0] or op[1] >= s[1]:
        raise ValueError(f"output_padding {op} must be smaller than the stride {s} here (torch also allows "
                         "output_padding < dilation; this from-scratch version does not).")
    H, W = x.shape[2:]
    kh, kw = weight.shape[2:]
    Ho = conv_transpose_output_size(H, kh, s[0], p[0], op[0], d[0])
    Wo = conv_transpose_output_size(W, kw, s[1], p[1], op[1], d[1])
    dt = np.float32 if x.dtype == weight.dtype == np.float32 else np.float64
    return x.astype(dt, copy=False), weight.astype(dt, copy=False), bias, s, p, d, (Ho, Wo)


def conv_transpose2d_loops(x, weight, bias=None, stride=1, padding=0, output_padding=0, dilation=1) -> np.ndarray:
    """The same layer as :func:`conv_transpose2d`, written as "every input pixel stamps the kernel" (slow).

    Defined in :ref:`sec-seg-transposed-conv` (Eq. :eq:`eq-transposed-conv`).

    ``y[b, o, s i + d u - p, s j + d v - p] += x[b, c, i, j] · w[c, o, u, v]`` for all ``b, c, i, j, o, u, v``.

    Examples
    --------
    >>> conv_transpose2d_loops(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3)), stride=2)[0, 0]
    array([[1., 1., 2., 1., 1.],
           [1., 1., 2., 1., 1.],
           [2., 2., 4., 2., 2.],
           [1., 1., 2., 1., 1.],
           [1., 1., 2., 1., 1.]])
    """
    x, weight, bias, (sh, sw), (ph, pw), (dh, dw), (Ho, Wo) = _check(x, weight, bias, stride, padding,
                                                                     output_padding, dilation)
    B, C, H, W = x.shape
    _, O, kh, kw = weight.shape
    # a buffer with the padding still attached; output_padding rows land at the far end
    y = np.zeros((B, O, Ho + 2 * ph, Wo + 2 * pw), dtype=x.dtype)       # (B, O, Ho+2ph, Wo+2pw)
    for i in range(H):
        for j in range(W):
            stamp = np.einsum("bc,couv->bouv", x[:, :, i, j], weight)   # (B, O, kh, kw)
            y[:, :, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw] += stamp
    y = y[:, :, ph:ph + Ho, pw:pw + Wo]                                 # (B, O, Ho, Wo)
    return y if bias is None else y + bias[None, :, None, None]


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, dilation=1) -> np.ndarray:
    """Transposed convolution, equal to ``torch.nn.functional.conv_transpose2d`` (``groups = 1``).

    Defined in :ref:`sec-seg-transposed-conv` (Eq. :eq:`eq-transposed-conv`).

    Parameters
    ----------
    x : (B, C_in, H, W) ndarray
    weight : (C_in, C_out, kh, kw) ndarray
        The layout of ``ConvTranspose2d.weight``: input channels first.
    bias : (C_out,) ndarray, optional
    stride, padding, output_padding, dilation : int or (int, int)

    Returns
    -------
    (B, C_out, H_out, W_out) ndarray
        Sizes from :func:`conv_transpose_output_size`; float32 if ``x`` and ``weight`` are, else float64.

    Notes
    -----
    1. ``cols_b = W_matᵀ x_b``: weight as ``(C_in, C_out kh kw)``, input as ``(C_in, H W)`` — every input pixel
       gets its own scaled copy of the kernel, one column per pixel.
    2. ``y = col2im(cols)`` on the ``(H_out, W_out)`` grid with the same stride, padding and dilation: the copies
       are added where they overlap. A stride-s convolution of ``y`` would have exactly ``H × W`` outputs.

    Examples
    --------
    >>> y = conv_transpose2d(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)), stride=2)   # no overlap: 4 tiles
    >>> y.shape, float(y.sum())
    ((1, 1, 4, 4), 16.0)
    """
    x, weight, bias, s, p, d, (Ho, Wo) = _check(x, weight, bias, stride, padding, output_padding, dilation)
    B, C, H, W = x.shape
    _, O, kh, kw = weight.shape
    W_mat = weight.reshape(C, O * kh * kw)                              # (C_in, C_out kh kw)
    cols = W_mat.T @ x.reshape(B, C, H * W)                             # (B, C_out kh kw, H W)
    y = col2im(cols, (Ho, Wo), (kh, kw), s, p, d)                       # (B, C_out, Ho, Wo)
    return y if bias is None else y + bias[None, :, None, None].astype(y.dtype)


def conv_transpose2d_backward(dy, x, weight, stride=1, padding=0, output_padding=0, dilation=1):
    """Gradients through :func:`conv_transpose2d`: its input gradient is an ordinary (strided) convolution.

    Defined in :ref:`sec-seg-transposed-conv` (Eq. :eq:`eq-transposed-conv`).

    Parameters
    ----------
    dy : (B, C_out, H_out, W_out) ndarray
        Gradient of the loss with respect to the output.
    x, weight, stride, padding, output_padding, dilation
        What the forward pass was called with.

    Returns
    -------
    dx : (B, C_in, H, W) ndarray
        ``conv2d(dy, weight)`` with the same stride, padding and dilation (weight read as ``(C_in, C_out, kh, kw)``
        = Conv2d's ``(C_out, C_in, kh, kw)`` of the adjoint).
    dweight : (C_in, C_out, kh, kw) ndarray
        ``sum_b x_b · im2col(dy)_bᵀ``.
    dbias : (C_out,) ndarray

    Examples
    --------
    >>> dx, dw, db = conv_transpose2d_backward(np.ones((1, 1, 4, 4)), np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)), 2)
    >>> dx[0, 0], dw[0, 0], db
    (array([[4., 4.],
           [4., 4.]]), array([[4., 4.],
           [4., 4.]]), array([16.]))
    """
    x, weight, _, s, p, d, (Ho, Wo) = _check(x, weight, None, stride, padding, output_padding, dilation)
    dy = check_array(dy, "dy", ndim=4, dtype_kind="fiu")
    B, C, H, W = x.shape
    _, O, kh, kw = weight.shape
    if dy.shape != (B, O, Ho, Wo):
        raise ValueError(f"dy must have the forward output's shape {(B, O, Ho, Wo)}, got {dy.shape}.")
    dy = dy.astype(x.dtype, copy=False)
    dx = conv2d(dy, weight, stride=s, padding=p, dilation=d)            # (B, C_in, H, W): the adjoint
    cols = im2col(dy, (kh, kw), s, p, d)                                # (B, C_out kh kw, H W)
    dW = np.einsum("bcl,bkl->ck", x.reshape(B, C, H * W), cols)         # (C_in, C_out kh kw)
    return dx, dW.reshape(weight.shape), dy.sum(axis=(0, 2, 3))


def bilinear_kernel(factor: int) -> np.ndarray:
    """The 2-D kernel that makes a stride-``factor`` transposed convolution interpolate bilinearly.

    Defined in :ref:`sec-seg-transposed-conv`.

    Parameters
    ----------
    factor : int
        Upsampling factor f (>= 1).

    Returns
    -------
    (k, k) ndarray of float64
        ``k = 2f - f mod 2``; the outer product of the triangle ``1 - |u - c| / f`` with itself, where c is the
        kernel's centre. Use it with ``stride = f`` and ``padding = ceil((f - 1) / 2)``, one channel at a time.

    Notes
    -----
    Away from the border the result equals ``F.interpolate(x, scale_factor=f, mode="bilinear",
    align_corners=False)`` (a test checks it); FCN initialises its upsampling layers this way and lets them learn.

    Examples
    --------
    >>> bilinear_kernel(2)
    array([[0.0625, 0.1875, 0.1875, 0.0625],
           [0.1875, 0.5625, 0.5625, 0.1875],
           [0.1875, 0.5625, 0.5625, 0.1875],
           [0.0625, 0.1875, 0.1875, 0.0625]])
    """
    f = check_int(factor, "factor", minimum=1)
    k = 2 * f - f % 2
    c = f - 1 if k % 2 == 1 else f - 0.5                                # the kernel's centre
    tri = 1 - np.abs(np.arange(k) - c) / f                              # (k,) triangle (tent) filter
    return np.outer(tri, tri)


def transposed_overlap(kernel_size: int, stride: int, size: int = 8) -> np.ndarray:
    """How many input pixels stamp each output pixel of a stride-``stride`` transposed convolution.

    Defined in :ref:`sec-seg-transposed-conv`.

    With all-ones input and kernel, the output counts the overlapping stamps. Unless ``kernel_size`` is a
    multiple of ``stride`` the count alternates from pixel to pixel: the checkerboard artefact.

    Returns
    -------
    (H_out, W_out) ndarray of float64

    Examples
    --------
    >>> transposed_overlap(3, 2, size=3)[1]         # k = 3, s = 2: every other pixel gets two stamps
    array([1., 1., 2., 1., 2., 1., 1.])
    """
    k = check_int(kernel_size, "kernel_size", minimum=1)
    s = check_int(stride, "stride", minimum=1)
    n = check_int(size, "size", minimum=1)
    return conv_transpose2d(np.ones((1, 1, n, n)), np.ones((1, 1, k, k)), stride=s)[0, 0]
