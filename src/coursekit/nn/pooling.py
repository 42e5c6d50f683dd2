"""Max and average pooling and global average pooling in NumPy, with their backward passes.

Chapter 4 (pooling), built on the im2col of ``coursekit.nn.conv``.
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array, check_pair
from coursekit.nn.conv import _batch, _float, _geometry, col2im, im2col

__all__ = ["max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward", "global_avg_pool"]


def _pool_cols(x, kernel_size, stride, padding, pad_value):
    x = _batch(x)
    x = x.astype(_float(x), copy=False)
    stride = kernel_size if stride is None else stride
    kh, kw = check_pair(kernel_size, "kernel_size", 1)
    ph, pw = check_pair(padding, "padding", 0)
    if 2 * ph > kh or 2 * pw > kw:
        raise ValueError(f"padding {padding!r} must be at most half the kernel size {kernel_size!r} "
                         "(otherwise a window could hold only padding).")
    B, C, H, W = x.shape
    cols = im2col(x.reshape(B * C, 1, H, W), kernel_size, stride, padding, 1, pad_value)  # (B C, kh kw, L)
    _, _, _, _, (Ho, Wo) = _geometry(H, W, kernel_size, stride, padding, 1)
    return x, cols, stride, (Ho, Wo)


def max_pool2d(x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Max pooling: the largest value of each window, channel by channel (padding never wins).

    Defined in :ref:`sec-pooling` (Eq. :eq:`eq-pooling`).

    Parameters
    ----------
    x : (B, C, H, W) ndarray
    kernel_size, stride, padding : int or (int, int)
        ``stride`` defaults to ``kernel_size`` (non-overlapping windows), as in PyTorch.

    Returns
    -------
    (B, C, H_out, W_out) ndarray

    Examples
    --------
    >>> max_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 2)[0, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """
    x, cols, _, (Ho, Wo) = _pool_cols(x, kernel_size, stride, padding, -np.inf)
    return cols.max(axis=1).reshape(x.shape[0], x.shape[1], Ho, Wo)


def max_pool2d_backward(dy, x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Gradient of max pooling: each output's gradient goes to the one input that won its window.

    Defined in :ref:`sec-pooling` (Eq. :eq:`eq-pooling`).

    Parameters
    ----------
    dy : (B, C, H_out, W_out) ndarray of float
        Gradient of the loss with respect to the pooled output.
    x : (B, C, H, W) ndarray of float
        The input of the forward pass.
    kernel_size, stride, padding : int or (int, int)
        As in :func:`max_pool2d`.

    Returns
    -------
    (B, C, H, W) ndarray of float64
        ``dx``, zero except at the arg-max of each window (the first one on a tie); a pixel that wins
        several overlapping windows collects all their gradients.

    Examples
    --------
    >>> max_pool2d_backward(np.ones((1, 1, 2, 2)), np.arange(16.0).reshape(1, 1, 4, 4), 2)[0, 0]
    array([[0., 0., 0., 0.],
           [0., 1., 0., 1.],
           [0., 0., 0., 0.],
           [0., 1., 0., 1.]])
    """
    x, cols, stride, (Ho, Wo) = _pool_cols(x, kernel_size, stride, padding, -np.inf)
    B, C, H, W = x.shape
    dy = check_array(dy, "dy", shape=(B, C, Ho, Wo), dtype_kind="fiu")
    winner = cols.argmax(axis=1)[:, None, :]                             # (B C, 1, L)
    dcols = np.zeros_like(cols)                                          # (B C, kh kw, L)
    np.put_along_axis(dcols, winner, dy.reshape(B * C, 1, Ho * Wo).astype(cols.dtype), axis=1)
    return col2im(dcols, (H, W), kernel_size, stride, padding).reshape(B, C, H, W)


def avg_pool2d(x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Average pooling: the mean of each window, padding zeros included (PyTorch's ``count_include_pad``).

    Defined in :ref:`sec-pooling` (Eq. :eq:`eq-pooling`).

    Parameters
    ----------
    x : (B, C, H, W) ndarray of float
        Input feature maps.
    kernel_size : int or (int, int)
        Window size.
    stride : int or (int, int), optional
        Step between windows; defaults to ``kernel_size``.
    padding : int or (int, int)
        Zeros added on each side (and counted in the means).

    Returns
    -------
    (B, C, H_out, W_out) ndarray of float64

    Examples
    --------
    >>> avg_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 2)[0, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """
    x, cols, _, (Ho, Wo) = _pool_cols(x, kernel_size, stride, padding, 0.0)
    return cols.mean(axis=1).reshape(x.shape[0], x.shape[1], Ho, Wo)


def avg_pool2d_backward(dy, x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Gradient of average pooling: each output's gradient is shared equally by the ``kh kw`` window cells.

    Defined in :ref:`sec-pooling` (Eq. :eq:`eq-pooling`).

    Parameters
    ----------
    dy : (B, C, H_out, W_out) ndarray of float
        Gradient of the loss with respect to the pooled output.
    x : (B, C, H, W) ndarray of float
        The input of the forward pass (for its shape).
    kernel_size, stride, padding : int or (int, int)
        As in :func:`avg_pool2d`.

    Returns
    -------
    (B, C, H, W) ndarray of float64
        ``dx``: each window cell receives ``dy / (kh kw)``.

    Examples
    --------
    >>> avg_pool2d_backward(np.ones((1, 1, 1, 1)), np.zeros((1, 1, 2, 2)), 2)[0, 0]
    array([[0.25, 0.25],
           [0.25, 0.25]])
    """
    x, cols, stride, (Ho, Wo) = _pool_cols(x, kernel_size, stride, padding, 0.0)
    B, C, H, W = x.shape
    dy = check_array(dy, "dy", shape=(B, C, Ho, Wo), dtype_kind="fiu")
    n = cols.shape[1]                                                    # kh kw cells per window
    dcols = np.broadcast_to(dy.reshape(B * C, 1, Ho * Wo).astype(cols.dtype) / n, cols.shape)  # (B C, kh kw, L)
    return col2im(np.ascontiguousarray(dcols), (H, W), kernel_size, stride, padding).reshape(B, C, H, W)


def global_avg_pool(x) -> np.ndarray:
    """Global average pooling: one number per channel, the mean over all pixels.

    Defined in :ref:`sec-pooling` (Eq. :eq:`eq-global-avg-pool`).

    Whatever the input size, the output has the same length, and a shift of the feature maps (that keeps
    their content inside the frame) does not change it.

    Parameters
    ----------
    x : (B, C, H, W) ndarray of float
        Feature maps.

    Returns
    -------
    (B, C) ndarray of float64
        The mean of each map.

    Examples
    --------
    >>> global_avg_pool(np.arange(8.0).reshape(1, 2, 2, 2))
    array([[1.5, 5.5]])
    """
    x = _batch(x)
    return x.astype(_float(x), copy=False).mean(axis=(2, 3))             # (B, C)
