"""Space-time attention for video transformers: joint vs divided (time, then space), and their costs.

Chapter 16.

A clip gives T frames of N patch tokens: x is (B, T, N, D). Joint attention lets every token attend to all
T·N tokens: (T·N)² query-key pairs. Divided attention (TimeSformer) first attends along time (each location
to the same location in the T frames: T² pairs per location) and then along space (each token to the N tokens
of its own frame: N² pairs per frame): T·N·(T + N) pairs in all. Two divided steps can still connect any two
tokens (via the token at the first one's location in the second one's frame).

References
----------
G. Bertasius, H. Wang and L. Torresani, "Is space-time attention all you need for video understanding?",
ICML 2021 (TimeSformer: joint, divided and other schemes).
A. Arnab et al., "ViViT: A video vision transformer", ICCV 2021 (factorised encoders and attention).
"""

from __future__ import annotations

import torch
from torch import nn

from coursekit.core.validation import check_choice, check_int, check_shape
from coursekit.layers.attention import MultiHeadAttention, scaled_dot_product_attention

__all__ = ["joint_attention", "temporal_attention", "spatial_attention", "space_time_mask",
           "space_time_attention_pairs", "SpaceTimeAttention"]


def _qkv(q, k, v) -> dict[str, int]:
    sizes = check_shape(q, "B T N d", name="q")
    for name, t in (("k", k), ("v", v)):
        check_shape(t, "B T N *", name=name, B=sizes["B"], T=sizes["T"], N=sizes["N"])
    if k.shape[-1] != sizes["d"]:
        raise ValueError(f"q and k must have the same feature size d, got {q.shape[-1]} and {k.shape[-1]}.")
    return sizes


def joint_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                    mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Joint space-time attention: flatten (T, N) into one sequence of T·N tokens and attend over all of it.

    Defined in :ref:`sec-video-spacetime-attention` (Eq. :eq:`eq-video-joint-attention`).

    Parameters
    ----------
    q, k, v : (B, T, N, d) Tensor
        Queries, keys and values of every token of every frame.
    mask : (T·N, T·N) Tensor of bool, optional
        True where a query may attend to a key (see :func:`space_time_mask`).

    Returns
    -------
    out : (B, T, N, d_v) Tensor
    weights : (B, T·N, T·N) Tensor
        (T·N)² weights per clip: the cost.

    Examples
    --------
    >>> x = torch.zeros(1, 4, 9, 8)
    >>> out, w = joint_attention(x, x, x)
    >>> tuple(out.shape), tuple(w.shape)
    ((1, 4, 9, 8), (1, 36, 36))
    """
    s = _qkv(q, k, v)
    B, T, N = s["B"], s["T"], s["N"]
    flat = [t.reshape(B, T * N, t.shape[-1]) for t in (q, k, v)]          # (B, T·N, d) each
    out, w = scaled_dot_product_attention(*flat, mask=mask)
    return out.reshape(B, T, N, -1), w


def temporal_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Attention along time only: each token attends to the tokens at its location in the T frames.

    Defined in :ref:`sec-video-spacetime-attention` (Eq. :eq:`eq-video-divided-attention`).

    Parameters
    ----------
    q, k, v : (B, T, N, d) Tensor

    Returns
    -------
    out : (B, T, N, d_v) Tensor
    weights : (B, N, T, T) Tensor
        N·T² weights per clip.

    Examples
    --------
    >>> x = torch.zeros(2, 4, 9, 8)
    >>> tuple(temporal_attention(x, x, x)[1].shape)
    (2, 9, 4, 4)
    """
    _qkv(q, k, v)
    qt, kt, vt = (t.transpose(1, 2) for t in (q, k, v))                   # (B, N, T, d) each
    out, w = scaled_dot_product_attention(qt, kt, vt)
    return out.transpose(1, 2), w                                          # (B, T, N, d_v), (B, N, T, T)


