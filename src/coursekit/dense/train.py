"""Training and evaluating a segmentation network with the book's loop: tensors, loss, predictions, mean IoU.

Chapter 6 (Segmentation and depth). :func:`train_segmenter` is :func:`coursekit.training.fit` with the
segmentation loss ``CE + Dice`` and the validation mean IoU after every epoch; its default
:class:`~coursekit.training.FitConfig` is the recipe the chapter (and the test that holds its target) uses.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from coursekit.core.validation import check_array, check_int, check_nonnegative
from coursekit.dense.losses import ce_dice_loss
from coursekit.metrics.segmentation import mean_iou
from coursekit.training import FitConfig, History, evaluate, fit

__all__ = ["segmentation_tensors", "predict_labels", "train_segmenter", "DEFAULT_SEGMENTATION_FIT"]

#: The chapter's recipe: 6 epochs of AdamW at peak rate 4e-3 (5% warmup, cosine decay), batches of 8.
DEFAULT_SEGMENTATION_FIT = FitConfig(epochs=6, batch_size=8, lr=4e-3, warmup_fraction=0.05)


def segmentation_tensors(images, semantic=None):
    """Images ``(B, H, W, 3)`` in [0, 1] and label maps ``(B, H, W)`` as the tensors a network takes.

    Defined in :ref:`sec-seg-unet-training`.

    Parameters
    ----------
    images : (B, H, W, C) ndarray of float
    semantic : (B, H, W) ndarray of int, optional

    Returns
    -------
    X : (B, C, H, W) Tensor of float32
    Y : (B, H, W) Tensor of int64
        Only when ``semantic`` is given.

    Examples
    --------
    >>> X, Y = segmentation_tensors(np.zeros((2, 8, 8, 3)), np.zeros((2, 8, 8), int))
    >>> tuple(X.shape), Y.dtype
    ((2, 3, 8, 8), torch.int64)
    """
    images = check_array(images, "images", ndim=4, dtype_kind="fiu")
    X = torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2), dtype=np.float32))  # (B, C, H, W)
    if semantic is None:
        return X
    semantic = check_array(semantic, "semantic", ndim=3, dtype_kind="iu", shape=(images.shape[0],) + images.shape[1:3])
    return X, torch.from_numpy(semantic.astype(np.int64))


def predict_labels(model: nn.Module, X: torch.Tensor, batch_size: int = 128) -> np.ndarray:
    """The argmax class of every pixel, in eval mode and in batches.

    Defined in :ref:`sec-seg-unet-training`.

    Parameters
    ----------
    model : nn.Module
        Maps ``(B, C, H, W)`` to ``(B, K, H, W)`` logits.
    X : (B, C, H, W) Tensor
    batch_size : int

    Returns
    -------
    (B, H, W) ndarray of int64

    Examples
    --------
    >>> predict_labels(nn.Conv2d(3, 4, 1), torch.zeros(2, 3, 5, 5)).shape
    (2, 5, 5)
    """
    return evaluate(model, lambda m, b: m(b[0]).argmax(dim=1), X, check_int(batch_size, "batch_size")).numpy()


def train_segmenter(model: nn.Module, train: tuple, val: tuple, generator: torch.Generator,
                    config: FitConfig | None = None, dice_weight: float = 1.0, progress: bool = True,
                    desc: str = "U-Net") -> History:
    """Train a segmentation network in place on ``CE + dice_weight · Dice``, recording the validation mean IoU.

    Defined in :ref:`sec-seg-unet-training` (Eq. :eq:`eq-soft-dice-loss`).

    Parameters
    ----------
    model : nn.Module
        ``(B, C, H, W) -> (B, K, H, W)``; initialised by the caller.
    train, val : (Tensor, Tensor)
        ``(X, Y)`` pairs from :func:`segmentation_tensors`.
    generator : torch.Generator
        The only randomness (batch order).
    config : FitConfig, optional
        Default :data:`DEFAULT_SEGMENTATION_FIT`.
    dice_weight : float
        0 trains on cross-entropy alone.
    progress : bool
    desc : str

    Returns
    -------
    History
        ``val`` holds the mean IoU over the K classes after each epoch. The model's weights are left in the
        channels-last memory layout, which changes nothing in what it computes.

    Examples
    --------
    >>> X, Y = torch.zeros(4, 3, 8, 8), torch.zeros(4, 8, 8, dtype=torch.long)   # every pixel is class 0
    >>> net = nn.Conv2d(3, 2, 1)
    >>> _ = nn.init.zeros_(net.bias)                                    # no class favoured at the start
    >>> h = train_segmenter(net, (X, Y), (X, Y), torch.Generator().manual_seed(0),
    ...                     FitConfig(epochs=2, batch_size=2, lr=0.1), progress=False)
    >>> h.val[-1]
    1.0
    """
    config = DEFAULT_SEGMENTATION_FIT if config is None else config
    w = check_nonnegative(dice_weight, "dice_weight")

    model.to(memory_format=torch.channels_last)     # (B, H, W, C) in memory: ~10% faster convolutions on a CPU

    def loss_fn(m, batch):
        x = batch[0].contiguous(memory_format=torch.channels_last)
        return ce_dice_loss(m(x), batch[1], dice_weight=w)

    def metric(m, data):
        K = m(data[0][:1]).shape[1]                                     # logits of one image: (1, K, H, W)
        return mean_iou(predict_labels(m, data[0]), data[1].numpy(), K)

    return fit(model, loss_fn, tuple(train), config, generator, val=tuple(val), metric=metric,
               progress=progress, desc=desc)
