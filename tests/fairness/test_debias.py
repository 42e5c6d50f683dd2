"""coursekit.fairness.debias: the bias direction is the planted one (and scikit-learn's first principal
component), projecting it out removes exactly that component, equalised pairs are equidistant from every
neutral word, and bad input raises."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.linear_model import LinearRegression

from coursekit.data.fairness import biased_embeddings
from coursekit.fairness.debias import bias_direction, direct_bias, equalize_pairs, project_out


@pytest.fixture(params=[0, 1, 2])
def words(request):
    return biased_embeddings(np.random.default_rng(request.param), dim=24, n_pairs=8, n_neutral=60)


def test_bias_direction_recovers_the_planted_direction_and_equals_sklearn_pca(words):
    pairs, _, _, v = words
    g = bias_direction(pairs)
    assert abs(g @ v) > 0.97                        # pair noise 0.1 per coordinate vs a gap of 2 along v
    assert g @ (pairs[:, 0] - pairs[:, 1]).mean(0) > 0                  # oriented first-minus-second
    centred = (pairs - pairs.mean(axis=1, keepdims=True)).reshape(-1, pairs.shape[2])
    pc = PCA(n_components=2).fit(centred).components_
    np.testing.assert_allclose(abs(g @ pc[0]), 1.0, atol=1e-10, err_msg="not sklearn's first component")
    G = bias_direction(pairs, k=2)
    np.testing.assert_allclose(np.abs(np.sum(G * pc, axis=1)), 1.0, atol=1e-8)
    np.testing.assert_allclose(G @ G.T, np.eye(2), atol=1e-12)


def test_project_out_removes_the_bias_component_and_keeps_the_rest(words):
    _, neutral, s, v = words
    g = v + 0.3 * np.random.default_rng(9).standard_normal(v.shape)      # any (non-unit) direction
    out = project_out(neutral, g)
    u = g / np.linalg.norm(g)
    np.testing.assert_allclose(out @ u, 0.0, atol=1e-12, err_msg="a bias component is left")
    # the orthogonal complement is untouched: out equals (I - u u^T) neutral, an independent formula
    np.testing.assert_allclose(out, neutral @ (np.eye(len(u)) - np.outer(u, u)), atol=1e-12)
    np.testing.assert_allclose(project_out(out, g), out, atol=1e-12, err_msg="not idempotent")
    # the planted stereotype can no longer be read off linearly along v
    before = LinearRegression().fit(neutral @ v[:, None], s).score(neutral @ v[:, None], s)
    after_planted = project_out(neutral, v)
    assert before > 0.99
    np.testing.assert_allclose(after_planted @ v, 0.0, atol=1e-12)
    assert direct_bias(after_planted, v) < 1e-12 < 0.05 < direct_bias(neutral, v)


def test_project_out_of_two_directions_is_orthogonal_to_both():
    rng = np.random.default_rng(3)
    E, V = rng.standard_normal((30, 8)), rng.standard_normal((2, 8))
    out = project_out(E, V)
    np.testing.assert_allclose(out @ V.T, 0.0, atol=1e-12)
    Q = np.linalg.qr(V.T)[0]                                              # (8, 2) orthonormal basis of span(V)
    np.testing.assert_allclose(out, E - E @ Q @ Q.T, atol=1e-12)


def test_equalized_pairs_are_equidistant_from_every_neutralised_word(words):
    pairs, neutral, _, v = words
    g = bias_direction(pairs)
    eq = equalize_pairs(pairs, g)
    n = project_out(neutral, g)                                           # (N, d)
    d_first = np.linalg.norm(n[:, None] - eq[None, :, 0], axis=2)         # (N, P)
    d_second = np.linalg.norm(n[:, None] - eq[None, :, 1], axis=2)
    np.testing.assert_allclose(d_first, d_second, atol=1e-10, err_msg="a neutral word is closer to one side")
    np.testing.assert_allclose((eq[:, 0] - eq[:, 1]) @ g, (pairs[:, 0] - pairs[:, 1]) @ g, atol=1e-12)
    # before equalising, the pairs' noise makes the distances differ
    assert np.abs(np.linalg.norm(n[:, None] - pairs[None, :, 0], axis=2)
                  - np.linalg.norm(n[:, None] - pairs[None, :, 1], axis=2)).max() > 1e-3


@pytest.mark.parametrize("call, words_", [
    (lambda: bias_direction(np.zeros((3, 3, 4))), "two words per pair"),
    (lambda: bias_direction(np.ones((2, 2, 4)), k=5), "k"),
    (lambda: project_out(np.ones((3, 4)), np.ones(5)), "d = 4"),
    (lambda: project_out(np.ones((3, 4)), np.zeros(4)), "non-zero"),
    (lambda: project_out(np.ones((3, 4)), np.ones((2, 4))), "linearly independent"),
    (lambda: direct_bias(np.zeros((2, 3)), np.ones(3)), "non-zero rows"),
    (lambda: project_out(np.full((2, 3), np.nan), np.ones(3)), "finite"),
])
def test_bad_input_raises(call, words_):
    with pytest.raises(ValueError, match=words_):
        call()
