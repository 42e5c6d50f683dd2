"""coursekit.video.flow_color: the HSV conversion equals matplotlib's; hue encodes direction, saturation speed."""

import numpy as np
import pytest
from matplotlib.colors import hsv_to_rgb as mpl_hsv_to_rgb

from coursekit.video.flow_color import flow_color_wheel, flow_to_rgb, hsv_to_rgb


def test_hsv_to_rgb_matches_matplotlib():
    hsv = np.random.default_rng(0).random((50, 40, 3))
    np.testing.assert_allclose(hsv_to_rgb(hsv), mpl_hsv_to_rgb(hsv), atol=1e-12)   # same closed form


def test_flow_colours_encode_direction_and_speed():
    flow = np.array([[[1.0, 0.0], [-1.0, 0.0], [0.0, 0.0], [0.5, 0.0]]])
    rgb = flow_to_rgb(flow, max_magnitude=1.0)
    np.testing.assert_allclose(rgb[0, 0], [1, 0, 0], atol=1e-12)       # right: red
    np.testing.assert_allclose(rgb[0, 1], [0, 1, 1], atol=1e-12)       # left: cyan, the opposite hue
    np.testing.assert_allclose(rgb[0, 2], [1, 1, 1], atol=1e-12)       # still: white
    np.testing.assert_allclose(rgb[0, 3], [1, 0.5, 0.5], atol=1e-12)   # half speed: half saturation


def test_colour_wheel_is_white_outside_and_has_every_hue_on_the_rim():
    wheel = flow_color_wheel(41)
    assert wheel.shape == (41, 41, 3) and np.all(wheel[0, 0] == 1) and np.all(wheel[20, 20] == 1)
    assert 0 <= wheel.min() and wheel.max() <= 1
    np.testing.assert_allclose(wheel[20, 40], [1, 0, 0], atol=1e-12)   # (dx, dy) = (1, 0)


@pytest.mark.parametrize("call, words", [
    (lambda: hsv_to_rgb(np.zeros((3, 2))), r"\(\.\.\., 3\)"),
    (lambda: hsv_to_rgb(np.full((1, 3), 2.0)), r"\[0, 1\]"),
    (lambda: flow_to_rgb(np.zeros((4, 4, 3))), "H, W, 2"),
    (lambda: flow_to_rgb(np.zeros((4, 4, 2)), max_magnitude=-1), "max_magnitude"),
    (lambda: flow_color_wheel(2), "size"),
])
def test_bad_input_raises(call, words):
    with pytest.raises(ValueError, match=words):
        call()
