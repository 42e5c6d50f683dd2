"""The arithmetic of convolutional layers: output sizes, parameter and multiply–add counts, receptive fields.

Chapter 4 (Convolutional neural networks), sections on convolution. These are the numbers an engineer
works out on paper before building a network: how big each feature map is, how many weights a layer
holds, how much cheaper a depthwise-separable layer is, and how much of the input one output unit sees.
The last function measures that receptive field on a real PyTorch model, by backpropagation.

References
----------
- V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep learning", arXiv:1603.07285, 2016.
- W. Luo, Y. Li, R. Urtasun and R. Zemel, "Understanding the effective receptive field in deep
  convolutional neural networks", NeurIPS 2016.
- A. G. Howard et al., "MobileNets: efficient convolutional neural networks for mobile vision
  applications", arXiv:1704.04861, 2017.
- F. Yu and V. Koltun, "Multi-scale context aggregation by dilated convolutions", ICLR 2016.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from coursekit.core.validation import check_int

__all__ = [
    "conv_output_size", "conv_params", "conv_macs", "separable_params", "separable_cost_ratio",
    "receptive_field_growth", "receptive_field", "layer_specs", "empirical_receptive_field",
]


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Length of a convolution's (or pooling's) output along one axis.

    Defined in :ref:`sec-conv-layer` (Eq. :eq:`eq-conv-output-size`).

    Parameters
    ----------
    size : int
        Input length ``H`` (or ``W``).
    kernel_size : int
        ``k``, taps of the kernel along this axis.
    stride, padding, dilation : int
        ``s >= 1``, ``p >= 0`` zeros added on *each* side, ``d >= 1`` spacing between taps.

    Returns
    -------
    int
        ``floor((H + 2p - d(k - 1) - 1) / s) + 1``.

    Notes
    -----
    A dilated kernel spans ``d(k - 1) + 1`` input pixels. It fits at ``H + 2p - d(k - 1)`` start positions
    of the padded input, of which every ``s``-th is used. The formula is PyTorch's for ``nn.Conv2d`` and,
    with ``ceil_mode=False``, for ``nn.MaxPool2d`` / ``nn.AvgPool2d``.

    Examples
    --------
    >>> conv_output_size(32, 3, padding=1), conv_output_size(32, 3, stride=2, padding=1)
    (32, 16)
    >>> conv_output_size(32, 3, dilation=2)     # a 3-tap kernel with dilation 2 spans 5 pixels
    28
    """
    size = check_int(size, "size", 1)
    k = check_int(kernel_size, "kernel_size", 1)
    s = check_int(stride, "stride", 1)
    p = check_int(padding, "padding", 0)
    d = check_int(dilation, "dilation", 1)
    span = d * (k - 1) + 1                                 # input pixels covered by one dilated kernel
    if size + 2 * p < span:
        raise ValueError(f"the kernel spans {span} pixels (k={k}, dilation={d}) but the padded input has only "
                         f"{size + 2 * p} (size={size}, padding={p}); add padding or use a smaller kernel.")
    return (size + 2 * p - span) // s + 1


