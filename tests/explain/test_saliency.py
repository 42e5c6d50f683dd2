"""coursekit.explain: saliency and SmoothGrad against a linear model's known gradient, CAM = Grad-CAM for a
GAP + linear head, the metrics against SciPy and scikit-image, and the randomisation sanity check."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
import torch
from scipy.stats import spearmanr
from skimage.data import camera, coins
from skimage.metrics import structural_similarity
from torch import nn
from torch_battery import TorchOp, battery, randn, run_check

from coursekit import explain
from coursekit import training
from coursekit import data as ckdata
from coursekit.metrics import image as image_metrics
from coursekit.models import SmallCNN, SmallCNNConfig, init_parameters_


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.fixture(scope="module")
def trained():
    """The chapter's digits CNN (8 epochs, ~99% test accuracy) and 16 test images with its predictions."""
    result = training.train_digits(training.DigitsConfig(), ckdata.load_digits_split(), _gen(0), progress=False)
    x = ckdata.load_digits_split().X_test[:16]                     # (16, 1, 16, 16)
    with torch.no_grad():
        c = result.model(x).argmax(1)
    return result.model, x, c


def _linear_model():
    return init_parameters_(nn.Sequential(nn.Flatten(), nn.Linear(2 * 5 * 6, 4)).double(), _gen(10))


# ----------------------------------------------------------------------------- gradients

def test_saliency_of_a_linear_model_is_its_weight_row():
    model = _linear_model()
    x = torch.randn(3, 2, 5, 6, generator=_gen(), dtype=torch.float64)
    target = [0, 2, 3]
    got = explain.gradient_saliency(model, x, target)
    W = model[1].weight.detach().numpy().reshape(4, 2, 5, 6)     # ∂y_c/∂x = W[c], the same for every x
    expected = np.abs(W[target]).max(axis=1)                    # (3, 5, 6) max |.| over the 2 channels
    np.testing.assert_allclose(got, expected, atol=1e-14)       # float64: exact up to rounding


def test_smoothgrad_averages_gradients_and_reduces_to_saliency_without_noise():
    model = _linear_model()
    x = torch.randn(2, 2, 5, 6, generator=_gen(), dtype=torch.float64)
    # a linear model has the same gradient at every noisy copy, so any noise level gives the saliency
    np.testing.assert_allclose(explain.smoothgrad(model, x, _gen(1), target=1, noise_level=0.5),
                               explain.gradient_saliency(model, x, 1), atol=1e-12)
    net = nn.Sequential(nn.Flatten(), nn.Linear(60, 16), nn.Tanh(), nn.Linear(16, 4)).double()
    np.testing.assert_allclose(explain.smoothgrad(net, x, _gen(1), n_samples=1, noise_level=0.0),
                               explain.gradient_saliency(net, x), atol=1e-14)
    # a non-linear model: the noisy average differs from the plain gradient, and the generator fixes it
    a = explain.smoothgrad(net, x, _gen(1), n_samples=8)
    assert np.array_equal(a, explain.smoothgrad(net, x, _gen(1), n_samples=8))
    assert not np.allclose(a, explain.gradient_saliency(net, x))


def test_gradient_maps_agree_with_finite_differences():
    net = nn.Sequential(nn.Flatten(), nn.Linear(60, 16), nn.Tanh(), nn.Linear(16, 4)).double()
    x = torch.randn(1, 2, 5, 6, generator=_gen(), dtype=torch.float64)
    eps, fd = 1e-6, np.zeros((2, 5, 6))
    with torch.no_grad():
        for idx in np.ndindex(2, 5, 6):
            d = torch.zeros_like(x); d[(0,) + idx] = eps
            fd[idx] = float(net(x + d)[0, 2] - net(x - d)[0, 2]) / (2 * eps)
    # central differences: error O(eps²) ≈ 1e-12 plus rounding ≈ 1e-16/eps = 1e-10
    np.testing.assert_allclose(explain.gradient_saliency(net, x, 2)[0], np.abs(fd).max(axis=0), atol=1e-8)


