"""The small noise predictor ε̂_θ(x_t, t, y) of Chapter 17: an MLP on flattened data (2-D points or 8×8
digits) with a sinusoidal time embedding and an optional class embedding that has a learned "null" row for
classifier-free guidance. Its hidden state can be steered by an extra embedding (textual inversion) or by a
residual from a trainable side network (:class:`coursekit.models.denoiser_control.ControlNet`).

References
----------
J. Ho, A. Jain and P. Abbeel, "Denoising diffusion probabilistic models", NeurIPS 2020 (ε-prediction).
J. Ho and T. Salimans, "Classifier-free diffusion guidance", 2022 (the null label).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from coursekit.core.validation import check_int, check_shape
from coursekit.layers.positional import sinusoidal_positional_encoding

__all__ = ["DenoiserConfig", "Denoiser"]


@dataclass
class DenoiserConfig:
    """Settings of :class:`Denoiser`; the defaults fit 2-D toy data in a few seconds on 2 cores.

    Defined in :ref:`sec-diffusion-training`.

    Parameters
    ----------
    dim : int
        D, the length of one (flattened) example: 2 for points, 64 for 8×8 digits.
    hidden : int
        H, the width of every hidden layer.
    depth : int
        Number of residual MLP blocks.
    T : int
        Steps of the schedule (rows of the time-embedding table).
    time_dim : int
        Width of the sinusoidal time embedding (even).
    num_classes : int
        K; 0 for an unconditional model. A conditional model gets K + 1 label embeddings, row K being the
        null label ∅ used for classifier-free guidance.
    fourier : int
        F >= 0: also feed sin(2^k x), cos(2^k x) for k = 0 … F − 1 of every coordinate (Fourier features, as
        NeRF's positional encoding in Chapter 9). An MLP fits the sharp low-noise denoiser of 2-D data far
        faster with them; set 0 for images.
    out_dim : int or None
        Length of the output; None means ``dim`` (a noise prediction). A noisy classifier p(y | x_t, t) for
        classifier guidance is the same network with ``out_dim = K`` logits.

    Examples
    --------
    >>> DenoiserConfig(dim=64, num_classes=10).null_label
    10
    """

    dim: int = 2
    hidden: int = 64
    depth: int = 2
    T: int = 1000
    time_dim: int = 32
    num_classes: int = 0
    fourier: int = 4
    out_dim: int | None = None

    def __post_init__(self):
        check_int(self.dim, "dim")
        check_int(self.hidden, "hidden")
        check_int(self.depth, "depth", minimum=0)
        check_int(self.T, "T", minimum=2)
        check_int(self.time_dim, "time_dim", minimum=2)
        if self.time_dim % 2:
            raise ValueError(f"time_dim must be even (sin/cos pairs), got {self.time_dim}.")
        check_int(self.num_classes, "num_classes", minimum=0)
        check_int(self.fourier, "fourier", minimum=0)
        if self.out_dim is not None:
            check_int(self.out_dim, "out_dim")

    @property
    def null_label(self) -> int:
        """The index of the null label ∅ (= ``num_classes``).

        Returns
        -------
        int
        """
        return self.num_classes


class Denoiser(nn.Module):
    """ε̂_θ(x_t, t, y): input layer + time embedding + label embedding, residual SiLU-MLP blocks, linear head.

    Defined in :ref:`sec-diffusion-training` (Eq. :eq:`eq-diffusion-loss`).

    Parameters
    ----------
    config : DenoiserConfig, optional

    Notes
    -----
    ``h = W_in x + MLP(PE(t)) + E[y] (+ embedding) (+ residual)``, then ``h ← h + W₂ SiLU(W₁ SiLU(h))``
    per block and ``ε̂ = W_out SiLU(h)``. Initialise with ``init_parameters_(Denoiser(config), generator)``.

    Examples
    --------
    >>> net = Denoiser(DenoiserConfig(dim=2, hidden=16, num_classes=3))
    >>> net(torch.zeros(4, 2), torch.tensor([0, 1, 2, 999]), torch.tensor([0, 1, 2, 3])).shape
    torch.Size([4, 2])
    """

    def __init__(self, config: DenoiserConfig | None = None):
        super().__init__()
        config = DenoiserConfig() if config is None else config
        if not isinstance(config, DenoiserConfig):
            raise ValueError(f"config must be a DenoiserConfig, got {type(config).__name__}.")
        self.config = config
        H = config.hidden
        self.register_buffer("time_table", sinusoidal_positional_encoding(config.T, config.time_dim))  # (T, E)
        self.time_mlp = nn.Sequential(nn.Linear(config.time_dim, H), nn.SiLU(), nn.Linear(H, H))
        self.register_buffer("freqs", 2.0 ** torch.arange(config.fourier, dtype=torch.float32))   # (F,)
        self.inp = nn.Linear(config.dim * (1 + 2 * config.fourier), H)
        self.label = nn.Embedding(config.num_classes + 1, H) if config.num_classes else None
        self.blocks = nn.ModuleList(nn.Sequential(nn.SiLU(), nn.Linear(H, H), nn.SiLU(), nn.Linear(H, H))
                                    for _ in range(config.depth))
        self.out = nn.Sequential(nn.SiLU(), nn.Linear(H, config.out_dim or config.dim))

    def _check(self, x, t, y):
        B = check_shape(x, "B D", "x", D=self.config.dim)["B"]
        if not isinstance(t, torch.Tensor) or t.dtype != torch.long or tuple(t.shape) != (B,):
            raise ValueError(f"t must be a (B,) = ({B},) long tensor of 0-based steps, got "
                             f"{getattr(t, 'dtype', type(t).__name__)} {tuple(getattr(t, 'shape', ()))}.")
        if t.numel() and (int(t.min()) < 0 or int(t.max()) >= self.config.T):
            raise ValueError(f"t must lie in 0 … {self.config.T - 1}.")
        if y is not None:
            if self.label is None:
                raise ValueError("this Denoiser is unconditional (num_classes=0); call it without y.")
            if not isinstance(y, torch.Tensor) or y.dtype != torch.long or tuple(y.shape) != (B,):
                raise ValueError(f"y must be a (B,) = ({B},) long tensor of labels 0 … {self.config.num_classes} "
                                 f"({self.config.num_classes} = null), got {tuple(getattr(y, 'shape', ()))}.")
            if y.numel() and (int(y.min()) < 0 or int(y.max()) > self.config.num_classes):
                raise ValueError(f"y must lie in 0 … {self.config.num_classes} ({self.config.num_classes} = null).")
        return B

    def embed(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """The first hidden state W_in x + MLP(PE(t)) + E[y] (no label term when ``y`` is None).

        Parameters
        ----------
        x : (B, D) Tensor
        t : (B,) long Tensor
        y : (B,) long Tensor, optional

        Returns
        -------
        (B, H) Tensor
        """
        self._check(x, t, y)
        if self.config.fourier:
            angles = (x[:, :, None] * self.freqs).flatten(1)            # (B, D·F)
            x = torch.cat([x, torch.sin(angles), torch.cos(angles)], dim=1)   # (B, D(1 + 2F))
        h = self.inp(x) + self.time_mlp(self.time_table[t])            # (B, H)
        if y is not None:
            h = h + self.label(y)                                        # (B, H)
        return h

    def head(self, h: torch.Tensor) -> torch.Tensor:
        """The residual blocks and the output layer applied to a hidden state.

        Parameters
        ----------
        h : (B, H) Tensor

        Returns
        -------
        (B, D) Tensor
            ε̂ (or (B, out_dim) when ``out_dim`` is set).
        """
        for block in self.blocks:
            h = h + block(h)                                             # (B, H)
        return self.out(h)                                               # (B, D)

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor | None = None, *,
                embedding: torch.Tensor | None = None, residual: torch.Tensor | None = None) -> torch.Tensor:
        """ε̂_θ(x_t, t, y).

        Parameters
        ----------
        x : (B, D) Tensor
            Noisy examples x_t.
        t : (B,) long Tensor
            0-based steps.
        y : (B,) long Tensor, optional
            Labels (``num_classes`` = the null label ∅). Unconditional models take none.
        embedding : (H,) or (B, H) Tensor, optional
            A condition vector used *instead of* a label row (textual inversion learns one).
        residual : (B, H) Tensor, optional
            Added to the first hidden state (how a ControlNet steers the frozen model).

        Returns
        -------
        (B, D) Tensor
        """
        h = self.embed(x, t, y)
        if embedding is not None:
            if y is not None:
                raise ValueError("pass either y or embedding, not both.")
            h = h + embedding
        if residual is not None:
            if residual.shape != h.shape:
                raise ValueError(f"residual must have shape {tuple(h.shape)}, got {tuple(residual.shape)}.")
            h = h + residual
        return self.head(h)
