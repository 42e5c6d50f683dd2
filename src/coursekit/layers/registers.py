"""Register tokens: learned extra tokens that join the sequence, take part in attention, and are dropped at the end.

Chapter 14 (Transformer advances). Softmax attention must put its weight *somewhere*: a query with nothing relevant to
read still spreads weight over the tokens it sees, and trained ViTs learn to dump that weight on a few low-information
patches, whose features then turn into high-norm outliers. Registers give the network dedicated places to park it.
They carry no input and are never read out. (Chapter 13 revisits them in DINOv2.)

References
----------
T. Darcet, M. Oquab, J. Mairal and P. Bojanowski, "Vision transformers need registers", ICLR 2024.
G. Xiao et al., "Efficient streaming language models with attention sinks", ICLR 2024.
"""

from __future__ import annotations

import torch
from torch import nn

from coursekit.core.validation import check_int

__all__ = ["append_registers", "drop_registers", "RegisterTokens"]


def append_registers(x: torch.Tensor, registers: torch.Tensor) -> torch.Tensor:
    """Append the same R register vectors to every sequence of the batch: (B, N, D) → (B, N + R, D).

    Defined in :ref:`sec-advances-registers` (Eq. :eq:`eq-advances-registers`).

    Parameters
    ----------
    x : (B, N, D) Tensor
    registers : (R, D) Tensor

    Returns
    -------
    (B, N + R, D) Tensor
        The input tokens first, then the registers.

    Examples
    --------
    >>> append_registers(torch.zeros(2, 3, 4), torch.ones(1, 4)).shape
    torch.Size([2, 4, 4])
    """
    if x.ndim != 3 or registers.ndim != 2 or registers.shape[1] != x.shape[2]:
        raise ValueError(f"expected x (B, N, D) and registers (R, D), got {tuple(x.shape)} and "
                         f"{tuple(registers.shape)}.")
    return torch.cat([x, registers.expand(x.shape[0], -1, -1)], dim=1)   # (B, N + R, D)


def drop_registers(x: torch.Tensor, n_registers: int) -> torch.Tensor:
    """Remove the last R tokens: (B, N + R, D) → (B, N, D); the registers' outputs are thrown away.

    Defined in :ref:`sec-advances-registers` (Eq. :eq:`eq-advances-registers`).

    Parameters
    ----------
    x : (B, N + R, D) Tensor
    n_registers : int
        R >= 0.

    Returns
    -------
    (B, N, D) Tensor

    Examples
    --------
    >>> drop_registers(torch.zeros(2, 5, 4), 2).shape
    torch.Size([2, 3, 4])
    """
    R = check_int(n_registers, "n_registers", minimum=0)
    if x.ndim != 3 or x.shape[1] <= R:
        raise ValueError(f"x must have shape (B, N + R, D) with N >= 1 and R = {R}, got {tuple(x.shape)}.")
    return x[:, :x.shape[1] - R]


class RegisterTokens(nn.Module):
    """R learned register vectors, with :meth:`append` before the transformer and :meth:`drop` after it.

    Defined in :ref:`sec-advances-registers` (Eq. :eq:`eq-advances-registers`).

    Parameters
    ----------
    n_registers : int
        R (4 in Darcet et al.; 0 gives a module that changes nothing).
    d_model : int
        D.
    generator : torch.Generator, optional
        Draws the initial registers, N(0, 0.02²).

    Examples
    --------
    >>> reg = RegisterTokens(4, 8)
    >>> x = torch.zeros(2, 5, 8)
    >>> reg.drop(reg.append(x)).shape
    torch.Size([2, 5, 8])
    """

    def __init__(self, n_registers: int, d_model: int, generator: torch.Generator | None = None):
        super().__init__()
        R, D = check_int(n_registers, "n_registers", minimum=0), check_int(d_model, "d_model")
        self.registers = nn.Parameter(torch.randn(R, D, generator=generator) * 0.02)

    def append(self, x: torch.Tensor) -> torch.Tensor:
        """(B, N, D) → (B, N + R, D)."""
        return append_registers(x, self.registers)

    def drop(self, x: torch.Tensor) -> torch.Tensor:
        """(B, N + R, D) → (B, N, D)."""
        return drop_registers(x, self.registers.shape[0])
