"""Debiasing embeddings by projection: a bias direction from definitional pairs, neutralise, equalise.

Find the direction from the pairs, remove it from the words that should be neutral, and equalise the pairs.

Chapter 18 (Explainability and fairness). The same projection is used on text-encoder embeddings to debias
text-to-image models (Chuang et al.).

References
----------
T. Bolukbasi, K.-W. Chang, J. Zou, V. Saligrama and A. Kalai, "Man is to computer programmer as woman is to
homemaker? Debiasing word embeddings", NeurIPS 2016.
C.-Y. Chuang, V. Jampani, Y. Li, A. Torralba and S. Jegelka, "Debiasing vision-language models via biased
prompts", 2023.
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array, check_int

__all__ = ["bias_direction", "project_out", "equalize_pairs", "direct_bias"]


def _embeddings(E, name: str = "embeddings") -> np.ndarray:
    return check_array(np.asarray(E, dtype=np.float64), name, ndim=(1, 2))


def _unit_rows(v, d: int) -> np.ndarray:
    """Orthonormal rows spanning the given direction(s), (k, d)."""
    V = np.atleast_2d(np.asarray(v, dtype=np.float64))
    if V.ndim != 2 or V.shape[1] != d or not np.isfinite(V).all():
        raise ValueError(f"direction must have shape (d,) or (k, d) with d = {d}, got {np.shape(v)}.")
    Q, R = np.linalg.qr(V.T)                                           # (d, k) orthonormal columns
    if np.any(np.abs(np.diag(R)) < 1e-12):
        raise ValueError("direction rows must be non-zero and linearly independent.")
    return Q.T                                                          # (k, d)


def bias_direction(pairs, k: int = 1) -> np.ndarray:
    """The bias subspace: the top principal directions of the pairs' differences from their own means.

    Defined in :ref:`sec-fair-debias` (Eq. :eq:`eq-fair-bias-direction`).

    Parameters
    ----------
    pairs : (P, 2, d) array_like
        Definitional pairs (e.g. the embeddings of "he"/"she", "man"/"woman"), first word of each pair
        on the same side.
    k : int
        Number of directions (1 ≤ k ≤ min(2P, d)).

    Returns
    -------
    (d,) or (k, d) ndarray of float64
        Unit, orthogonal directions; the first is oriented so that first words project higher than
        second words on average.

    Notes
    -----
    1. Centre each pair on its mean μ_i: what is left is the part in which the two words differ.
    2. Stack the 2P centred vectors and take their right singular vectors (PCA without a further mean,
       since the centred vectors already sum to zero).

    Examples
    --------
    >>> pairs = np.array([[[1.0, 2.0], [-1.0, 2.0]], [[3.0, -1.0], [1.0, -1.0]]])
    >>> bias_direction(pairs)
    array([1., 0.])
    """
    P = check_array(np.asarray(pairs, dtype=np.float64), "pairs", ndim=3)
    if P.shape[1] != 2:
        raise ValueError(f"pairs must have shape (P, 2, d): two words per pair, got {P.shape}.")
    k = check_int(k, "k", maximum=min(2 * P.shape[0], P.shape[2]))
    centred = (P - P.mean(axis=1, keepdims=True)).reshape(-1, P.shape[2])   # (2P, d)
    _, _, Vt = np.linalg.svd(centred, full_matrices=False)             # rows: principal directions
    V = Vt[:k]                                                          # (k, d)
    diffs = P[:, 0] - P[:, 1]                                           # (P, d)
    if (diffs @ V[0]).mean() < 0:
        V[0] = -V[0]
    return V[0] if k == 1 else V


def project_out(embeddings, direction) -> np.ndarray:
    """Neutralise: remove the component along the bias direction(s), w ← w − Σ_j (w·v_j) v_j.

    Defined in :ref:`sec-fair-debias` (Eq. :eq:`eq-fair-neutralize`).

    Parameters
    ----------
    embeddings : (d,) or (N, d) array_like
    direction : (d,) or (k, d) array_like
        Need not be unit or orthogonal: the rows are orthonormalised (QR) first.

    Returns
    -------
    ndarray of float64, the shape of ``embeddings``
        Orthogonal to every direction; the orthogonal complement is unchanged. Applying it twice changes
        nothing (a projection).

    Examples
    --------
    >>> project_out(np.array([[3.0, 4.0]]), np.array([2.0, 0.0]))
    array([[0., 4.]])
    """
    E = _embeddings(embeddings)
    V = _unit_rows(direction, E.shape[-1])                              # (k, d)
    return E - (E @ V.T) @ V                                            # (N, d)


def equalize_pairs(pairs, direction) -> np.ndarray:
    """Equalise: make the two words of each pair differ only along the bias direction, symmetrically.

    Defined in :ref:`sec-fair-debias` (Eq. :eq:`eq-fair-equalize`).

    Parameters
    ----------
    pairs : (P, 2, d) array_like
    direction : (d,) array_like
        The bias direction v (normalised here).

    Returns
    -------
    (P, 2, d) ndarray of float64
        a' = ν + t v and b' = ν − t v, with ν the pair's mean with its v-component removed and
        t = (a − b)·v / 2. Every neutralised word is then equidistant from a' and b'.

    Notes
    -----
    Bolukbasi et al. also rescale to unit norm (their embeddings are normalised); without normalisation
    the symmetric form keeps each word's own bias component, so the pair still encodes the attribute.

    Examples
    --------
    >>> equalize_pairs(np.array([[[1.0, 2.0], [-3.0, 0.0]]]), np.array([1.0, 0.0]))
    array([[[ 2.,  1.],
            [-2.,  1.]]])
    """
    P = check_array(np.asarray(pairs, dtype=np.float64), "pairs", ndim=3)
    if P.shape[1] != 2:
        raise ValueError(f"pairs must have shape (P, 2, d): two words per pair, got {P.shape}.")
    v = _unit_rows(direction, P.shape[2])
    if len(v) != 1:
        raise ValueError("equalize_pairs takes one direction (d,).")
    v = v[0]                                                            # (d,)
    nu = project_out(P.mean(axis=1), v)                                 # (P, d) shared, neutral part
    t = (P[:, 0] - P[:, 1]) @ v / 2                                     # (P,) half the pair's bias gap
    return np.stack([nu + t[:, None] * v, nu - t[:, None] * v], axis=1)


def direct_bias(embeddings, direction, c: float = 1.0) -> float:
    """Bolukbasi's direct bias: the mean of ``|cos(w, v)|^c`` over words that should be neutral.

    Defined in :ref:`sec-fair-debias` (Eq. :eq:`eq-fair-direct-bias`).

    Parameters
    ----------
    embeddings : (N, d) array_like
        Non-zero rows.
    direction : (d,) array_like
    c : float
        Strictness (c > 0); Bolukbasi et al. use c = 1.

    Returns
    -------
    float
        In [0, 1]; 0 after :func:`project_out`.

    Examples
    --------
    >>> direct_bias(np.array([[1.0, 1.0], [0.0, 2.0]]), np.array([1.0, 0.0]))   # (cos 45° + 0) / 2
    0.35355339059327373
    """
    E = _embeddings(embeddings)
    E = E[None] if E.ndim == 1 else E
    v = _unit_rows(direction, E.shape[1])
    if len(v) != 1:
        raise ValueError("direct_bias takes one direction (d,).")
    if not c > 0:
        raise ValueError(f"c must be > 0, got {c!r}.")
    norms = np.linalg.norm(E, axis=1)
    if np.any(norms == 0):
        raise ValueError("embeddings must have non-zero rows (a cosine is undefined for 0).")
    cos = E @ v[0] / norms                                              # (N,)
    return float(np.mean(np.abs(cos) ** c))
