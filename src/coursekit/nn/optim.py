"""Optimisers for the NumPy networks: mini-batch SGD and Adam, step for step the rules of ``torch.optim``.

Chapter 3 (Machine-learning recap), section "Optimisation: mini-batches, momentum and Adam". SGD with
momentum is :func:`coursekit.nn.mlp.sgd_momentum_step`; this module adds the mini-batch schedule and Adam.
Every update works in place on lists of arrays (the parameters and their state), so a network's
``parameters()`` can be passed straight in.

Conventions (CONTRIBUTING.md): the rules are written as ``torch.optim.SGD`` and ``torch.optim.Adam`` (with
``amsgrad=False``, ``maximize=False``) define them, including where the weight decay enters (added to the
gradient, an L2 penalty — not AdamW's decoupled decay); the tests run both side by side for many steps.

References
----------
- H. Robbins and S. Monro, "A stochastic approximation method", Ann. Math. Statist. 22(3), 1951.
- D. P. Kingma and J. Ba, "Adam: A method for stochastic optimization", ICLR 2015 (Algorithm 1).
- I. Loshchilov and F. Hutter, "Decoupled weight decay regularization", ICLR 2019 (AdamW, for contrast).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from coursekit.core.validation import check_int, check_nonnegative, check_positive, check_rng

__all__ = ["minibatches", "AdamState", "adam_step"]


def minibatches(n: int, batch_size: int, rng: np.random.Generator, drop_last: bool = False) -> list[np.ndarray]:
    """One epoch's mini-batches: a random permutation of ``0..n-1`` cut into consecutive batches.

    Defined in :ref:`sec-optimisation` (Eq. :eq:`eq-minibatch-gradient`).

    Parameters
    ----------
    n : int
        Number of training examples, >= 1.
    batch_size : int
        Examples per batch B, >= 1.
    rng : np.random.Generator
        Draws the permutation (a fresh order every epoch).
    drop_last : bool
        Drop the last batch if it is smaller than ``batch_size`` (as ``torch.utils.data.DataLoader``).

    Returns
    -------
    list of (B,) ndarray of int64
        The batches' indices; together (without ``drop_last``) every index exactly once.

    Examples
    --------
    >>> [b.size for b in minibatches(10, 4, np.random.default_rng(0))]
    [4, 4, 2]
    """
    n = check_int(n, "n", 1)
    batch_size = check_int(batch_size, "batch_size", 1)
    order = check_rng(rng).permutation(n)                           # (n,) this epoch's order
    stops = range(0, n - batch_size + 1 if drop_last else n, batch_size)
    return [order[s:s + batch_size] for s in stops]


@dataclass
class AdamState:
    """Adam's running moments for a list of parameters: ``m``, ``v`` (zeros at the start) and the step ``t``.

    Defined in :ref:`sec-optimisation` (Eq. :eq:`eq-adam`).

    Parameters
    ----------
    m, v : list of ndarray
        First and second moments, one per parameter, same shapes.
    t : int
        Steps taken so far.

    Examples
    --------
    >>> s = AdamState.zeros_like([np.ones(3)])
    >>> s.t, s.m[0].tolist()
    (0, [0.0, 0.0, 0.0])
    """

    m: list = field(default_factory=list)
    v: list = field(default_factory=list)
    t: int = 0

    @classmethod
    def zeros_like(cls, params) -> "AdamState":
        """A fresh state for ``params``: zero moments, ``t = 0``.

        Parameters
        ----------
        params : list of ndarray
            The parameters the state belongs to.

        Returns
        -------
        AdamState
        """
        return cls([np.zeros_like(p, dtype=np.float64) for p in params],
                   [np.zeros_like(p, dtype=np.float64) for p in params], 0)


def adam_step(params, grads, state: AdamState, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
              eps: float = 1e-8, weight_decay: float = 0.0) -> None:
    """One Adam step, in place: momentum on the gradient, scaled per coordinate by its running RMS.

    Defined in :ref:`sec-optimisation` (Eq. :eq:`eq-adam`).

    Parameters
    ----------
    params, grads : lists of ndarray
        Same shapes; ``params`` change in place.
    state : AdamState
        The moments of these parameters (:meth:`AdamState.zeros_like` before the first step); updated in place.
    lr : float
        η > 0.
    betas : (float, float)
        β₁, β₂ in [0, 1): the decay of the first and second moments.
    eps : float
        ε > 0, added to the RMS so a coordinate with no gradient history does not divide by 0.
    weight_decay : float
        λ >= 0, an L2 penalty ``λ/2 ‖θ‖²``: ``g ← g + λ θ`` before the moments (``torch.optim.Adam``'s rule;
        AdamW instead subtracts ``η λ θ`` from the parameters directly).

    Returns
    -------
    None
        ``params`` and ``state`` change in place.

    Notes
    -----
    With ``t`` the step number after increment:

    1. ``g ← g + λ θ``
    2. ``m ← β₁ m + (1 - β₁) g``;  ``v ← β₂ v + (1 - β₂) g²``
    3. bias correction: ``m̂ = m / (1 - β₁ᵗ)``, ``v̂ = v / (1 - β₂ᵗ)`` (both moments start at 0, so early
       averages are too small by exactly these factors)
    4. ``θ ← θ - η m̂ / (√v̂ + ε)``

    The step of each coordinate is about ``η`` whatever the gradient's scale: ``m̂ / √v̂`` is a
    signal-to-noise ratio, near ±1 for a steady gradient and small for a noisy one.

    Examples
    --------
    >>> p, s = [np.array([1.0, -2.0])], AdamState.zeros_like([np.zeros(2)])
    >>> adam_step(p, [np.array([0.5, -30.0])], s, lr=0.1)      # the first step moves each coordinate by ~η
    >>> np.round(p[0], 6).tolist()
    [0.9, -1.9]
    """
    lr = check_positive(lr, "lr")
    eps = check_positive(eps, "eps")
    weight_decay = check_nonnegative(weight_decay, "weight_decay")
    b1, b2 = (check_nonnegative(b, "betas") for b in betas)
    if b1 >= 1.0 or b2 >= 1.0:
        raise ValueError(f"betas must be in [0, 1), got {tuple(betas)}.")
    if not len(params) == len(grads) == len(state.m) == len(state.v):
        raise ValueError(f"params, grads and the state's moments must be lists of the same length, got "
                         f"{len(params)}, {len(grads)}, {len(state.m)}, {len(state.v)}.")
    state.t += 1
    c1, c2 = 1.0 - b1 ** state.t, 1.0 - b2 ** state.t              # bias corrections
    for p, g, m, v in zip(params, grads, state.m, state.v):
        if not p.shape == np.shape(g) == m.shape == v.shape:
            raise ValueError(f"a parameter, its gradient and its moments differ in shape: "
                             f"{p.shape}, {np.shape(g)}, {m.shape}, {v.shape}.")
        g = np.asarray(g, dtype=np.float64) + weight_decay * p      # 1. L2 penalty into the gradient
        m *= b1
        m += (1.0 - b1) * g                                          # 2. first moment
        v *= b2
        v += (1.0 - b2) * g * g                                      #    second moment
        p -= lr * (m / c1) / (np.sqrt(v / c2) + eps)                 # 3-4. bias-corrected step
