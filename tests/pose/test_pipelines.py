"""Tests for coursekit.pose.pipelines (Chapter 7): the top-down person crop against SciPy's bilinear
resampling and the keypoint round trip, and the cost model's closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi

from coursekit.data.figures import stick_figure_crowd
from coursekit.pose.pipelines import crop_person, pipeline_cost


@pytest.mark.parametrize("name", ["camera", "coins"])
def test_crop_equals_scipy_bilinear_resampling_on_real_images(name):
    from coursekit.data import load_image

    image = load_image(name).astype(np.float64)
    box = (100.3, 80.7, 171.9, 200.2)
    crop, origin, scale = crop_person(image, box, size=48, margin=0.1)
    c = np.arange(48) + 0.5
    xx, yy = np.meshgrid(origin[0] + scale * c - 0.5, origin[1] + scale * c - 0.5)
    ref = ndi.map_coordinates(image, [yy, xx], order=1, mode="grid-constant", cval=0.0)
    # two exact bilinear interpolations in float64: rounding only (values up to 255)
    np.testing.assert_allclose(crop, ref, atol=1e-9)


def test_crop_is_square_centred_and_keypoints_round_trip():
    f = stick_figure_crowd(np.random.default_rng(0), n_people=3)
    grey = f.image.mean(-1)
    for p, box in enumerate(f.boxes):
        crop, origin, scale = crop_person(grey, box, size=64, margin=0.15)
        side = 1.3 * max(box[2] - box[0], box[3] - box[1])
        assert scale == pytest.approx(side / 64)
        assert origin + 32 * scale == pytest.approx((box[:2] + box[2:]) / 2)      # the crop centre is the box centre
        kp_crop = (f.keypoints[p] - origin) / scale                                # into the crop ...
        assert np.all((kp_crop > 0) & (kp_crop < 64))                              # ... where the whole person is
        np.testing.assert_allclose(origin + scale * kp_crop, f.keypoints[p], atol=1e-12)


def test_pipeline_cost_closed_forms_and_crossover():
    P = np.arange(0, 11)
    c = pipeline_cost(P, network_macs=500.0, image_pixels=96 * 96, crop_pixels=64 * 64, detector_macs=2e6,
                      n_limbs=14, n_samples=10)
    np.testing.assert_array_equal(c["top_down"], 2e6 + P * 64 * 64 * 500.0)
    np.testing.assert_array_equal(c["bottom_up"], 96 * 96 * 500.0 + 14 * P ** 2 * 40)
    assert np.all(np.diff(c["top_down"]) == 64 * 64 * 500.0)                       # linear in P
    assert c["bottom_up"][1] - c["bottom_up"][0] < 1e-3 * c["bottom_up"][0]        # the network dominates
    assert c["top_down"][1] < c["bottom_up"][1] and c["top_down"][10] > c["bottom_up"][10]
    assert isinstance(pipeline_cost(3, 1.0, 10, 10)["top_down"], float)


@pytest.mark.parametrize("call", [
    lambda: crop_person(np.zeros((8, 8)), (4, 4, 2, 6)),
    lambda: crop_person(np.zeros((8, 8, 3)), (1, 1, 4, 4)),
    lambda: crop_person(np.zeros((8, 8)), (1, 1, 4)),
    lambda: crop_person(np.zeros((8, 8)), (1, 1, 4, 4), size=0),
    lambda: crop_person(np.zeros((8, 8)), (1, 1, 4, 4), margin=-0.1),
    lambda: pipeline_cost(-1, 1.0, 10, 10),
    lambda: pipeline_cost(1.5, 1.0, 10, 10),
    lambda: pipeline_cost(1, -1.0, 10, 10),
])
def test_bad_input_raises(call):
    with pytest.raises(ValueError):
        call()
