"""Convolution layers from scratch: im2col, col2im, conv2d forward and backward, pooling, 1×1 convs.

Chapter 4 (Convolutional neural networks), sections on convolution. Inputs are batches of feature maps
``(B, C, H, W)`` as in PyTorch, and every layer computes what ``torch.nn.functional`` computes: a
*cross-correlation* (the kernel is not flipped, unlike Chapter 2's ``convolve2d``) with zero padding,
stride, dilation and channel groups. The trick that makes it fast is *im2col*: copy every receptive
field of the input into one column of a matrix, so the whole layer becomes a single matrix product; its
adjoint, *col2im*, adds columns back into an image and gives the backward pass.

Arrays are computed in float32 when every input is float32 (like PyTorch's default) and in float64
otherwise.

References
----------
K. Chellapilla, S. Puri and P. Simard, "High performance convolutional neural networks for document
processing", IWFHR 2006 (convolution unrolled into a matrix product).
Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based learning applied to document recognition",
Proc. IEEE 86(11), 1998.
M. Lin, Q. Chen and S. Yan, "Network in network", ICLR 2014 (1×1 convolutions, global average pooling).
"""

from __future__ import annotations

import numbers

import numpy as np

from coursekit.core.validation import check_array, check_pair
from coursekit.nn.conv_arithmetic import conv_output_size

__all__ = ["im2col", "col2im", "conv2d_loops", "conv2d", "conv2d_backward", "conv1x1"]


def _float(*arrays) -> np.dtype:
    """float32 if every array is float32, else float64."""
    return np.dtype(np.float32) if all(a.dtype == np.float32 for a in arrays) else np.dtype(np.float64)


def _batch(x, name: str = "x") -> np.ndarray:
    if isinstance(x, np.ndarray) and x.ndim in (2, 3):
        raise ValueError(f"{name} must be a batch of feature maps (B, C, H, W), got shape {x.shape}; "
                         f"add the missing axes, e.g. {name}[None, None] for one grey image.")
    return check_array(x, name, ndim=4, dtype_kind="fiu")


def _geometry(H, W, kernel_size, stride, padding, dilation):
    kh, kw = check_pair(kernel_size, "kernel_size", 1)
    sh, sw = check_pair(stride, "stride", 1)
    ph, pw = check_pair(padding, "padding", 0)
    dh, dw = check_pair(dilation, "dilation", 1)
    Ho = conv_output_size(H, kh, sh, ph, dh)
    Wo = conv_output_size(W, kw, sw, pw, dw)
    return (kh, kw), (sh, sw), (ph, pw), (dh, dw), (Ho, Wo)


def im2col(x, kernel_size, stride=1, padding=0, dilation=1, pad_value: float = 0.0) -> np.ndarray:
    """Unfold every receptive field of a batch of feature maps into a column.

    Defined in :ref:`sec-im2col` (Eq. :eq:`eq-im2col`).

    Parameters
    ----------
    x : (B, C, H, W) ndarray
        Input feature maps.
    kernel_size, stride, padding, dilation : int or (int, int)
        As in ``torch.nn.Conv2d``; ``padding`` pixels of value ``pad_value`` are added on each side.
    pad_value : float
        What the padding contains (0 for convolution, ``-inf`` for max pooling).

    Returns
    -------
    (B, C kh kw, H_out W_out) ndarray
        Column ``l = i W_out + j`` holds the input values under the kernel placed at output pixel
        ``(i, j)``; its rows run over channels, then kernel rows, then kernel columns (the layout of
        ``torch.nn.functional.unfold``).

    Notes
    -----
    Instead of looping over the ``H_out W_out`` output pixels, loop over the ``kh kw`` kernel taps: tap
    ``(u, v)`` of every window reads the strided slice of the padded input that starts at
    ``(u d_h, v d_w)``. Memory grows by a factor ``kh kw / (s_h s_w)`` — the price of one big matmul.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> im2col(x, 2, stride=2)[0]           # four 2×2 windows, one per column
    array([[ 0.,  2.,  8., 10.],
           [ 1.,  3.,  9., 11.],
           [ 4.,  6., 12., 14.],
           [ 5.,  7., 13., 15.]])
    """
    x = _batch(x)
    x = x.astype(_float(x), copy=False)
    B, C, H, W = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (Ho, Wo) = _geometry(H, W, kernel_size, stride, padding, dilation)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value)  # (B, C, H+2ph, W+2pw)
    cols = np.empty((B, C, kh, kw, Ho, Wo), dtype=x.dtype)
    for u in range(kh):
        for v in range(kw):
            r0, c0 = u * dh, v * dw                                      # where tap (u, v) starts
            cols[:, :, u, v] = xp[:, :, r0:r0 + sh * (Ho - 1) + 1:sh, c0:c0 + sw * (Wo - 1) + 1:sw]  # (B, C, Ho, Wo)
    return cols.reshape(B, C * kh * kw, Ho * Wo)                         # (B, C kh kw, L)