def conv_params(c_in: int, c_out: int, kernel_size: int | tuple[int, int], groups: int = 1,
                bias: bool = True) -> int:
    """Number of learnable parameters of a 2-D convolution layer.

    Defined in :ref:`sec-grouped-separable-conv` (Eq. :eq:`eq-conv-params-macs`).

    Parameters
    ----------
    c_in, c_out : int
        Input and output channels; both divisible by ``groups``.
    kernel_size : int or (int, int)
        ``k`` or ``(kh, kw)``.
    groups : int
        Each output channel sees only ``c_in / groups`` input channels (``groups = c_in``: depthwise).
    bias : bool
        Whether each output channel has a bias.

    Returns
    -------
    int
        ``c_out * (c_in / groups) * kh * kw + (c_out if bias else 0)``; independent of the image size.

    Examples
    --------
    >>> conv_params(64, 128, 3), conv_params(64, 64, 3, groups=64, bias=False)
    (73856, 576)
    """
    c_in, c_out, g = check_int(c_in, "c_in", 1), check_int(c_out, "c_out", 1), check_int(groups, "groups", 1)
    if c_in % g or c_out % g:
        raise ValueError(f"c_in={c_in} and c_out={c_out} must both be divisible by groups={g}.")
    kh, kw = (kernel_size, kernel_size) if np.isscalar(kernel_size) else tuple(kernel_size)
    kh, kw = check_int(kh, "kernel_size", 1), check_int(kw, "kernel_size", 1)
    return c_out * (c_in // g) * kh * kw + (c_out if bias else 0)


def conv_macs(c_in: int, c_out: int, kernel_size: int, out_size: int | tuple[int, int], groups: int = 1) -> int:
    """Multiply–accumulate operations of one forward pass of a conv layer on one image (bias not counted).

    Defined in :ref:`sec-grouped-separable-conv` (Eq. :eq:`eq-conv-params-macs`).

    Every one of the ``H_out * W_out * c_out`` outputs is a dot product of length ``(c_in / groups) k^2``.

    Parameters
    ----------
    c_in, c_out : int
        Input and output channels.
    kernel_size : int
        Side k of the square kernel.
    out_size : int or (int, int)
        The output's ``H_out`` and ``W_out`` (one int for a square map).
    groups : int
        Channel groups (``c_in`` for a depthwise conv).

    Returns
    -------
    int
        ``H_out W_out c_out (c_in / groups) k^2``.

    Examples
    --------
    >>> conv_macs(3, 64, 3, 224)        # the first layer of VGG-16: 87 million MACs
    86704128
    """
    ho, wo = (out_size, out_size) if np.isscalar(out_size) else tuple(out_size)
    weights = conv_params(c_in, c_out, kernel_size, groups, bias=False)
    return weights * check_int(ho, "out_size", 1) * check_int(wo, "out_size", 1)


def separable_params(c_in: int, c_out: int, kernel_size: int, bias: bool = False) -> int:
    """Parameters of a depthwise-separable layer: a ``k×k`` depthwise conv, then a ``1×1`` pointwise conv.

    Parameters
    ----------
    c_in, c_out : int
        Input and output channels.
    kernel_size : int
        Side k of the depthwise kernel.
    bias : bool
        Count a bias for both convs.

    Returns
    -------
    int
        ``c_in k^2 + c_out c_in`` (plus ``c_in + c_out`` with biases).

    Examples
    --------
    >>> separable_params(64, 128, 3)    # 64*9 + 128*64, vs 73728 for the standard layer
    8768
    """
    return conv_params(c_in, c_in, kernel_size, groups=c_in, bias=bias) + conv_params(c_in, c_out, 1, bias=bias)


def separable_cost_ratio(c_out: int, kernel_size: int) -> float:
    """Cost of a depthwise-separable layer divided by the cost of a standard ``k×k`` conv layer.

    Defined in :ref:`sec-grouped-separable-conv` (Eq. :eq:`eq-separable-cost-ratio`).

    Parameters
    ----------
    c_out : int
        Output channels of both layers.
    kernel_size : int
        ``k`` of the spatial kernel.

    Returns
    -------
    float
        ``1 / c_out + 1 / k^2``, the same for parameters (no bias) and for multiply–adds.

    Notes
    -----
    Standard: ``c_in c_out k^2`` per output pixel. Separable: ``c_in k^2`` (depthwise) ``+ c_in c_out``
    (pointwise). Dividing, ``c_in`` cancels: ``1/c_out + 1/k^2``. For ``k = 3`` and a few hundred channels
    the separable layer is 8–9 times cheaper (Howard et al., 2017, Sec. 3.1).

    Examples
    --------
    >>> round(separable_cost_ratio(128, 3), 4)     # about 8.4 times cheaper
    0.1189
    >>> bool(np.isclose(separable_cost_ratio(128, 3), separable_params(64, 128, 3) / conv_params(64, 128, 3, bias=False)))
    True
    """
    c_out, k = check_int(c_out, "c_out", 1), check_int(kernel_size, "kernel_size", 1)
    return 1.0 / c_out + 1.0 / k ** 2


def _layer(spec, i: int) -> tuple[int, int, int]:
    if not isinstance(spec, (tuple, list)) or len(spec) not in (2, 3):
        raise ValueError(f"layer {i} must be (kernel, stride) or (kernel, stride, dilation), got {spec!r}.")
    k, s = check_int(spec[0], f"kernel of layer {i}", 1), check_int(spec[1], f"stride of layer {i}", 1)
    d = check_int(spec[2], f"dilation of layer {i}", 1) if len(spec) == 3 else 1
    return k, s, d


def receptive_field_growth(layers: Sequence[tuple[int, ...]]) -> tuple[np.ndarray, np.ndarray]:
    """Receptive field ``r_l`` and jump ``j_l`` after each layer of a chain of convs and poolings.

    Defined in :ref:`sec-receptive-field` (Eq. :eq:`eq-receptive-field`).

    Parameters
    ----------
    layers : sequence of (kernel, stride) or (kernel, stride, dilation)
        The layers in order, input first. Padding does not change the size of the receptive field.

    Returns
    -------
    r : (L + 1,) ndarray of int64
        ``r[0] = 1`` (an input pixel sees itself), ``r[l]`` the receptive field after layer ``l``.
    j : (L + 1,) ndarray of int64
        ``j[l]``, the distance in input pixels between two neighbouring units of layer ``l``.

    Notes
    -----
    With the effective kernel ``k'_l = d_l (k_l - 1) + 1``,

    1. ``j_0 = 1, r_0 = 1``;
    2. ``r_l = r_{l-1} + (k'_l - 1) j_{l-1}``: the new kernel reaches ``k'_l - 1`` more units of the
       previous layer, each ``j_{l-1}`` input pixels apart;
    3. ``j_l = j_{l-1} s_l``: strides multiply.

    For ``L`` stacked stride-1 ``k×k`` layers this is ``r = L(k - 1) + 1``.

    Examples
    --------
    >>> r, j = receptive_field_growth([(3, 1), (3, 1), (3, 1)])
    >>> r.tolist(), j.tolist()
    ([1, 3, 5, 7], [1, 1, 1, 1])
    >>> receptive_field_growth([(3, 2), (3, 2), (3, 1, 2)])[0].tolist()
    [1, 3, 7, 23]
    """
    if isinstance(layers, (str, bytes)) or not hasattr(layers, "__len__"):
        raise ValueError(f"layers must be a list of (kernel, stride[, dilation]) tuples, got {layers!r}.")
    r, j = [1], [1]
    for i, spec in enumerate(layers):
        k, s, d = _layer(spec, i)
        k_eff = d * (k - 1) + 1                            # input positions the dilated kernel spans
        r.append(r[-1] + (k_eff - 1) * j[-1])
        j.append(j[-1] * s)
    return np.array(r, dtype=np.int64), np.array(j, dtype=np.int64)


def receptive_field(layers: Sequence[tuple[int, ...]]) -> int:
    """Receptive field (in input pixels, along one axis) of one unit of the last layer.

    Defined in :ref:`sec-receptive-field` (Eq. :eq:`eq-receptive-field`).

    Parameters
    ----------
    layers : sequence of (kernel, stride) or (kernel, stride, dilation)
        The layers in order; a dilated kernel counts as ``d (k - 1) + 1`` taps.

    Returns
    -------
    int
        ``r_L`` of the recursion ``r_l = r_{l-1} + (k'_l - 1) j_{l-1}``, ``j_l = j_{l-1} s_l``.

    Examples
    --------
    >>> receptive_field([(3, 1)] * 5), receptive_field([(7, 2), (3, 2)])   # five 3x3 = one 11x11
    (11, 11)
    """
    return int(receptive_field_growth(layers)[0][-1])


def layer_specs(model) -> list[tuple[int, int, int]]:
    """``(kernel, stride, dilation)`` of every ``Conv2d``, ``MaxPool2d`` and ``AvgPool2d`` of a chain model.

    Parameters
    ----------
    model : torch.nn.Module
        A model whose spatial layers run in the order ``model.modules()`` lists them (e.g. an
        ``nn.Sequential``); pointwise layers (activations, BatchNorm) do not change the receptive field.

    Returns
    -------
    list of (int, int, int)
        Square hyper-parameters only; a non-square kernel, stride or dilation raises ``ValueError``.

    Examples
    --------
    >>> from torch import nn
    >>> layer_specs(nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2)))
    [(3, 1, 1), (2, 2, 1)]
    """
    import torch.nn as nn

    def one(v, what, name):
        v = (v, v) if isinstance(v, int) else tuple(v)
        if v[0] != v[1]:
            raise ValueError(f"{name} has a non-square {what} {v}; layer_specs handles square layers only.")
        return int(v[0])

    specs = []
    for name, m in model.named_modules():
        if isinstance(m, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
            stride = m.stride if m.stride is not None else m.kernel_size
            dilation = getattr(m, "dilation", 1)
            specs.append((one(m.kernel_size, "kernel", name), one(stride, "stride", name),
                          one(dilation, "dilation", name)))
    return specs


def empirical_receptive_field(model, input_shape: tuple[int, int, int, int], n_samples: int = 4,
                              generator=None) -> tuple[int, int, np.ndarray]:
    """Measure the receptive field of the centre output unit by backpropagating from it to the input.

    Defined in :ref:`sec-receptive-field` (Eq. :eq:`eq-receptive-field`).

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``(B, C, H, W)`` to ``(B, C', H', W')``; put into ``eval`` mode for the measurement.
    input_shape : (B, C, H, W) tuple
        Shape of the probe input; ``H`` and ``W`` must be large enough to hold the receptive field.
    n_samples : int
        Number of random probe inputs; the masks of all are united (a max-pool or a ReLU passes gradient
        to only part of its window for any one input).
    generator : torch.Generator, optional
        Source of the random probe inputs.

    Returns
    -------
    height, width : int
        Extent (bounding box) of the input pixels whose gradient is non-zero.
    grad : (H, W) ndarray of float64
        Mean of ``|dy/dx|`` over probes and channels; its non-zero pixels are the receptive field (a
        dilated stack leaves holes), its shape is the *effective* receptive field (Luo et al., 2016).

    Notes
    -----
    1. Draw ``x ~ N(0, 1)`` of ``input_shape`` with ``requires_grad``.
    2. Run the model, take the output unit at the centre of channel 0 of image 0 and call ``backward``.
    3. ``|dy/dx|`` summed over batch and channels is non-zero exactly where the input can change ``y``.

    Raises ``ValueError`` when the non-zero region touches the border of the input: the input was too
    small, and zero padding would have cut the receptive field short.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> two_3x3 = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1), nn.Conv2d(1, 1, 3, padding=1))
    >>> h, w, grad = empirical_receptive_field(two_3x3, (1, 1, 15, 15), generator=torch.Generator().manual_seed(0))
    >>> (h, w), receptive_field([(3, 1), (3, 1)]), grad.shape
    ((5, 5), 5, (15, 15))
    """
    import torch

    if len(input_shape) != 4:
        raise ValueError(f"input_shape must be (B, C, H, W), got {input_shape!r}.")
    check_int(n_samples, "n_samples", 1)
    param = next(model.parameters(), None)
    dtype = param.dtype if param is not None else torch.float32
    was_training = model.training
    model.eval()
    total = torch.zeros(input_shape[2:], dtype=torch.float64)
    try:
        for _ in range(n_samples):
            x = torch.randn(input_shape, generator=generator, dtype=dtype).requires_grad_(True)
            y = model(x)                                   # (B, C', H', W')
            if y.ndim != 4:
                raise ValueError(f"the model must return a (B, C, H, W) map, got shape {tuple(y.shape)}.")
            y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
            total += x.grad.abs().sum(dim=(0, 1)).double()  # (H, W)
    finally:
        model.train(was_training)
    grad = total.numpy() / (n_samples * input_shape[0] * input_shape[1])  # (H, W)
    mask = grad > 0                                         # (H, W) bool
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        raise ValueError("no input pixel influences the centre unit (all gradients are zero).")
    if rows[0] == 0 or cols[0] == 0 or rows[-1] == mask.shape[0] - 1 or cols[-1] == mask.shape[1] - 1:
        raise ValueError(f"the receptive field reaches the border of the {mask.shape} input; "
                         "use a larger input_shape so it is not cut off.")
    return int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1), grad
