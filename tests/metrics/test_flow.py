"""coursekit.metrics.flow: endpoint and angular errors against their definitions and known values."""

import numpy as np
import pytest

from coursekit.metrics.flow import angular_error, average_endpoint_error, endpoint_error


def test_endpoint_error_is_the_euclidean_distance_of_the_end_points():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(5, 6, 2)), rng.normal(size=(5, 6, 2))
    want = np.sqrt((a[..., 0] - b[..., 0]) ** 2 + (a[..., 1] - b[..., 1]) ** 2)   # the definition, by hand
    np.testing.assert_allclose(endpoint_error(a, b), want, rtol=1e-12)
    assert endpoint_error(a, a).max() == 0
    np.testing.assert_allclose(endpoint_error(a, b), endpoint_error(b, a), rtol=0, atol=0)


def test_average_endpoint_error_respects_the_mask():
    flow = np.zeros((2, 2, 2))
    gt = np.array([[[3.0, 4.0], [0.0, 0.0]], [[0.0, 1.0], [0.0, 0.0]]])
    assert average_endpoint_error(flow, gt) == pytest.approx(1.5)
    mask = np.array([[True, False], [True, False]])
    assert average_endpoint_error(flow, gt, mask) == pytest.approx(3.0)


def test_angular_error_known_values_and_range():
    # (1, 0, 1) vs (0, 0, 1): 45 degrees; (1, 0, 1) vs (-1, 0, 1): 90 degrees; equal vectors: 0
    np.testing.assert_allclose(angular_error(np.array([[1.0, 0.0], [1.0, 0.0], [2.0, 3.0]]),
                                             np.array([[0.0, 0.0], [-1.0, 0.0], [2.0, 3.0]])),
                               [45.0, 90.0, 0.0], atol=1e-6)
    rng = np.random.default_rng(1)
    a, b = rng.normal(scale=5, size=(100, 2)), rng.normal(scale=5, size=(100, 2))
    ang = angular_error(a, b)
    assert ang.min() >= 0 and ang.max() < 180
    # against the angle between the 3-vectors computed with np.cross / np.dot (atan2 form, independent)
    A, B = np.c_[a, np.ones(100)], np.c_[b, np.ones(100)]
    want = np.degrees(np.arctan2(np.linalg.norm(np.cross(A, B), axis=1), np.sum(A * B, axis=1)))
    np.testing.assert_allclose(ang, want, atol=1e-6)   # arccos near 0 loses ~sqrt(eps) rad: 1e-6 deg is safe


@pytest.mark.parametrize("call, words", [
    (lambda: endpoint_error(np.zeros((3, 2)), np.zeros((4, 2))), "shape"),
    (lambda: endpoint_error(np.zeros((3, 3)), np.zeros((3, 3))), r"\(\.\.\., 2\)"),
    (lambda: endpoint_error(np.full((1, 2), np.nan), np.zeros((1, 2))), "NaN"),
    (lambda: endpoint_error([[0.0, 0.0]], np.zeros((1, 2))), "NumPy array"),
    (lambda: average_endpoint_error(np.zeros((2, 2)), np.zeros((2, 2)), np.zeros(2, bool)), "no pixel"),
])
def test_bad_input_raises(call, words):
    with pytest.raises(ValueError, match=words):
        call()