def col2im(cols, input_size, kernel_size, stride=1, padding=0, dilation=1) -> np.ndarray:
    """Fold columns back into feature maps, *adding* the values that land on the same pixel.

    Defined in :ref:`sec-col2im` (Eq. :eq:`eq-col2im`).

    The adjoint of :func:`im2col`: ``<im2col(x), c> = <x, col2im(c)>`` for all ``x, c``. It is not its
    inverse — a pixel covered by ``n`` windows comes back ``n`` times — and it is exactly what the
    backward pass needs, because a pixel's gradient is the sum over every window that read it.

    Parameters
    ----------
    cols : (B, C kh kw, H_out W_out) ndarray
        Columns laid out as :func:`im2col` makes them.
    input_size : (int, int)
        ``(H, W)`` of the feature maps to rebuild.
    kernel_size, stride, padding, dilation : int or (int, int)
        The same as for :func:`im2col`.

    Returns
    -------
    (B, C, H, W) ndarray
        The padding border is dropped.

    Examples
    --------
    >>> col2im(np.ones((1, 4, 4)), (3, 3), 2)[0, 0]    # how many 2x2 windows (stride 1) cover each pixel
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    cols = check_array(cols, "cols", ndim=3, dtype_kind="fiu")
    H, W = check_pair(input_size, "input_size", 1)
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (Ho, Wo) = _geometry(H, W, kernel_size, stride, padding, dilation)
    B, CKK, L = cols.shape
    if CKK % (kh * kw) or L != Ho * Wo:
        raise ValueError(f"cols of shape {cols.shape} do not fit a {kh}×{kw} kernel on a {H}×{W} input: expected "
                         f"(B, C*{kh * kw}, {Ho * Wo}).")
    C = CKK // (kh * kw)
    cols6 = cols.astype(_float(cols), copy=False).reshape(B, C, kh, kw, Ho, Wo)
    xp = np.zeros((B, C, H + 2 * ph, W + 2 * pw), dtype=cols6.dtype)   # (B, C, H+2ph, W+2pw)
    for u in range(kh):
        for v in range(kw):
            r0, c0 = u * dh, v * dw
            # within one tap the strided windows never overlap, so "+=" on the slice adds each value once
            xp[:, :, r0:r0 + sh * (Ho - 1) + 1:sh, c0:c0 + sw * (Wo - 1) + 1:sw] += cols6[:, :, u, v]
    return xp[:, :, ph:ph + H, pw:pw + W]                                # (B, C, H, W)


def _check_conv(x, weight, bias, groups):
    x, weight = _batch(x), _batch(weight, "weight")
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups < 1:
        raise ValueError(f"groups must be a positive integer, got {groups!r}.")
    C, (C_out, C_g) = x.shape[1], weight.shape[:2]
    if C % groups or C_out % groups:
        raise ValueError(f"input channels ({C}) and output channels ({C_out}) must be divisible by groups={groups}.")
    if C_g * groups != C:
        raise ValueError(f"weight of shape {weight.shape} expects {C_g * groups} input channels with groups={groups}, "
                         f"but x has {C}; weight must be (C_out, C / groups, kh, kw).")
    arrays = [x, weight]
    if bias is not None:
        bias = check_array(bias, "bias", ndim=1, dtype_kind="fiu", shape=(C_out,))
        arrays.append(bias)
    dt = _float(*arrays)
    return x.astype(dt, copy=False), weight.astype(dt, copy=False), None if bias is None else bias.astype(dt)


def conv2d_loops(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> np.ndarray:
    """The same layer as :func:`conv2d`, written as a loop over output pixels (slow; for small inputs).

    Defined in :ref:`sec-conv-layer` (Eq. :eq:`eq-conv2d`).

    ``y[b, o, i, j] = bias[o] + sum_{c, u, v} w[o, c, u, v] x_pad[b, c, s i + d u, s j + d v]``, where
    ``c`` runs over the input channels of output ``o``'s group.

    Parameters
    ----------
    x : (B, C, H, W) ndarray of float
        Input feature maps.
    weight : (C_out, C / groups, kh, kw) ndarray of float
        The filters.
    bias : (C_out,) ndarray of float, optional
        One offset per output channel.
    stride, padding, dilation : int or (int, int)
        As in ``torch.nn.functional.conv2d``; padding is zero padding.
    groups : int
        Number of channel groups; ``C`` and ``C_out`` must be multiples of it.

    Returns
    -------
    (B, C_out, H_out, W_out) ndarray of float64
        Equal to :func:`conv2d` up to rounding.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x, w = rng.normal(size=(1, 2, 5, 5)), rng.normal(size=(3, 2, 3, 3))
    >>> y = conv2d_loops(x, w, padding=1, stride=2)
    >>> y.shape, np.allclose(y, conv2d(x, w, padding=1, stride=2))
    ((1, 3, 3, 3), True)
    """
    x, weight, bias = _check_conv(x, weight, bias, groups)
    B, C, H, W = x.shape
    C_out, C_g, kh, kw = weight.shape
    _, (sh, sw), (ph, pw), (dh, dw), (Ho, Wo) = _geometry(H, W, (kh, kw), stride, padding, dilation)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))                # (B, C, H+2ph, W+2pw)
    O_g = C_out // groups
    y = np.zeros((B, C_out, Ho, Wo), dtype=x.dtype)
    for i in range(Ho):
        for j in range(Wo):
            window = xp[:, :, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw]  # (B, C, kh, kw)
            for g in range(groups):
                w_g = weight[g * O_g:(g + 1) * O_g]                       # (O_g, C_g, kh, kw)
                y[:, g * O_g:(g + 1) * O_g, i, j] = np.einsum("bcuv,ocuv->bo", window[:, g * C_g:(g + 1) * C_g], w_g)
    return y if bias is None else y + bias[None, :, None, None]


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> np.ndarray:
    """2-D convolution layer (cross-correlation, as in ``torch.nn.functional.conv2d``) by im2col + matmul.

    Defined in :ref:`sec-im2col` (Eq. :eq:`eq-im2col`).

    Parameters
    ----------
    x : (B, C, H, W) ndarray
        Input feature maps.
    weight : (C_out, C / groups, kh, kw) ndarray
        One kernel per output channel.
    bias : (C_out,) ndarray, optional
    stride, padding, dilation : int or (int, int)
    groups : int
        Split the channels into ``groups`` independent convolutions (``groups = C``: depthwise).

    Returns
    -------
    (B, C_out, H_out, W_out) ndarray
        ``H_out`` and ``W_out`` from :func:`coursekit.nn.conv_arithmetic.conv_output_size`.

    Notes
    -----
    1. ``X_col = im2col(x)``, shape ``(B, C kh kw, L)`` with ``L = H_out W_out``.
    2. Rows of ``X_col`` are channel-major, so group ``g``'s rows are one contiguous block:
       reshape to ``(B, G, K, L)`` with ``K = (C / G) kh kw``.
    3. ``Y = W_mat X_col``: the weights as ``(G, C_out / G, K)`` times the columns, one batched matmul.
    4. Reshape ``(B, C_out, H_out, W_out)`` and add the bias.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> conv2d(x, np.ones((1, 1, 2, 2)), stride=2)[0, 0]     # sums of the four 2x2 blocks
    array([[10., 18.],
           [42., 50.]])
    """
    x, weight, bias = _check_conv(x, weight, bias, groups)
    B, C, H, W = x.shape
    C_out, C_g, kh, kw = weight.shape
    *_, (Ho, Wo) = _geometry(H, W, (kh, kw), stride, padding, dilation)
    G, K = groups, C_g * kh * kw
    cols = im2col(x, (kh, kw), stride, padding, dilation)               # (B, C kh kw, L), L = Ho Wo
    cols = cols.reshape(B, G, K, Ho * Wo)                               # (B, G, K, L)
    W_mat = weight.reshape(G, C_out // G, K)                            # (G, C_out/G, K)
    y = (W_mat @ cols).reshape(B, C_out, Ho, Wo)                        # (B, G, C_out/G, L) -> (B, C_out, Ho, Wo)
    return y if bias is None else y + bias[None, :, None, None]


def conv2d_backward(dy, x, weight, stride=1, padding=0, dilation=1, groups=1):
    """Gradients of a loss through :func:`conv2d`: with respect to the input, the weights and the bias.

    Defined in :ref:`sec-col2im` (Eq. :eq:`eq-im2col-backward`).

    Parameters
    ----------
    dy : (B, C_out, H_out, W_out) ndarray
        Gradient of the loss with respect to the layer's output.
    x, weight, stride, padding, dilation, groups
        What the forward pass was called with.

    Returns
    -------
    dx : (B, C, H, W) ndarray
    dweight : (C_out, C / groups, kh, kw) ndarray
    dbias : (C_out,) ndarray

    Notes
    -----
    The forward pass is ``Y = W_mat X_col`` per group, so by the matrix-product rule

    1. ``dW_mat = sum_b dY_b X_col,b^T`` (each weight met every column);
    2. ``dX_col = W_mat^T dY``;
    3. ``dx = col2im(dX_col)``: a pixel copied into several columns collects all their gradients;
    4. ``db = sum over b, i, j of dy``.

    Examples
    --------
    >>> x = np.ones((1, 1, 3, 3)); w = np.ones((1, 1, 2, 2))
    >>> dx, dw, db = conv2d_backward(np.ones((1, 1, 2, 2)), x, w)
    >>> dx[0, 0], db
    (array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]]), array([4.]))
    """
    x, weight, _ = _check_conv(x, weight, None, groups)
    B, C, H, W = x.shape
    C_out, C_g, kh, kw = weight.shape
    cols = im2col(x, (kh, kw), stride, padding, dilation)               # (B, C kh kw, L)
    L = cols.shape[2]
    dy = _batch(dy, "dy")
    if dy.shape[:2] != (B, C_out) or dy.shape[2] * dy.shape[3] != L:
        raise ValueError(f"dy has shape {dy.shape}, but the forward output has {B} × {C_out} maps with {L} pixels.")
    dy = dy.astype(cols.dtype, copy=False)
    G, K = groups, C_g * kh * kw
    cols = cols.reshape(B, G, K, L)                                     # (B, G, K, L)
    dY = dy.reshape(B, G, C_out // G, L)                                # (B, G, C_out/G, L)
    W_mat = weight.reshape(G, C_out // G, K)                            # (G, C_out/G, K)
    dW = (dY @ cols.transpose(0, 1, 3, 2)).sum(axis=0)                  # (G, C_out/G, K)
    dcols = W_mat.transpose(0, 2, 1) @ dY                               # (B, G, K, L)
    dx = col2im(dcols.reshape(B, C * kh * kw, L), (H, W), (kh, kw), stride, padding, dilation)  # (B, C, H, W)
    return dx, dW.reshape(weight.shape), dy.sum(axis=(0, 2, 3))


def conv1x1(x, weight, bias=None) -> np.ndarray:
    """A 1×1 convolution: the same linear map ``W x + b`` applied to the channel vector of every pixel.

    Defined in :ref:`sec-grouped-separable-conv` (Eq. :eq:`eq-conv1x1`).

    Parameters
    ----------
    x : (B, C, H, W) ndarray
    weight : (C_out, C) or (C_out, C, 1, 1) ndarray
    bias : (C_out,) ndarray, optional

    Returns
    -------
    (B, C_out, H, W) ndarray
        ``y[b, :, i, j] = weight @ x[b, :, i, j] + bias``; no pixel sees its neighbours.

    Examples
    --------
    >>> x = np.arange(8.0).reshape(1, 2, 2, 2)                   # channel 0: 0..3, channel 1: 4..7
    >>> conv1x1(x, np.array([[1.0, -1.0]]))[0, 0]                # channel 0 minus channel 1 at every pixel
    array([[-4., -4.],
           [-4., -4.]])
    """
    weight = np.asarray(weight) if isinstance(weight, (list, tuple)) else weight
    check_array(weight, "weight", ndim=(2, 4), dtype_kind="fiu")
    if weight.ndim == 4:
        if weight.shape[2:] != (1, 1):
            raise ValueError(f"a 1×1 conv needs weight of shape (C_out, C, 1, 1), got {weight.shape}.")
        weight = weight[:, :, 0, 0]                                      # (C_out, C)
    x, weight4, bias = _check_conv(x, weight[:, :, None, None], bias, 1)
    y = np.einsum("oc,bchw->bohw", weight4[:, :, 0, 0], x)              # (B, C_out, H, W)
    return y if bias is None else y + bias[None, :, None, None]


