"""The vision transformer (ViT) with DeiT's optional distillation token, and its parameter and FLOP counts.

Chapter 11 (Vision transformers): patch embedding, a [CLS] token, learned 1D position embeddings, a stack of
Pre-LN transformer blocks (:class:`coursekit.layers.transformer.TransformerBlock`, GELU, no mask), a final
LayerNorm and a linear head on the [CLS] output. The defaults are a tiny ViT for 16×16 digits.

References
----------
A. Dosovitskiy et al., "An image is worth 16x16 words: transformers for image recognition at scale", ICLR 2021.
H. Touvron et al., "Training data-efficient image transformers & distillation through attention", ICML 2021.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn

from coursekit.core.validation import check_int
from coursekit.layers.init import init_parameters_
from coursekit.layers.patches import PatchEmbedding, prepend_tokens
from coursekit.layers.positional import LearnedPositionalEncoding
from coursekit.layers.transformer import TransformerBlock

__all__ = ["ViTConfig", "ViT", "vit_preset", "vit_parameter_count", "vit_flops", "deit_hard_distillation_loss",
           "fit_digits_classifier"]


@dataclass
class ViTConfig:
    """Settings of :class:`ViT`; the defaults are a tiny ViT for 16×16 digits (4×4 patches, 16 tokens).

    Defined in :ref:`sec-vit-model`.

    Parameters
    ----------
    image_size : int
        H = W, a multiple of ``patch_size``.
    patch_size : int
        P; N = (H/P)² patch tokens.
    in_channels : int
        C.
    num_classes : int
        K.
    dim : int
        D, the token width.
    depth : int
        L, the number of blocks.
    heads : int
        h, dividing D.
    mlp_ratio : int
        The MLP's hidden width is ``mlp_ratio · D`` (4 in ViT).
    distillation : bool
        Add DeiT's distillation token and its own head.

    Examples
    --------
    >>> ViTConfig().image_size // ViTConfig().patch_size
    4
    """

    image_size: int = 16
    patch_size: int = 4
    in_channels: int = 1
    num_classes: int = 10
    dim: int = 64
    depth: int = 4
    heads: int = 4
    mlp_ratio: int = 2
    distillation: bool = False

    def __post_init__(self):
        for name in ("image_size", "patch_size", "in_channels", "dim", "depth", "heads", "mlp_ratio"):
            check_int(getattr(self, name), name)
        check_int(self.num_classes, "num_classes", minimum=2)
        if self.image_size % self.patch_size:
            raise ValueError(f"image_size = {self.image_size} must be a multiple of patch_size = {self.patch_size}.")
        if self.dim % self.heads:
            raise ValueError(f"dim = {self.dim} must be divisible by heads = {self.heads}.")

    @property
    def n_patches(self) -> int:
        """N = (H/P)², the number of patch tokens."""
        return (self.image_size // self.patch_size) ** 2

    @property
    def n_prefix(self) -> int:
        """Tokens before the patches: [CLS], plus DeiT's distillation token."""
        return 2 if self.distillation else 1


_PRESETS = {"Ti": (192, 12, 3), "S": (384, 12, 6), "B": (768, 12, 12), "L": (1024, 24, 16), "H": (1280, 32, 16)}


def vit_preset(name: str, **overrides) -> ViTConfig:
    """The configuration of a published ViT/DeiT, e.g. ``"B/16"``: 224×224 RGB, 1000 classes, MLP ratio 4.

    Defined in :ref:`sec-vit-model` (Eq. :eq:`eq-vit-params`).

    Parameters
    ----------
    name : str
        ``"<size>/<patch>"`` with size one of Ti, S (DeiT), B, L, H (ViT).
    **overrides
        Any :class:`ViTConfig` field, e.g. ``image_size=384``.

    Examples
    --------
    >>> vit_preset("B/16").dim, vit_preset("L/16").depth
    (768, 24)
    """
    try:
        size, patch = name.split("/")
        dim, depth, heads = _PRESETS[size]
        patch = int(patch)
    except (ValueError, KeyError):
        raise ValueError(f"name must look like 'B/16' with a size in {sorted(_PRESETS)}, got {name!r}.") from None
    base = ViTConfig(image_size=224, patch_size=patch, in_channels=3, num_classes=1000, dim=dim, depth=depth,
                     heads=heads, mlp_ratio=4)
    return replace(base, **overrides)


