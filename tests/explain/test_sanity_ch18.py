"""Chapter 18's sanity checks (Adebayo et al.): independent and cascading model randomisation, the
data-randomisation test, and the chapter's scene recipe — the CNN's Grad-CAM points at the digit, its maps
change once the model is randomised or trained on random labels, while the input itself (an edge-like
"explanation") does not."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from coursekit.data.digits import DigitsSplit, load_digits_split
from coursekit.data.xai_scenes import digit_scenes
from coursekit.explain.localization import pointing_game
from coursekit.explain.saliency import grad_cam, gradient_saliency
from coursekit.explain.sanity import (
    compare_maps,
    data_randomization_test,
    parameter_layers,
    randomization_sanity_check,
)
from coursekit.training.digits import DigitsConfig, train_digits

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _net():
    g = torch.Generator().manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.Conv2d(3, 3, 3, padding=1), nn.ReLU(),
                        nn.Flatten(), nn.Linear(3 * 6 * 6, 4))
    from coursekit.models.utils import init_parameters_
    return init_parameters_(net, g)


def test_independent_mode_randomises_one_layer_at_a_time_in_a_fresh_copy():
    net = _net()
    x = torch.rand(3, 1, 6, 6, generator=torch.Generator().manual_seed(1))
    seen = []

    def explainer(m, x):
        seen.append({k: v.clone() for k, v in m.state_dict().items()})
        return gradient_saliency(m, x, 0)

    r = randomization_sanity_check(net, explainer, x, torch.Generator().manual_seed(2), mode="independent")
    layers = parameter_layers(net)
    assert r.steps == [[n] for n in layers] and r.maps.shape == (1 + len(layers), 3, 6, 6)
    trained = net.state_dict()
    for step, state in zip(r.steps, seen[1:]):
        changed = {k.split(".")[0] for k in state if not torch.equal(state[k], trained[k])}
        assert changed == set(step), f"step {step} changed {changed}"
    assert all(torch.equal(v, trained[k]) for k, v in net.state_dict().items())       # model untouched


def test_cascade_mode_accumulates_randomised_layers():
    net, x = _net(), torch.rand(2, 1, 6, 6, generator=torch.Generator().manual_seed(3))
    seen = []

    def explainer(m, x):
        seen.append({k: v.clone() for k, v in m.state_dict().items()})     # the cascade edits one copy in place
        return gradient_saliency(m, x, 0)

    r = randomization_sanity_check(net, explainer, x, torch.Generator().manual_seed(4), mode="cascade")
    trained = net.state_dict()
    for i, state in enumerate(seen[1:]):
        changed = {k.split(".")[0] for k in state if not torch.equal(state[k], trained[k])}
        assert changed == set(r.steps[i]) and len(r.steps[i]) == i + 1


def test_compare_maps_matches_its_parts_and_is_scale_free():
    rng = np.random.default_rng(5)
    a, b = rng.random((3, 9, 9)), rng.random((3, 9, 9))
    rho, sim = compare_maps(a, b)
    from scipy.stats import spearmanr
    np.testing.assert_allclose(rho, [spearmanr(u.ravel(), v.ravel()).statistic for u, v in zip(a, b)], rtol=1e-12)
    rho2, sim2 = compare_maps(a, 5 * b + 2)                                 # rescaling changes neither score
    np.testing.assert_allclose(rho2, rho, rtol=1e-12)
    np.testing.assert_allclose(sim2, sim, rtol=1e-9)
    with pytest.raises(ValueError, match="H, W >= 3"):
        compare_maps(np.zeros((1, 2, 2)), np.zeros((1, 2, 2)))
    with pytest.raises(ValueError, match="mode"):
        randomization_sanity_check(_net(), lambda m, x: x[:, 0].numpy(), torch.zeros(1, 1, 6, 6),
                                   torch.Generator(), mode="one")


# ----------------------------------------------------------------------------- the chapter's recipe

SCENE_SIZE, EPOCHS, N_RANDOM, RANDOM_EPOCHS = 20, 8, 128, 30      # as in book/18_explainability_fairness


@pytest.fixture(scope="module")
def scenes_and_models():
    d8 = load_digits_split(size=8)
    rng = np.random.default_rng(0)
    train = digit_scenes(d8.X_train, d8.y_train, rng, size=SCENE_SIZE)
    test = digit_scenes(d8.X_test, d8.y_test, rng, size=SCENE_SIZE)
    split = DigitsSplit(train.X, train.y, test.X, test.y)
    result = train_digits(DigitsConfig(epochs=EPOCHS), split, torch.Generator().manual_seed(0), progress=False)
    perm = torch.randperm(len(train.y), generator=torch.Generator().manual_seed(1))
    random_split = DigitsSplit(train.X[:N_RANDOM], train.y[perm][:N_RANDOM], test.X[:50], test.y[:50])
    random_model = train_digits(DigitsConfig(epochs=RANDOM_EPOCHS, batch_size=32), random_split,
                                torch.Generator().manual_seed(2), progress=False)
    return test, result, random_model


@pytest.mark.slow
def test_scene_cnn_is_accurate_and_its_grad_cam_wins_the_pointing_game(scenes_and_models):
    test, result, _ = scenes_and_models
    assert result.accuracy > 0.85                       # the chapter glues the measured value (~0.88)
    x = test.X[:200]
    maps = grad_cam(result.model, x, result.model.features, size=(SCENE_SIZE, SCENE_SIZE))
    hits = pointing_game(maps, test.masks[:200])
    chance = test.masks[:200].mean()                    # a random peak hits the 8×8 box with p = 64/400
    assert hits.mean() > 0.9 > 3 * chance


@pytest.mark.slow
def test_random_label_model_memorises_and_changes_grad_cam_but_not_the_input_map(scenes_and_models):
    test, result, random_model = scenes_and_models
    assert random_model.history["train_accuracy"][-1] > 0.8 and random_model.accuracy < 0.3
    x = test.X[:16]
    gc = data_randomization_test(result.model, random_model.model,
                                 lambda m, x: grad_cam(m, x, m.features, size=(SCENE_SIZE, SCENE_SIZE)), x)
    same = data_randomization_test(result.model, random_model.model, lambda m, x: x[:, 0].double().numpy(), x)
    assert np.nanmean(gc.spearman) < 0.5 and np.allclose(same.spearman, 1.0)
    cascade = randomization_sanity_check(result.model, lambda m, x: grad_cam(m, x, m.features, 0), x,
                                         torch.Generator().manual_seed(3))
    assert np.nanmean(cascade.spearman[-1]) < 0.5