def test_explainers_restore_the_training_mode_and_leave_weights_alone(trained):
    model, x, c = trained
    before = [p.clone() for p in model.parameters()]
    model.train()
    explain.gradient_saliency(model, x[:2])
    explain.grad_cam(model, x[:2], model.features)
    assert model.training
    model.eval()
    assert all(torch.equal(p, q) for p, q in zip(before, model.parameters()))


def test_explainers_reject_bad_input(trained):
    model, x, _ = trained
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        explain.gradient_saliency(model, x[0])
    with pytest.raises(ValueError, match="target must be a class"):
        explain.gradient_saliency(model, x[:2], target=10)
    with pytest.raises(ValueError, match="n_samples"):
        explain.smoothgrad(model, x[:2], _gen(), n_samples=0)
    with pytest.raises(ValueError, match="noise_level"):
        explain.smoothgrad(model, x[:2], _gen(), noise_level=-0.1)
    with pytest.raises(ValueError, match="not called"):
        explain.grad_cam(model, x[:2], nn.ReLU())


# ----------------------------------------------------------------------------- CAM and Grad-CAM

def test_cam_equals_grad_cam_up_to_a_positive_scale_for_a_gap_linear_head(trained):
    model, x, c = trained
    cam = explain.class_activation_map(model, x, model.features, model.head, c)   # (16, 8, 8), signed
    gcam = explain.grad_cam(model, x, model.features, c, normalize=False)        # (16, 8, 8)
    Z = cam.shape[-1] * cam.shape[-2]
    # y_c = Σ_k w_k^c (1/Z) Σ_ij A^k_ij + b_c  ⇒  α_k = w_k^c / Z  ⇒  Grad-CAM = ReLU(CAM) / Z.
    # float32 activations and gradients: agreement to ~1e-7 relative; 1e-5 of the map's peak is ample.
    np.testing.assert_allclose(gcam * Z, np.maximum(cam, 0.0), atol=1e-5 * np.abs(cam).max())
    normalised = explain.grad_cam(model, x, model.features, c)
    np.testing.assert_allclose(normalised.max(axis=(1, 2)), 1.0)


def test_grad_cam_matches_a_hand_written_forward_and_backward(trained):
    model, x, c = trained
    A = model.features(x).detach().requires_grad_(True)          # (16, 32, 8, 8)
    logits = model.head(A.mean(dim=(2, 3)))
    (dA,) = torch.autograd.grad(logits[torch.arange(16), c].sum(), A)
    alpha = dA.mean(dim=(2, 3))                                  # (16, 32)
    expected = torch.relu((alpha[:, :, None, None] * A).sum(1)).detach().numpy()
    got = explain.grad_cam(model, x, model.features, c, normalize=False)
    np.testing.assert_allclose(got, expected, atol=1e-6)        # float32 sums of 32 terms of size ~1


def test_grad_cam_map_is_nonnegative_normalised_and_validated(rng):
    A = rng.normal(size=(3, 5, 4, 4))
    G = rng.normal(size=(3, 5, 4, 4))
    L = explain.grad_cam_map(A, G)
    assert L.shape == (3, 4, 4) and L.min() >= 0
    assert np.all((L.max(axis=(1, 2)) == 1.0) | (L.max(axis=(1, 2)) == 0.0))
    assert np.all(explain.grad_cam_map(np.ones((2, 3, 3)), -np.ones((2, 3, 3))) == 0)   # all negative → 0
    with pytest.raises(ValueError, match="gradients must have shape"):
        explain.grad_cam_map(A, G[..., :3])
    with pytest.raises(ValueError, match="class_weights"):
        explain.cam_map(A, np.ones(4))


def test_upsample_maps_returns_the_input_size():
    assert explain.upsample_maps(np.ones((2, 8, 8)), (16, 16)).shape == (2, 16, 16)


# ----------------------------------------------------------------------------- metrics

