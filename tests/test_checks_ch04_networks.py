"""The graded checks of Chapter 4's network exercises: the reference passes, typical mistakes fail with a hint
that names the mistake (and no reference values), a stub is "not done"."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit import grading
from coursekit.models.efficientnet import compound_scaling
from coursekit.layers.blocks import se_block_forward
from coursekit.explain.saliency import grad_cam_map


def _stub(*args, **kwargs):
    raise NotImplementedError


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@pytest.mark.parametrize("eid,reference", [
    ("ch04.compound_scaling", compound_scaling),
    ("ch04.se_block_forward", se_block_forward),
    ("ch04.grad_cam", grad_cam_map),
])
def test_reference_passes_and_stub_is_not_done(eid, reference):
    result = grading.run_check(eid, reference, points=2)
    assert result.passed and result.points == 2 and len(result.cases) >= 4
    stub = grading.run_check(eid, _stub, points=2)
    assert stub.status == "not-done" and stub.points == 0


def test_compound_scaling_as_a_plain_list_passes():
    def as_list(phi, alpha, beta, gamma):
        return [alpha ** phi, beta ** phi, gamma ** phi, (alpha * beta ** 2 * gamma ** 2) ** phi]

    assert grading.run_check("ch04.compound_scaling", as_list).passed


def test_compound_scaling_without_squares_gets_the_flops_hint():
    def no_squares(phi, alpha, beta, gamma):
        return alpha ** phi, beta ** phi, gamma ** phi, (alpha * beta * gamma) ** phi

    result = grading.run_check("ch04.compound_scaling", no_squares)
    assert not result.passed and any("square of the width" in c.hint for c in result.cases)


def test_compound_scaling_with_phi_as_a_factor_gets_the_exponent_hint():
    def linear(phi, alpha, beta, gamma):
        return alpha * phi, beta * phi, gamma * phi, (alpha * beta ** 2 * gamma ** 2) * phi

    result = grading.run_check("ch04.compound_scaling", linear)
    assert not result.passed and any("exponent" in c.hint for c in result.cases)


def test_se_block_without_relu_gets_the_relu_hint():
    def no_relu(x, W1, b1, W2, b2):
        return x * _sigmoid((x.mean((1, 2)) @ W1.T + b1) @ W2.T + b2)[:, None, None]

    result = grading.run_check("ch04.se_block_forward", no_relu)
    assert not result.passed and any("ReLU" in c.hint for c in result.cases)


def test_se_block_with_max_pooling_gets_the_squeeze_hint():
    def max_squeeze(x, W1, b1, W2, b2):
        return x * _sigmoid(np.maximum(x.max((1, 2)) @ W1.T + b1, 0) @ W2.T + b2)[:, None, None]

    result = grading.run_check("ch04.se_block_forward", max_squeeze)
    assert not result.passed and any("spatial mean" in c.hint for c in result.cases)


def test_se_block_with_per_pixel_gates_gets_the_channel_hint():
    def per_pixel(x, W1, b1, W2, b2):                  # gates computed from each pixel's channel vector
        z = np.moveaxis(x, 0, -1)                        # (H, W, C)
        s = _sigmoid(np.maximum(z @ W1.T + b1, 0) @ W2.T + b2)
        return x * np.moveaxis(s, -1, 0)

    result = grading.run_check("ch04.se_block_forward", per_pixel)
    assert not result.passed and any("same gate" in c.hint for c in result.cases)


def test_grad_cam_without_relu_gets_the_relu_hint():
    def no_relu(A, G):
        m = np.einsum("k,kij->ij", G.mean((1, 2)), A)
        return m / np.abs(m).max()

    result = grading.run_check("ch04.grad_cam", no_relu)
    assert not result.passed and any("negative values" in c.hint for c in result.cases)


def test_grad_cam_unnormalised_gets_the_normalise_hint():
    result = grading.run_check("ch04.grad_cam", lambda A, G: grad_cam_map(A, G, normalize=False))
    assert not result.passed and any("divide it by its maximum" in c.hint for c in result.cases)


def test_grad_cam_with_elementwise_weights_gets_the_alpha_hint():
    def elementwise(A, G):
        m = np.maximum((G * A).sum(0), 0)
        return m / m.max() if m.max() > 0 else m

    result = grading.run_check("ch04.grad_cam", elementwise)
    assert not result.passed and any("spatial mean of its gradient" in c.hint for c in result.cases)


def test_grad_cam_dividing_by_zero_gets_the_zero_hint():
    def divides(A, G):
        m = np.maximum(np.einsum("k,kij->ij", G.mean((1, 2)), A), 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return m / m.max()

    result = grading.run_check("ch04.grad_cam", divides)
    assert not result.passed
    assert [c for c in result.cases if not c.passed][0].label.startswith("every channel")


def test_hints_never_print_reference_values():
    result = grading.run_check("ch04.compound_scaling", lambda p, a, b, g: (a ** p, b ** p, g ** p, 2.0 ** p))
    report = result.report()
    assert not result.passed
    s = compound_scaling(1.0)
    assert f"{s.flops:.3g}" not in report and f"{s.flops:.4f}" not in report
