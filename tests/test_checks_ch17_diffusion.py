"""The graded checks of Chapter 17: the reference earns full points, a stub is "not done", and typical
mistakes (σ_t = β_t, missing square roots, the biased MMD, ...) fail with a hint that names them."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit import grading
from coursekit.checks import ch17_diffusion as ch17
from coursekit.generative.forward import q_sample
from coursekit.generative.schedules import alpha_bars
from coursekit.grading import Status
from coursekit.metrics.generative import frechet_distance, mmd_rbf


def _stub(*args, **kwargs):
    raise NotImplementedError


@pytest.mark.parametrize("eid,reference", [
    ("ch17.alpha_bars", alpha_bars),
    ("ch17.q_sample", q_sample),
    ("ch17.ddpm_step", ch17.ddpm_step_reference),
    ("ch17.ddim_step", ch17.ddim_step_reference),
    ("ch17.frechet_distance", frechet_distance),
    ("ch17.mmd_rbf", mmd_rbf),
])
def test_reference_passes_and_stub_is_not_done(eid, reference):
    result = grading.run_check(eid, reference, points=3)
    assert result.status is Status.PASSED and result.points == 3 and len(result.cases) >= 4, result.report()
    assert grading.run_check(eid, _stub).status is Status.NOT_DONE


def _fails_with(eid, fn, words):
    result = grading.run_check(eid, fn)
    assert result.status is Status.FAILED, result.report()
    assert words in result.report(), result.report()
    return result


def test_alpha_bar_mistakes_are_named():
    _fails_with("ch17.alpha_bars", ch17._ab_of_betas, "not the β_s")
    _fails_with("ch17.alpha_bars", ch17._ab_cumsum, "first-order")
    _fails_with("ch17.alpha_bars", ch17._ab_shifted, "includes step t itself")


def test_q_sample_mistakes_are_named():
    _fails_with("ch17.q_sample", ch17._q_no_sqrt, "square roots")
    _fails_with("ch17.q_sample", ch17._q_alpha_t, "cumulative")


def test_ddpm_mistakes_are_named():
    _fails_with("ch17.ddpm_step", ch17._ddpm_sigma_beta, "variance β_t")
    _fails_with("ch17.ddpm_step", ch17._ddpm_noise_at_zero, "adds no noise")
    _fails_with("ch17.ddpm_step", ch17._ddpm_alpha_bar_denominator, "one-step")


def test_ddim_mistakes_are_named():
    _fails_with("ch17.ddim_step", ch17._ddim_xt_not_x0, "re-noise")
    _fails_with("ch17.ddim_step", ch17._ddim_minus_one_wrap, "clean data")


def test_frechet_mistakes_are_named():
    _fails_with("ch17.frechet_distance", ch17._fd_elementwise, "element-wise")
    _fails_with("ch17.frechet_distance", ch17._fd_no_two, "2 tr")
    _fails_with("ch17.frechet_distance", ch17._fd_product_of_roots, "commute")


def test_mmd_mistakes_are_named():
    _fails_with("ch17.mmd_rbf", ch17._mmd_biased, "unbiased")
    _fails_with("ch17.mmd_rbf", ch17._mmd_no_half, "2h²")


def test_sqrtm_is_forbidden_for_the_frechet_distance():
    chk = grading.find_check("ch17.frechet_distance") if hasattr(grading, "find_check") else None
    forbidden = chk.forbidden if chk is not None else next(c for c in ch17.CHECKS
                                                           if c.exercise_id == "ch17.frechet_distance").forbidden
    assert "scipy.linalg.sqrtm" in forbidden


def test_wrong_answers_of_other_shapes_fail():
    _fails_with("ch17.alpha_bars", lambda b: np.cumprod(1 - b)[:-1], "")
    _fails_with("ch17.mmd_rbf", lambda X, Y, h: -1.0, "")