class ViT(nn.Module):
    """Vision transformer: patches → tokens + [CLS] (+ distillation token) + position → L Pre-LN blocks → head.

    Defined in :ref:`sec-vit-model` (Eq. :eq:`eq-vit-forward`).

    Parameters
    ----------
    config : ViTConfig, optional
    generator : torch.Generator, optional
        The only source of the initial weights: tokens and position table ~ N(0, 0.02²), the other layers
        PyTorch's defaults (torch's global generator if omitted, as ``torch.nn`` layers).

    Notes
    -----
    Build large presets on the meta device (``with torch.device("meta"): ViT(vit_preset("L/16"))``) to count
    their parameters without allocating 1.2 GB.

    Examples
    --------
    >>> model = ViT(ViTConfig(dim=16, depth=1, heads=2), generator=torch.Generator().manual_seed(0))
    >>> model(torch.zeros(3, 1, 16, 16)).shape
    torch.Size([3, 10])
    """

    def __init__(self, config: ViTConfig | None = None, generator: torch.Generator | None = None):
        super().__init__()
        config = ViTConfig() if config is None else config
        if not isinstance(config, ViTConfig):
            raise ValueError(f"config must be a ViTConfig, got {type(config).__name__}.")
        self.config = c = config
        self.patch_embed = PatchEmbedding(c.in_channels, c.dim, c.patch_size, generator=generator)
        self.cls_token = nn.Parameter(torch.empty(1, 1, c.dim))
        self.dist_token = nn.Parameter(torch.empty(1, 1, c.dim)) if c.distillation else None
        self.pos_embed = LearnedPositionalEncoding(c.n_prefix + c.n_patches, c.dim, generator=generator)
        self.blocks = nn.ModuleList([TransformerBlock(c.dim, c.heads, c.mlp_ratio * c.dim, norm_first=True,
                                                      activation="gelu", eps=1e-6, generator=generator)
                                     for _ in range(c.depth)])
        self.norm = nn.LayerNorm(c.dim, eps=1e-6)
        here = torch.empty(0).device                  # "meta" inside `with torch.device("meta")`: no allocation
        self.head = nn.utils.skip_init(nn.Linear, c.dim, c.num_classes, device=here)
        self.head_dist = nn.utils.skip_init(nn.Linear, c.dim, c.num_classes, device=here) if c.distillation else None
        self._init_own(generator)

    def _init_own(self, generator: torch.Generator | None) -> None:
        for token in (self.cls_token, self.dist_token):
            if token is not None:
                nn.init.normal_(token, 0.0, 0.02, generator=generator)
        bound = 1.0 / math.sqrt(self.config.dim)                          # nn.Linear's default
        for head in (self.head, self.head_dist):
            if head is not None:
                nn.init.uniform_(head.weight, -bound, bound, generator=generator)
                nn.init.uniform_(head.bias, -bound, bound, generator=generator)

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Redraw every parameter from ``generator`` (what ``init_parameters_`` calls)."""
        self.patch_embed.reset_parameters(generator)
        nn.init.normal_(self.pos_embed.weight, 0.0, 0.02, generator=generator)
        for block in self.blocks:
            init_parameters_(block, generator)
        self.norm.reset_parameters()
        self._init_own(generator)

    def tokens(self, x: torch.Tensor, need_weights: bool = False):
        """The final normalised tokens (B, n_prefix + N, D); with ``need_weights`` also the list of the L
        attention maps, each (B, h, T, T)."""
        z = self.patch_embed(x)                                        # (B, N, D)
        prefix = [self.cls_token] + ([self.dist_token] if self.dist_token is not None else [])
        z = self.pos_embed(prepend_tokens(z, *prefix))                 # (B, T, D), T = n_prefix + N
        maps = []
        for block in self.blocks:
            if need_weights:
                z, w = block(z, need_weights=True)                     # w (B, h, T, T)
                maps.append(w)
            else:
                z = block(z)
        z = self.norm(z)
        return (z, maps) if need_weights else z

    def heads(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(class logits from [CLS], distillation logits from the distillation token or None), each (B, K)."""
        z = self.tokens(x)
        dist = self.head_dist(z[:, 1]) if self.head_dist is not None else None
        return self.head(z[:, 0]), dist

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (B, K) of the images ``x`` (B, C, H, W); with distillation, the mean of the two heads
        (DeiT's prediction at test time)."""
        cls, dist = self.heads(x)
        return cls if dist is None else (cls + dist) / 2


def vit_parameter_count(config: ViTConfig) -> int:
    """The number of parameters of :class:`ViT`, by formula (Eq. :eq:`eq-vit-params`).

    Defined in :ref:`sec-vit-model` (Eq. :eq:`eq-vit-params`).

    Parameters
    ----------
    config : ViTConfig

    Returns
    -------
    int
        (C·P²·D + D) patch embedding + n_prefix·D tokens + (n_prefix + N)·D positions
        + L·(2·r·D² + 4D² + (r + 9)·D) blocks + 2D final norm + (D·K + K) per head.

    Notes
    -----
    One block: two LayerNorms (4D), attention W_QKV and W_O with biases (4D² + 4D), MLP D→rD→D with biases
    (2rD² + rD + D). With r = 4 that is 12D² + 13D.

    Examples
    --------
    >>> vit_parameter_count(vit_preset("B/16"))
    86567656
    """
    c = config
    D, r = c.dim, c.mlp_ratio
    patch = c.in_channels * c.patch_size ** 2 * D + D
    tokens = c.n_prefix * D + (c.n_prefix + c.n_patches) * D
    block = 4 * D + (4 * D * D + 4 * D) + (2 * r * D * D + r * D + D)
    heads = (1 + c.distillation) * (D * c.num_classes + c.num_classes)
    return patch + tokens + c.depth * block + 2 * D + heads


def vit_flops(config: ViTConfig) -> int:
    """Floating-point operations of one forward pass of one image, counting 2 per multiply-add of the
    matrix products (the convention of ``torch.utils.flop_counter``; norms, softmax, GELU are not counted).

    Defined in :ref:`sec-vit-model` (Eq. :eq:`eq-vit-flops`).

    Returns
    -------
    int
        2·[N·C·P²·D + L·(T·(4 + 2r)·D² + 2·T²·D) + heads·D·K], T = n_prefix + N tokens.

    Examples
    --------
    >>> round(vit_flops(vit_preset("B/16")) / 1e9, 1)      # twice the 17.6 G multiply-adds quoted for ViT-B/16
    35.1
    """
    c = config
    D, r, N = c.dim, c.mlp_ratio, c.n_patches
    T = c.n_prefix + N
    patch = N * c.in_channels * c.patch_size ** 2 * D
    block = T * (4 + 2 * r) * D * D + 2 * T * T * D       # QKV + W_O + MLP, then QKᵀ and AV
    heads = (1 + c.distillation) * D * c.num_classes
    return 2 * (patch + c.depth * block + heads)


def deit_hard_distillation_loss(cls_logits: torch.Tensor, dist_logits: torch.Tensor, labels: torch.Tensor,
                                teacher_logits: torch.Tensor) -> torch.Tensor:
    """DeiT's hard-label distillation: ½·CE(cls, y) + ½·CE(dist, argmax teacher).

    Defined in :ref:`sec-vit-deit` (Eq. :eq:`eq-vit-deit`).

    Parameters
    ----------
    cls_logits, dist_logits : (B, K) Tensor
        The two heads of a distilled :class:`ViT` (``model.heads(x)``).
    labels : (B,) Tensor of int64
        The true classes y.
    teacher_logits : (B, K) Tensor
        A trained teacher's logits (a CNN in DeiT); only its argmax is used.

    Returns
    -------
    () Tensor

    Examples
    --------
    >>> z = torch.tensor([[5.0, 0.0]])
    >>> float(deit_hard_distillation_loss(z, z, torch.tensor([0]), torch.tensor([[0.0, 1.0]]))) > 2
    True
    """
    if cls_logits.ndim != 2 or cls_logits.shape != dist_logits.shape or cls_logits.shape != teacher_logits.shape:
        raise ValueError(f"cls_logits, dist_logits and teacher_logits must share one shape (B, K), got "
                         f"{tuple(cls_logits.shape)}, {tuple(dist_logits.shape)}, {tuple(teacher_logits.shape)}.")
    if labels.shape != cls_logits.shape[:1]:
        raise ValueError(f"labels must have shape (B,) = ({cls_logits.shape[0]},), got {tuple(labels.shape)}.")
    y_teacher = teacher_logits.argmax(dim=1)                          # (B,) the teacher's hard decision
    return 0.5 * F.cross_entropy(cls_logits, labels) + 0.5 * F.cross_entropy(dist_logits, y_teacher)


def fit_digits_classifier(model: nn.Module, split, config, generator: torch.Generator, progress: bool = True,
                          desc: str = "training"):
    """Train any (B, 1, S, S) → (B, K) classifier on a digits split with cross-entropy; test accuracy per epoch.

    Defined in :ref:`sec-vit-vs-cnn`.

    Parameters
    ----------
    model : nn.Module
        Initialised; trained in place.
    split : DigitsSplit
        ``coursekit.data.load_digits_split(...)``: (X_train, y_train, X_test, y_test).
    config : FitConfig
        The shared loop's settings.
    generator : torch.Generator
    progress : bool
    desc : str

    Returns
    -------
    History
        ``loss`` (training cross-entropy) and ``val`` (test accuracy in [0, 1]) per epoch.

    Examples
    --------
    >>> from coursekit.data import load_digits_split
    >>> from coursekit.training import FitConfig
    >>> split = load_digits_split(size=16)
    >>> h = fit_digits_classifier(ViT(ViTConfig(dim=16, depth=1, heads=2), generator=torch.Generator().manual_seed(0)),
    ...                           split, FitConfig(epochs=1), torch.Generator().manual_seed(0), progress=False)
    >>> len(h.val), 0.0 <= h.val[0] <= 1.0
    (1, True)
    """
    from coursekit.training import fit

    X, y, Xt, yt = (torch.as_tensor(a) for a in split)

    def loss_fn(m, batch):
        return F.cross_entropy(m(batch[0]), batch[1])

    def accuracy(m, val):
        return float((m(val[0]).argmax(1) == val[1]).float().mean())

    return fit(model, loss_fn, (X.float(), y.long()), config, generator, val=(Xt.float(), yt.long()),
               metric=accuracy, progress=progress, desc=desc)
