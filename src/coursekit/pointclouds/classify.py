"""The recipe that trains a point-cloud classifier (PointNet or DGCNN) on generated primitives.

Used by Chapter 8 (classification of procedural primitives); the chapter and its test call the same
function with the same settings.

References
----------
C. R. Qi, H. Su, K. Mo and L. J. Guibas, "PointNet", CVPR 2017. Y. Wang et al., "DGCNN", ACM TOG 2019.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from coursekit.core.validation import check_generator, check_shape
from coursekit.layers.init import init_parameters_
from coursekit.training.loop import FitConfig, History, evaluate, fit

__all__ = ["classifier_accuracy", "train_point_classifier"]


def _tensors(X, y) -> tuple[torch.Tensor, torch.Tensor]:
    check_shape(X, "B N 3", "X")
    check_shape(y, "B", "y", B=X.shape[0])
    return torch.as_tensor(np.asarray(X), dtype=torch.float32), torch.as_tensor(np.asarray(y), dtype=torch.int64)


def classifier_accuracy(model: nn.Module, X, y) -> float:
    """Fraction of clouds whose arg-max logit is the label (model in eval mode, batched, no gradient).

    Defined in :ref:`sec-pc-classify`.

    Parameters
    ----------
    model : nn.Module
        Maps (B, N, 3) clouds to (B, K) logits.
    X : (B, N, 3) ndarray or Tensor
    y : (B,) ndarray or Tensor of int

    Returns
    -------
    float

    Examples
    --------
    >>> from coursekit.models.pointnet import PointNet, PointNetConfig
    >>> m = PointNet(PointNetConfig(widths=(4,), head=()))
    >>> 0.0 <= classifier_accuracy(m, np.zeros((3, 8, 3)), np.array([0, 1, 2])) <= 1.0
    True
    """
    Xt, yt = _tensors(X, y)
    pred = evaluate(model, lambda m, b: m(b[0]).argmax(1), (Xt,))
    return float((pred == yt).float().mean())


def train_point_classifier(model: nn.Module, X, y, config: FitConfig, generator: torch.Generator,
                           val=None, progress: bool = True) -> tuple[nn.Module, History]:
    """Initialise ``model`` from ``generator`` and train it with cross-entropy through the book's loop.

    Defined in :ref:`sec-pc-classify` (Eq. :eq:`eq-pc-pointnet`).

    Parameters
    ----------
    model : nn.Module
        A :class:`~coursekit.models.pointnet.PointNet` or :class:`~coursekit.models.dgcnn.DGCNN`.
    X : (B, N, 3) ndarray of float
        Training clouds (e.g. :func:`coursekit.data.pointclouds.point_cloud_dataset`).
    y : (B,) ndarray of int
    config : FitConfig
    generator : torch.Generator
        Initial weights and batch order.
    val : (X_val, y_val), optional
        Held-out clouds; the history then records their accuracy after every epoch.
    progress : bool
        Show a progress bar.

    Returns
    -------
    model : nn.Module
        Trained, in eval mode.
    history : History

    Examples
    --------
    >>> from coursekit.models.pointnet import PointNet, PointNetConfig
    >>> X, y = np.random.default_rng(0).normal(size=(8, 16, 3)), np.arange(8) % 2
    >>> m, h = train_point_classifier(PointNet(PointNetConfig(widths=(8,), head=(), num_classes=2)), X, y,
    ...                               FitConfig(epochs=2, batch_size=4), torch.Generator().manual_seed(0),
    ...                               progress=False)
    >>> len(h.loss)
    2
    """
    check_generator(generator)
    data = _tensors(X, y)
    metric = None
    if val is not None:
        Xv, yv = _tensors(*val)
        val = (Xv, yv)
        metric = lambda m, v: classifier_accuracy(m, v[0], v[1])                 # noqa: E731
    init_parameters_(model, generator)
    loss = lambda m, batch: F.cross_entropy(m(batch[0]), batch[1])              # noqa: E731
    history = fit(model, loss, data, config, generator, val=val, metric=metric, desc=type(model).__name__,
                  progress=progress)
    return model, history
