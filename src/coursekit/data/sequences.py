"""Toy sequence tasks (the adding problem, the copy task) for recurrent networks in Chapter 3."""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_int, check_rng

__all__ = ["adding_problem", "copy_task"]


def adding_problem(n: int, T: int, rng: np.random.Generator):
    """The adding problem: sum the two values marked in a long sequence.

    Parameters
    ----------
    n : int
        Number of sequences.
    T : int
        Sequence length (>= 2). One marker falls in the first half, one in the second,
        so the network must remember over about ``T / 2`` steps.
    rng : np.random.Generator

    Returns
    -------
    X : (n, T, 2) ndarray of float64
        Channel 0: values ``U[0, 1]``; channel 1: the 0/1 markers (exactly two ones).
    y : (n,) ndarray of float64
        Sum of the two marked values. Predicting 1 always gives MSE ~ 0.167 (the baseline).

    Used in Chapter 3 (vanishing gradients: RNN vs LSTM).

    Examples
    --------
    >>> X, y = adding_problem(4, 10, np.random.default_rng(0))
    >>> X.shape, bool(np.allclose((X[..., 0] * X[..., 1]).sum(1), y))
    ((4, 10, 2), True)
    """
    n = check_int(n, "n")
    T = check_int(T, "T", minimum=2)
    check_rng(rng)
    values = rng.random((n, T))                                  # (n, T)
    half = T // 2
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, T, size=n)
    markers = np.zeros((n, T))
    markers[np.arange(n), first] = 1.0
    markers[np.arange(n), second] = 1.0
    X = np.stack([values, markers], axis=-1)                     # (n, T, 2)
    return X, (values * markers).sum(axis=1)


def copy_task(n: int, rng: np.random.Generator, length: int = 5, n_symbols: int = 8,
              delay: int = 10):
    """The copy task: read ``length`` symbols, wait ``delay`` blanks, then repeat them.

    Parameters
    ----------
    n : int
        Number of sequences.
    rng : np.random.Generator
    length : int
        Number of symbols to memorise.
    n_symbols : int
        Alphabet size; symbols are the tokens ``2 .. n_symbols + 1``.
    delay : int
        Blank steps between the input and the recall cue.

    Returns
    -------
    X : (n, T) ndarray of int64
        Tokens, ``T = 2 * length + delay + 1``: the symbols, ``delay`` blanks (token 0),
        the cue (token 1), then ``length`` blanks.
    Y : (n, T) ndarray of int64
        Targets: blanks everywhere except the last ``length`` steps, which hold the symbols.

    Used in Chapter 3 (RNN/LSTM memory). Vocabulary size is ``n_symbols + 2``.

    Examples
    --------
    >>> X, Y = copy_task(2, np.random.default_rng(0), length=3, n_symbols=4, delay=2)
    >>> X.shape, bool((Y[:, -3:] == X[:, :3]).all()), int(X[0, 5])
    ((2, 9), True, 1)
    """
    n = check_int(n, "n")
    check_rng(rng)
    length = check_int(length, "length")
    n_symbols = check_int(n_symbols, "n_symbols")
    delay = check_int(delay, "delay", minimum=0)
    T = 2 * length + delay + 1
    symbols = rng.integers(2, n_symbols + 2, size=(n, length))   # (n, length)
    X = np.zeros((n, T), dtype=np.int64)
    Y = np.zeros((n, T), dtype=np.int64)
    X[:, :length] = symbols
    X[:, length + delay] = 1
    Y[:, -length:] = symbols
    return X, Y
