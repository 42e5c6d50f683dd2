"""A toy ControlNet for :class:`coursekit.models.denoiser.Denoiser`: a trainable copy of the frozen model that
reads an extra control signal and steers the frozen model through zero-initialised layers.

Used by Chapter 17 (Generative models: diffusion).

References
----------
L. Zhang, A. Rao and M. Agrawala, "Adding conditional control to text-to-image diffusion models", ICCV 2023.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn

from coursekit.core.validation import check_int, check_shape
from coursekit.models.denoiser import Denoiser

__all__ = ["ControlNetConfig", "ControlNet"]


@dataclass
class ControlNetConfig:
    """Settings of :class:`ControlNet`.

    Defined in :ref:`sec-diffusion-personalise`.

    Parameters
    ----------
    control_dim : int
        Length of the control signal c (2 for a direction (cos θ, sin θ); an edge map's pixels in the paper).

    Examples
    --------
    >>> ControlNetConfig(control_dim=2).control_dim
    2
    """

    control_dim: int = 2

    def __post_init__(self):
        check_int(self.control_dim, "control_dim")


class ControlNet(nn.Module):
    """ε̂ = base(x_t, t, residual = Z_out(copy(x_t, t) + Z_in c)) with zero-initialised Z_in, Z_out.

    Defined in :ref:`sec-diffusion-personalise` (Eq. :eq:`eq-diffusion-controlnet`).

    Parameters
    ----------
    base : Denoiser
        The trained model; frozen (its parameters get ``requires_grad=False``) and never changed.
    config : ControlNetConfig, optional

    Notes
    -----
    1. The trainable copy starts as an exact copy of the base's input stage and blocks.
    2. Z_in and Z_out are linear layers whose weights and biases start at zero, so at initialisation the
       output is *exactly* the base model's: training starts from a working model and the control's
       influence grows from zero instead of destroying what the base knows.
    3. Only the copy, Z_in and Z_out learn. ``reset_parameters(generator)`` re-copies and re-zeroes
       (so :func:`coursekit.layers.init.init_parameters_` keeps this structure).

    Examples
    --------
    >>> from coursekit.models.denoiser import DenoiserConfig
    >>> base = Denoiser(DenoiserConfig(hidden=8, depth=1))
    >>> net = ControlNet(base)
    >>> x, t, c = torch.randn(3, 2), torch.tensor([0, 5, 9]), torch.randn(3, 2)
    >>> bool(torch.equal(net(x, t, c), base(x, t)))
    True
    """

    def __init__(self, base: Denoiser, config: ControlNetConfig | None = None):
        super().__init__()
        if not isinstance(base, Denoiser):
            raise ValueError(f"base must be a coursekit Denoiser, got {type(base).__name__}.")
        config = ControlNetConfig() if config is None else config
        if not isinstance(config, ControlNetConfig):
            raise ValueError(f"config must be a ControlNetConfig, got {type(config).__name__}.")
        self.config = config
        base.requires_grad_(False)
        self._base = (base,)                          # a tuple hides it from .parameters(): it stays frozen
        H = base.config.hidden
        self.copy = copy.deepcopy(base).requires_grad_(True)
        self.zero_in = nn.Linear(config.control_dim, H)
        self.zero_out = nn.Linear(H, H)
        self.reset_parameters()

    @property
    def base(self) -> Denoiser:
        """The frozen base model.

        Returns
        -------
        Denoiser
        """
        return self._base[0]

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Copy the base's weights into the trainable copy and zero Z_in and Z_out (no random draw).

        Parameters
        ----------
        generator : torch.Generator, optional
            Accepted for :func:`coursekit.layers.init.init_parameters_`; unused.

        Returns
        -------
        None
        """
        self.copy.load_state_dict(self.base.state_dict())
        for layer in (self.zero_in, self.zero_out):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, x: torch.Tensor, t: torch.Tensor, c: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """ε̂ of the frozen base, steered by the control signal ``c``.

        Parameters
        ----------
        x : (B, D) Tensor
        t : (B,) long Tensor
        c : (B, control_dim) Tensor
        y : (B,) long Tensor, optional
            Labels, for a conditional base.

        Returns
        -------
        (B, D) Tensor
        """
        check_shape(c, "B C", "c", B=x.shape[0], C=self.config.control_dim)
        h = self.copy.embed(x, t, y) + self.zero_in(c)              # (B, H) the copy sees the control
        for block in self.copy.blocks:
            h = h + block(h)                                          # (B, H)
        return self.base(x, t, y, residual=self.zero_out(h))          # (B, D)
