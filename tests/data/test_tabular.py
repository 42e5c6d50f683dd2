"""Tests for coursekit.data.tabular (Chapter 3, 17, 18 data)."""

import numpy as np
import pytest

from coursekit.data.sequences import adding_problem, copy_task
from coursekit.data.tabular import blobs, gaussian_mixture, imbalanced_blobs, linear_regression, sine_regression, spirals, two_d_mixture, two_moons, TOY_2D_NAMES
from coursekit.data.fairness import fairness_scores

GENERATORS = [
    lambda rng: blobs(60, rng),
    lambda rng: two_moons(60, rng),
    lambda rng: spirals(60, rng),
    lambda rng: imbalanced_blobs(60, rng),
    lambda rng: linear_regression(60, rng, n_features=2),
    lambda rng: sine_regression(60, rng),
    lambda rng: adding_problem(8, 12, rng),
    lambda rng: copy_task(8, rng),
    lambda rng: fairness_scores(60, rng),
    lambda rng: two_d_mixture(60, rng),
]


def _arrays(out):
    out = out if isinstance(out, tuple) else (out,)
    return [np.asarray(o) for o in out]


@pytest.mark.parametrize("gen", GENERATORS)
def test_same_seed_same_data_and_new_seed_new_data(gen):
    a, b, c = (_arrays(gen(np.random.default_rng(s))) for s in (3, 3, 4))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


def test_blobs_have_balanced_int_labels_and_float_points():
    X, y = blobs(99, np.random.default_rng(0), n_classes=3)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [33, 33, 33]


def test_two_moons_matches_sklearn_geometry_without_noise():
    from sklearn.datasets import make_moons
    X, y = two_moons(200, np.random.default_rng(0), noise=0.0)
    ref, ref_y = make_moons(200, noise=0.0)
    # both arms are arcs of unit circles: class 0 centred at (0, 0), class 1 at (1, 0.5)
    assert np.allclose(np.hypot(*X[y == 0].T), 1.0)
    assert np.allclose(np.hypot(X[y == 1, 0] - 1, X[y == 1, 1] - 0.5), 1.0)
    assert np.allclose(np.hypot(ref[ref_y == 1, 0] - 1, ref[ref_y == 1, 1] - 0.5), 1.0)


def test_spiral_arms_are_rotations_of_each_other():
    X, y = spirals(300, np.random.default_rng(0), n_classes=3, noise=0.0)
    r = np.hypot(*X.T)
    theta = np.arctan2(X[:, 1], X[:, 0])
    # on arm k: theta = 2 pi turns r + 2 pi k / K  (mod 2 pi)
    resid = np.angle(np.exp(1j * (theta - 2 * np.pi * 1.5 * r - 2 * np.pi * y / 3)))
    assert np.abs(resid).max() < 1e-9


def test_imbalanced_blobs_have_the_requested_positive_rate():
    _, y = imbalanced_blobs(1000, np.random.default_rng(0), positive_fraction=0.05)
    assert y.sum() == 50


def test_gaussian_mixture_parameters_are_valid_and_match_the_samples():
    g = gaussian_mixture(20000, np.random.default_rng(0), n_components=3)
    assert np.isclose(g.weights.sum(), 1.0)
    assert np.all(np.linalg.eigvalsh(g.covariances) > 0)            # SPD
    # sample moments per component: with 20k points the mean's standard error is < 0.03
    for k in range(3):
        Xk = g.X[g.z == k]
        assert np.allclose(Xk.mean(0), g.means[k], atol=0.1)
        assert np.allclose(np.cov(Xk.T), g.covariances[k], atol=0.1)
    assert np.allclose(np.bincount(g.z) / 20000, g.weights, atol=0.02)


def test_linear_regression_is_recovered_by_least_squares():
    X, y, w, b = linear_regression(500, np.random.default_rng(0), n_features=3, noise=0.01)
    A = np.c_[X, np.ones(len(X))]
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    # noise 0.01 over 500 points: the estimate is within ~1e-3 of the truth
    assert np.allclose(coef, np.r_[w, b], atol=5e-3)


def test_sine_regression_without_noise_is_exact():
    x, y = sine_regression(50, np.random.default_rng(0), noise=0.0)
    assert np.allclose(y, np.sin(2 * np.pi * x[:, 0]))


def test_adding_problem_has_one_marker_in_each_half_and_target_is_their_sum():
    X, y = adding_problem(100, 20, np.random.default_rng(0))
    m = X[..., 1]
    assert np.all(m[:, :10].sum(1) == 1) and np.all(m[:, 10:].sum(1) == 1)
    assert np.allclose((X[..., 0] * m).sum(1), y)


def test_copy_task_targets_repeat_the_symbols_after_the_cue():
    X, Y = copy_task(50, np.random.default_rng(0), length=4, n_symbols=6, delay=3)
    assert X.shape == Y.shape == (50, 12)
    assert np.all(X[:, 7] == 1)                                       # cue after symbols + delay
    assert np.array_equal(Y[:, -4:], X[:, :4])
    assert np.all((X[:, :4] >= 2) & (X[:, :4] <= 7))
    assert np.all(Y[:, :-4] == 0)


@pytest.mark.parametrize("name", TOY_2D_NAMES)
def test_two_d_mixtures_are_bounded_and_spread(name):
    x = two_d_mixture(2000, np.random.default_rng(0), name)
    assert x.shape == (2000, 2) and np.abs(x).max() < 4
    assert 0.3 < x.std() < 2.5                                        # unit-order scale for diffusion


def test_checkerboard_samples_only_squares_with_even_index_sum():
    x = two_d_mixture(2000, np.random.default_rng(0), "checkerboard")
    cell = np.floor(x + 2).astype(int)
    assert np.all((cell[:, 0] + cell[:, 1]) % 2 == 0)


def test_fairness_scores_follow_the_requested_base_rates():
    a, y, s = fairness_scores(20000, np.random.default_rng(0), base_rates=(0.2, 0.6))
    # binomial standard error at n = 10000 is <= 0.005
    assert abs(y[a == 0].mean() - 0.2) < 0.02 and abs(y[a == 1].mean() - 0.6) < 0.02
    assert s[y == 1].mean() > s[y == 0].mean()


@pytest.mark.parametrize("call", [
    lambda: blobs(0, np.random.default_rng(0)),
    lambda: blobs(10, 0),                                  # a seed is not a Generator
    lambda: two_moons(10, np.random.default_rng(0), noise=-1),
    lambda: spirals(10, np.random.default_rng(0), n_classes=0),
    lambda: imbalanced_blobs(10, np.random.default_rng(0), positive_fraction=1.0),
    lambda: gaussian_mixture(10, np.random.default_rng(0), n_components=0),
    lambda: two_d_mixture(10, np.random.default_rng(0), "donut"),
    lambda: adding_problem(10, 1, np.random.default_rng(0)),
    lambda: copy_task(10, np.random.default_rng(0), length=2.5),
    lambda: fairness_scores(10, np.random.default_rng(0), base_rates=(0.2, 1.5)),
])
def test_bad_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()
