"""Noise schedules (Chapter 17): the linear DDPM schedule's end points, the cosine schedule against its
closed-form ᾱ_t, and ᾱ_t against an explicit product."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit.generative.schedules import alpha_bars, cosine_betas, linear_betas, signal_to_noise


def test_linear_schedule_runs_from_1e4_to_002_in_equal_steps():
    b = linear_betas(1000)
    assert b.shape == (1000,) and b[0] == pytest.approx(1e-4, abs=1e-15) and b[-1] == pytest.approx(0.02, abs=1e-15)
    np.testing.assert_allclose(np.diff(b), (0.02 - 1e-4) / 999, rtol=1e-9)


def test_linear_schedule_destroys_the_signal_by_the_last_step():
    # ᾱ_T = ∏(1 − β_t) ≈ exp(−Σβ_t) = exp(−1000 · 0.01005) ≈ 4e-5 (DDPM's choice keeps x_T ≈ N(0, I))
    ab = alpha_bars(linear_betas(1000))
    assert 1e-5 < ab[-1] < 1e-4
    assert ab[-1] == pytest.approx(np.exp(-np.sum(linear_betas(1000))), rel=0.1)


def test_alpha_bar_is_the_product_of_one_minus_beta():
    b = np.random.default_rng(0).uniform(0.01, 0.2, 30)
    expected = [np.prod([1 - b[s] for s in range(t + 1)]) for t in range(30)]
    np.testing.assert_allclose(alpha_bars(b), expected, rtol=1e-12)


def test_cosine_schedule_reproduces_its_closed_form_alpha_bar():
    T, s = 1000, 0.008
    f = lambda t: np.cos((t / T + s) / (1 + s) * np.pi / 2) ** 2     # noqa: E731  (the paper's f)
    ab = alpha_bars(cosine_betas(T, s, max_beta=0.999))
    t = np.arange(1, T + 1)
    # Unclipped steps: ᾱ_t = f(t)/f(0) exactly (up to the cumulative product's rounding, ~1e-13).
    ok = cosine_betas(T, s, max_beta=1.0) < 0.999
    np.testing.assert_allclose(ab[ok], (f(t) / f(0))[ok], rtol=1e-9, atol=1e-12)


def test_cosine_schedule_keeps_more_signal_than_linear_in_the_middle():
    ab_lin, ab_cos = alpha_bars(linear_betas(1000)), alpha_bars(cosine_betas(1000))
    assert ab_cos[499] > 2 * ab_lin[499]
    assert np.all(np.diff(cosine_betas(1000)) >= 0)


def test_signal_to_noise_is_alpha_bar_over_its_complement():
    ab = alpha_bars(linear_betas(100))
    np.testing.assert_allclose(signal_to_noise(ab), ab / (1 - ab))


@pytest.mark.parametrize("call, words", [
    (lambda: linear_betas(1), "T must be"),
    (lambda: linear_betas(10, 0.1, 0.01), "beta_1 <= beta_T"),
    (lambda: cosine_betas(10, max_beta=1.5), "max_beta"),
    (lambda: alpha_bars([0.1, 1.2]), r"in \(0, 1\)"),
    (lambda: alpha_bars(np.zeros((2, 2)) + 0.1), "1-D"),
    (lambda: signal_to_noise([1.0]), "alpha_bar"),
])
def test_bad_schedules_raise(call, words):
    with pytest.raises(ValueError, match=words):
        call()