def spatial_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Attention within each frame: each token attends to the N tokens of its own frame.

    Defined in :ref:`sec-video-spacetime-attention` (Eq. :eq:`eq-video-divided-attention`).

    Parameters
    ----------
    q, k, v : (B, T, N, d) Tensor

    Returns
    -------
    out : (B, T, N, d_v) Tensor
    weights : (B, T, N, N) Tensor
        T·N² weights per clip (the frames act as a batch axis).

    Examples
    --------
    >>> x = torch.zeros(2, 4, 9, 8)
    >>> spatial_attention(x, x, x)[1].shape
    torch.Size([2, 4, 9, 9])
    """
    _qkv(q, k, v)
    return scaled_dot_product_attention(q, k, v)                           # frames are a batch axis


def space_time_mask(T: int, N: int, kind: str) -> torch.Tensor:
    """The (T·N, T·N) mask under which joint attention becomes temporal or spatial attention.

    Defined in :ref:`sec-video-spacetime-attention`.

    Parameters
    ----------
    T, N : int
        Frames and tokens per frame; token ``t·N + n`` is location n of frame t.
    kind : {"time", "space", "full"}
        "time": same location n; "space": same frame t; "full": everything.

    Returns
    -------
    (T·N, T·N) Tensor of bool

    Examples
    --------
    >>> int(space_time_mask(4, 9, "time").sum()), int(space_time_mask(4, 9, "space").sum())
    (144, 324)
    """
    T, N = check_int(T, "T"), check_int(N, "N")
    kind = check_choice(kind, "kind", ("time", "space", "full"))
    frame = torch.arange(T * N) // N                                       # (T·N,) frame of each token
    loc = torch.arange(T * N) % N                                          # (T·N,) location of each token
    if kind == "time":
        return loc[:, None] == loc[None, :]
    if kind == "space":
        return frame[:, None] == frame[None, :]
    return torch.ones(T * N, T * N, dtype=torch.bool)


def space_time_attention_pairs(T: int, N: int, mode: str) -> int:
    """Query-key pairs (attention weights) per clip and head: ``(TN)²`` joint, ``TN(T + N)`` divided.

    Defined in :ref:`sec-video-spacetime-attention` (Eq. :eq:`eq-video-attention-cost`).

    Parameters
    ----------
    T, N : int
    mode : {"joint", "divided", "space"}
        "space" is attention within frames only (no time), ``T·N²``.

    Returns
    -------
    int

    Examples
    --------
    >>> space_time_attention_pairs(8, 196, "joint") // space_time_attention_pairs(8, 196, "divided")
    7
    """
    T, N = check_int(T, "T"), check_int(N, "N")
    mode = check_choice(mode, "mode", ("joint", "divided", "space"))
    if mode == "joint":
        return (T * N) ** 2
    if mode == "divided":
        return T * N * T + T * N * N
    return T * N * N


class SpaceTimeAttention(nn.Module):
    """A video transformer's attention sub-layer, joint or divided (TimeSformer), with residual connections.

    Defined in :ref:`sec-video-spacetime-attention` (Eq. :eq:`eq-video-divided-attention`).

    Parameters
    ----------
    dim : int
        D.
    n_heads : int
    mode : {"joint", "divided"}
        "joint": ``x + MHA(x)`` over all T·N tokens. "divided": ``y = x + MHA_time(x)`` along time, then
        ``y + MHA_space(y)`` within frames (two sets of weights).
    generator : torch.Generator, optional
        Draws the initial weights.

    Examples
    --------
    >>> m = SpaceTimeAttention(16, 2, "divided", torch.Generator().manual_seed(0))
    >>> m(torch.zeros(2, 4, 9, 16)).shape
    torch.Size([2, 4, 9, 16])
    """

    def __init__(self, dim: int, n_heads: int, mode: str = "divided", generator: torch.Generator | None = None):
        super().__init__()
        self.mode = check_choice(mode, "mode", ("joint", "divided"))
        self.dim = check_int(dim, "dim")
        self.attn = MultiHeadAttention(dim, n_heads, generator=generator)
        self.attn_space = MultiHeadAttention(dim, n_heads, generator=generator) if mode == "divided" else None

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Redraw both attention layers' weights from ``generator``."""
        self.attn.reset_parameters(generator)
        if self.attn_space is not None:
            self.attn_space.reset_parameters(generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Attend within the clip: (B, T, N, D) → (B, T, N, D)."""
        s = check_shape(x, "B T N D", D=self.dim)
        B, T, N, D = s["B"], s["T"], s["N"], s["D"]
        if self.mode == "joint":
            flat = x.reshape(B, T * N, D)                                  # (B, T·N, D)
            return (flat + self.attn(flat)).reshape(B, T, N, D)
        xt = x.transpose(1, 2).reshape(B * N, T, D)                        # (B·N, T, D) one sequence per location
        y = (xt + self.attn(xt)).reshape(B, N, T, D).transpose(1, 2)       # (B, T, N, D)
        ys = y.reshape(B * T, N, D)                                        # (B·T, N, D) one sequence per frame
        return (ys + self.attn_space(ys)).reshape(B, T, N, D)
