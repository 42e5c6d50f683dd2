"""coursekit.models.video_classifier: shapes, config validation, gradcheck, and the chapter's target — the 3D
CNN reaches >= 90 % on the direction of motion while the same network on the middle frame stays near chance."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coursekit.data.video import action_clips
from coursekit.models.utils import init_parameters_
from coursekit.models.video_classifier import TinyVideoNet, VideoClassifierConfig
from coursekit.training.loop import FitConfig, evaluate, fit

pytestmark = pytest.mark.usefixtures("one_torch_thread")

DIRECTIONS = ("left", "right", "up", "down")


def test_shapes_and_parameter_counts():
    video = TinyVideoNet(VideoClassifierConfig(channels=(4, 8)))
    frame = TinyVideoNet(VideoClassifierConfig(channels=(4, 8), single_frame=True))
    x = torch.zeros(3, 1, 6, 16, 16)
    assert video(x).shape == (3, 4) and frame(x).shape == (3, 4)
    # K_T·3·3 kernels: (27 + 1)·4 + (4·27 + 1)·8 + 8·4 + 4 vs (9 + 1)·4 + (4·9 + 1)·8 + 8·4 + 4
    assert sum(p.numel() for p in video.parameters()) == 28 * 4 + 109 * 8 + 36
    assert sum(p.numel() for p in frame.parameters()) == 10 * 4 + 37 * 8 + 36


def test_single_frame_model_sees_only_the_middle_frame():
    g = torch.Generator().manual_seed(0)
    model = init_parameters_(TinyVideoNet(VideoClassifierConfig(single_frame=True)), g)
    x = torch.randn(2, 1, 6, 16, 16, generator=g)
    y = x.clone()
    y[:, :, [0, 1, 2, 4, 5]] = torch.randn(2, 1, 5, 16, 16, generator=g)      # change every other frame
    torch.testing.assert_close(model(x), model(y), rtol=0, atol=0)
    y[:, :, 3] += 1.0
    assert not torch.allclose(model(x), model(y))


def test_gradcheck_in_float64():
    g = torch.Generator().manual_seed(0)
    model = init_parameters_(TinyVideoNet(VideoClassifierConfig(channels=(2, 2))), g).double()
    x = torch.randn(1, 1, 3, 4, 4, generator=g, dtype=torch.float64, requires_grad=True)
    # global max pooling is piecewise linear; random inputs have no ties, so the gradient is defined
    assert torch.autograd.gradcheck(model, (x,))


@pytest.mark.parametrize("call, words", [
    (lambda: VideoClassifierConfig(kernel_t=2), "odd"),
    (lambda: VideoClassifierConfig(channels=(8,)), "pair"),
    (lambda: VideoClassifierConfig(num_classes=1), "num_classes"),
    (lambda: VideoClassifierConfig(single_frame=1), "single_frame"),
    (lambda: TinyVideoNet("big"), "VideoClassifierConfig"),
    (lambda: TinyVideoNet()(torch.zeros(2, 6, 16, 16)), "B, C, T, H, W"),
])
def test_bad_input_raises(call, words):
    with pytest.raises(ValueError, match=words):
        call()


def _train(single_frame: bool):
    """The chapter's recipe, seeds included (book/16_video.ipynb, section on the tiny video classifier)."""
    X, y = action_clips(600, np.random.default_rng(160), T=6, size=16, classes=DIRECTIONS)
    X_test, y_test = action_clips(400, np.random.default_rng(161), T=6, size=16, classes=DIRECTIONS)
    clips = lambda A: torch.tensor(A - 0.5, dtype=torch.float32)[:, None]       # (B, 1, T, H, W), centred
    train, test = (clips(X), torch.tensor(y)), (clips(X_test), torch.tensor(y_test))
    acc = lambda m, d: float((evaluate(m, lambda m, b: m(b[0]).argmax(1), d[0]) == d[1]).float().mean())
    g = torch.Generator().manual_seed(0)
    model = init_parameters_(TinyVideoNet(VideoClassifierConfig(single_frame=single_frame)), g)
    history = fit(model, lambda m, b: F.cross_entropy(m(b[0]), b[1]), train,
                  FitConfig(epochs=3, batch_size=32, lr=1e-2, warmup_fraction=0.1), g,
                  val=test, metric=acc, progress=False)
    return history.val[-1]


def test_video_model_reads_the_direction_of_motion_and_a_single_frame_cannot():
    video, frame = _train(False), _train(True)
    assert video >= 0.90, video
    # chance is 0.25; a frame shows where the shape is, not where it goes (measured 0.25)
    assert frame <= 0.35, frame
