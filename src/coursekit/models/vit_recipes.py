"""Recipes around a trained ViT: DeiT hard-label distillation, linear probing vs fine-tuning, a new resolution.

Chapter 11 (Vision transformers). Each recipe reuses the shared loop :func:`coursekit.training.loop.fit` and
the model of :mod:`coursekit.models.vit`; what changes is the loss (distillation), which parameters train
(linear probe: the head only; fine-tuning: everything) or the position table (interpolated to a new grid).

References
----------
H. Touvron et al., "Training data-efficient image transformers & distillation through attention", ICML 2021.
A. Dosovitskiy et al., "An image is worth 16x16 words", ICLR 2021 (fine-tuning at a higher resolution,
linear few-shot evaluation).
"""

from __future__ import annotations

import copy
import math
from dataclasses import replace

import torch
from torch import nn

from coursekit.core.validation import check_choice, check_int
from coursekit.layers.patches import interpolate_position_embedding
from coursekit.models.vit import ViT, deit_hard_distillation_loss

__all__ = ["digits_recipes", "fit_distilled", "prepare_transfer", "resize_vit"]


def digits_recipes() -> dict:
    """The chapter's two recipes on 8×8 digits: a tiny ViT and a small CNN of similar size, with their training.

    Defined in :ref:`sec-vit-vs-cnn`.

    Returns
    -------
    dict
        ``{"vit": (ViTConfig, FitConfig), "cnn": (SmallCNNConfig, FitConfig)}``. The ViT cuts 8×8 digits
        into 2×2 patches (16 tokens + [CLS]), D = 32, L = 2 blocks of 2 heads, MLP ratio 2: about 18k
        parameters, as many as the CNN's 14k. Each trains in a few CPU-seconds.

    Examples
    --------
    >>> vit_config, fit_config = digits_recipes()["vit"]
    >>> vit_config.n_patches, fit_config.epochs
    (16, 15)
    """
    from coursekit.models.small_cnn import SmallCNNConfig
    from coursekit.models.vit import ViTConfig
    from coursekit.training.loop import FitConfig

    vit = ViTConfig(image_size=8, patch_size=2, dim=32, depth=2, heads=2, mlp_ratio=2)
    cnn = SmallCNNConfig(channels=(16, 32))
    return {"vit": (vit, FitConfig(epochs=15, batch_size=64, lr=3e-3, weight_decay=0.05, warmup_fraction=0.1)),
            "cnn": (cnn, FitConfig(epochs=12, batch_size=128, lr=1e-2, weight_decay=0.05, warmup_fraction=0.3))}


def _check_vit(model) -> ViT:
    if not isinstance(model, ViT):
        raise ValueError(f"model must be a coursekit ViT, got {type(model).__name__}.")
    return model


def fit_distilled(student: ViT, teacher_logits: torch.Tensor, split, config, generator: torch.Generator,
                  progress: bool = True, desc: str = "DeiT student"):
    """Train a ViT with a distillation token on DeiT's hard-label loss; test accuracy per epoch.

    Defined in :ref:`sec-vit-deit` (Eq. :eq:`eq-vit-deit`).

    Parameters
    ----------
    student : ViT
        Built with ``ViTConfig(distillation=True)``; trained in place.
    teacher_logits : (n_train, K) Tensor
        The teacher's logits on ``split.X_train``, computed once (the teacher is frozen, so they never change).
    split : DigitsSplit
        (X_train, y_train, X_test, y_test).
    config : FitConfig
    generator : torch.Generator
    progress : bool
    desc : str

    Returns
    -------
    History
        ``loss`` (the distillation loss) and ``val`` (test accuracy of the averaged heads) per epoch.

    Examples
    --------
    >>> from coursekit.data.digits import load_digits_split
    >>> from coursekit.models.vit import ViTConfig
    >>> from coursekit.training.loop import FitConfig
    >>> split = load_digits_split(size=8)
    >>> g = torch.Generator().manual_seed(0)
    >>> s = ViT(ViTConfig(image_size=8, patch_size=2, dim=16, depth=1, heads=2, distillation=True), generator=g)
    >>> teacher = torch.nn.functional.one_hot(split.y_train, 10).float()     # a perfect "teacher"
    >>> h = fit_distilled(s, teacher, split, FitConfig(epochs=1), g, progress=False)
    >>> len(h.val)
    1
    """
    from coursekit.training.loop import fit

    _check_vit(student)
    if student.dist_token is None:
        raise ValueError("the student has no distillation token: build it with ViTConfig(distillation=True).")
    X, y, Xt, yt = split
    if teacher_logits.shape != (len(X), student.config.num_classes):
        raise ValueError(f"teacher_logits must have shape (n_train, K) = ({len(X)}, {student.config.num_classes}), "
                         f"got {tuple(teacher_logits.shape)}.")

    def loss_fn(m, batch):
        xb, yb, tb = batch
        cls, dist = m.heads(xb)                                       # (B, K) each
        return deit_hard_distillation_loss(cls, dist, yb, tb)

    def accuracy(m, val):
        return float((m(val[0]).argmax(1) == val[1]).float().mean())

    return fit(student, loss_fn, (X.float(), y.long(), teacher_logits.detach().float()), config, generator,
               val=(Xt.float(), yt.long()), metric=accuracy, progress=progress, desc=desc)