def test_spearman_matches_scipy_including_ties(rng):
    a = np.maximum(rng.normal(size=(12, 12)), 0)                # ReLU maps: many tied zeros
    b = np.maximum(a + rng.normal(scale=0.5, size=a.shape), 0)
    for u, v in [(a, b), (rng.normal(size=50), rng.normal(size=50)), (np.round(a, 1), b)]:
        expected = spearmanr(u.ravel(), v.ravel()).statistic
        assert abs(explain.spearman_rank_correlation(u, v) - expected) < 1e-12   # same formula, float64
    assert np.isnan(explain.spearman_rank_correlation(np.ones(5), np.arange(5.0)))
    with pytest.raises(ValueError, match="same shape"):
        explain.spearman_rank_correlation(np.ones(4), np.ones(5))


@pytest.mark.parametrize("image", [camera, coins])
def test_ssim_matches_scikit_image(image, rng):
    a = image()[100:164, 100:164].astype(np.float64) / 255.0
    b = np.clip(a + rng.normal(scale=0.1, size=a.shape), 0, 1)
    expected = structural_similarity(a, b, data_range=1.0)
    # scikit-image filters the whole image and crops the border; we average the valid windows: same
    # windows, same statistics, so only rounding differs.
    assert abs(image_metrics.ssim(a, b) - expected) < 1e-10
    assert abs(image_metrics.ssim(a, a) - 1.0) < 1e-12
    with pytest.raises(ValueError, match="win_size"):
        image_metrics.ssim(a[:5, :5], b[:5, :5])


# ----------------------------------------------------------------------------- the sanity check

def test_randomize_layers_copies_and_only_touches_the_named_layers(trained):
    model, _, _ = trained
    layers = explain.parameter_layers(model)
    assert layers[0] == "head" and layers[-1] == "features.0.0"   # output first, input last
    clone = explain.randomize_layers(model, ["head"], _gen())
    assert not torch.equal(clone.head.weight, model.head.weight)
    assert torch.equal(clone.features[0][0].weight, model.features[0][0].weight)
    with pytest.raises(ValueError, match="no submodule"):
        explain.randomize_layers(model, ["nope"], _gen())


def test_grad_cam_and_smoothgrad_pass_the_randomisation_check_and_edges_fail_it(trained):
    model, x, c = trained
    explainers = {
        "grad_cam": lambda m, x: explain.grad_cam(m, x, m.features, c),
        "smoothgrad": lambda m, x: explain.smoothgrad(m, x, _gen(1), c, n_samples=16),
    }
    for name, f in explainers.items():
        result = explain.randomization_sanity_check(model, f, x, _gen(2), mode="cascade")
        assert result.spearman.shape == (7, 16) and result.maps.shape == (8, 16) + f(model, x).shape[1:]
        # Threshold 0.5 (shared variance of the ranks ρ² < 25%): measured ≈ 0.0 (Grad-CAM) and ≈ 0.1
        # (SmoothGrad) with every layer random, while Grad-CAM maps of two independently trained models
        # agree at ρ ≈ 0.75 (see the chapter).
        assert np.nanmean(result.spearman[-1]) < 0.5, name
        everything = explain.randomization_sanity_check(model, f, x, _gen(2), mode="all")
        assert everything.spearman.shape == (1, 16) and np.nanmean(everything.spearman) < 0.5

    def sobel_edges(m, x):                                       # ignores the model: an "explanation" of the input
        img = x[:, 0].double().numpy()
        return np.hypot(ndi.sobel(img, axis=1), ndi.sobel(img, axis=2))

    edges = explain.randomization_sanity_check(model, sobel_edges, x, _gen(2))
    np.testing.assert_allclose(edges.spearman, 1.0)
    np.testing.assert_allclose(edges.ssim, 1.0)
    with pytest.raises(ValueError, match="mode"):
        explain.randomization_sanity_check(model, sobel_edges, x, _gen(2), mode="bottom-up")


# ----------------------------------------------------------------------------- the torch battery
# The explainers return NumPy maps of a model's gradients: the battery checks their shapes, bad input and an
# independent reference (there is no function/module pair, and a map is not itself differentiated).

_LIN = _linear_model()
_W = _LIN[1].weight.detach().numpy().reshape(4, 2, 5, 6)          # ∂y_c/∂x = W[c] for every x
_CNN = init_parameters_(SmallCNN(SmallCNNConfig(channels=(3, 4), num_classes=3)).double(), _gen(11)).eval()
_T = torch.zeros(2, 2, 5, 6, dtype=torch.float64)


def _grad_cam_by_hand(x, c):
    A = _CNN.features(x).detach().requires_grad_(True)           # (B, 4, h, w)
    logits = _CNN.head(A.mean(dim=(2, 3)))
    (dA,) = torch.autograd.grad(logits[torch.arange(len(c)), c].sum(), A)
    return torch.relu((dA.mean(dim=(2, 3))[:, :, None, None] * A).sum(1))   # (B, h, w)


def _cv2_resize(maps, size):
    import cv2                                                     # INTER_LINEAR = half-pixel-centre bilinear
    return np.stack([cv2.resize(m, size[::-1], interpolation=cv2.INTER_LINEAR) for m in maps])


OPS = [
    TorchOp("gradient_saliency", lambda g: (randn(g, 3, 2, 5, 6),),
            lambda x: explain.gradient_saliency(_LIN, x, [0, 2, 3]), (3, 5, 6),
            bad=[(lambda: explain.gradient_saliency(_LIN, _T[0]), "B, C, H, W"),
                 (lambda: explain.gradient_saliency(_LIN, _T, target=4), "target must be a class")],
            reference=lambda x: np.abs(_W[[0, 2, 3]]).max(axis=1), atol=1e-14,
            why="a linear model's gradient is its weight row; float64 rounding only"),
    TorchOp("smoothgrad", lambda g: (randn(g, 2, 2, 5, 6),),
            lambda x: explain.smoothgrad(_LIN, x, _gen(1), target=1, n_samples=4, noise_level=0.3), (2, 5, 6),
            bad=[(lambda: explain.smoothgrad(_LIN, _T, _gen(), n_samples=0), "n_samples"),
                 (lambda: explain.smoothgrad(_LIN, _T, _gen(), noise_level=-1.0), "noise_level")],
            reference=lambda x: np.abs(_W[[1, 1]]).max(axis=1), atol=1e-12,
            why="every noisy copy of a linear model has the weight row as gradient; mean of 4 equal values"),
    TorchOp("grad_cam", lambda g: (randn(g, 2, 1, 8, 8),),
            lambda x: explain.grad_cam(_CNN, x, _CNN.features, [0, 2], normalize=False), (2, 4, 4),
            bad=[(lambda: explain.grad_cam(_CNN, _T[:, :1, :4, :4], nn.ReLU()), "not called")],
            reference=lambda x: _grad_cam_by_hand(x, torch.tensor([0, 2])), atol=1e-12,
            why="float64, the same gradients obtained by hand"),
    TorchOp("class_activation_map", lambda g: (randn(g, 2, 1, 8, 8),),
            lambda x: explain.class_activation_map(_CNN, x, _CNN.features, _CNN.head, [1, 0]), (2, 4, 4),
            reference=lambda x: torch.einsum("bk,bkij->bij", _CNN.head.weight[[1, 0]], _CNN.features(x)),
            atol=1e-12, why="CAM = Σ_k w_k^c A^k written with einsum; float64"),
    TorchOp("upsample_maps", lambda g: (randn(g, 3, 4, 5).numpy(),), lambda m: explain.upsample_maps(m, (8, 10)),
            (3, 8, 10), reference=lambda m: _cv2_resize(m.astype(np.float32), (8, 10)), atol=1e-5,
            why="OpenCV's bilinear in float32 (it has no float64 path here): ~1e-7 relative rounding"),
]


@pytest.mark.parametrize("op, check", battery(OPS))
def test_torch_battery(op, check):
    run_check(op, check)