def prepare_transfer(model: ViT, num_classes: int, mode: str, generator: torch.Generator) -> ViT:
    """A copy of a trained ViT with a fresh K-class head, ready for a linear probe or for fine-tuning.

    Defined in :ref:`sec-vit-transfer`.

    Parameters
    ----------
    model : ViT
        The pretrained model (left untouched).
    num_classes : int
        K of the new task.
    mode : {"probe", "finetune"}
        ``"probe"`` freezes every parameter except the new head (``requires_grad = False``, so
        :func:`coursekit.training.loop.fit` trains only the head); ``"finetune"`` trains everything.
    generator : torch.Generator
        Draws the new head, U(-1/√D, 1/√D) as ``nn.Linear``.

    Returns
    -------
    ViT

    Examples
    --------
    >>> from coursekit.models.vit import ViTConfig
    >>> base = ViT(ViTConfig(dim=16, depth=1, heads=2), generator=torch.Generator().manual_seed(0))
    >>> probe = prepare_transfer(base, 5, "probe", torch.Generator().manual_seed(1))
    >>> sum(p.numel() for p in probe.parameters() if p.requires_grad)      # 16·5 + 5: the head only
    85
    """
    _check_vit(model)
    K = check_int(num_classes, "num_classes", minimum=2)
    mode = check_choice(mode, "mode", ("probe", "finetune"))
    if model.dist_token is not None:
        raise ValueError("prepare_transfer expects a ViT without a distillation token.")
    new = copy.deepcopy(model)
    new.config = replace(model.config, num_classes=K)
    D = model.config.dim
    head = nn.utils.skip_init(nn.Linear, D, K, device=next(model.parameters()).device)
    bound = 1.0 / math.sqrt(D)
    nn.init.uniform_(head.weight, -bound, bound, generator=generator)
    nn.init.uniform_(head.bias, -bound, bound, generator=generator)
    new.head = head.to(next(model.parameters()).dtype)
    for p in new.parameters():
        p.requires_grad_(mode == "finetune")
    new.head.requires_grad_(True)
    return new


def resize_vit(model: ViT, image_size: int, mode: str = "bicubic") -> ViT:
    """A copy of a ViT that reads images of a new size: same patch size, more (or fewer) patches, positions
    interpolated on the 2D grid.

    Defined in :ref:`sec-vit-position` (Eq. :eq:`eq-vit-pe-interpolation`).

    Parameters
    ----------
    model : ViT
    image_size : int
        The new side, a multiple of the patch size.
    mode : {"bicubic", "bilinear", "nearest"}

    Returns
    -------
    ViT
        Every weight shared by value with ``model`` except the position table.

    Examples
    --------
    >>> from coursekit.models.vit import ViTConfig
    >>> small = ViT(ViTConfig(image_size=8, patch_size=2, dim=16, depth=1, heads=2))
    >>> big = resize_vit(small, 12)
    >>> big.pos_embed.weight.shape, big(torch.zeros(1, 1, 12, 12)).shape
    (torch.Size([37, 16]), torch.Size([1, 10]))
    """
    _check_vit(model)
    c = model.config
    new_config = replace(c, image_size=check_int(image_size, "image_size"))       # validates the multiple
    old_grid = (c.image_size // c.patch_size,) * 2
    new_grid = (new_config.image_size // c.patch_size,) * 2
    new = copy.deepcopy(model)
    new.config = new_config
    with torch.no_grad():
        table = interpolate_position_embedding(model.pos_embed.weight, old_grid, new_grid, c.n_prefix, mode)
    new.pos_embed.weight = nn.Parameter(table)
    new.pos_embed.max_positions = table.shape[0]
    return new
