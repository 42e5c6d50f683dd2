"""coursekit.explain.concepts and models.concept_bottleneck: the joint loss against torch.nn's losses, the
label depends on the image only through the concepts, intervention with true concepts repairs corrupted ones,
and the chapter's recipe learns the concepts."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coursekit.data.xai_scenes import stroke_concepts
from coursekit.explain.concepts import concept_accuracy, concept_bottleneck_loss, intervene
from coursekit.models.concept_bottleneck import ConceptBottleneck, ConceptBottleneckConfig
from coursekit.models.utils import init_parameters_
from coursekit.training.loop import FitConfig, fit

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _model(seed=0):
    return init_parameters_(ConceptBottleneck(), torch.Generator().manual_seed(seed))


def test_joint_loss_is_cross_entropy_plus_lambda_times_mean_bce():
    g = torch.Generator().manual_seed(0)
    cl, yl = torch.randn(8, 6, generator=g), torch.randn(8, 3, generator=g)
    c, y = (torch.rand(8, 6, generator=g) > 0.5).float(), torch.randint(0, 3, (8,), generator=g)
    want_bce = torch.stack([-(c * torch.log(torch.sigmoid(cl)) + (1 - c) * torch.log(1 - torch.sigmoid(cl)))]).mean()
    want_ce = -torch.log_softmax(yl, 1)[torch.arange(8), y].mean()
    for lam in (0.0, 0.5, 5.0):
        torch.testing.assert_close(concept_bottleneck_loss(cl, yl, c, y, lam), want_ce + lam * want_bce)


def test_label_depends_on_the_image_only_through_the_concepts():
    model = _model().eval()
    x = torch.rand(4, 1, 16, 16, generator=torch.Generator().manual_seed(1))
    c_logits, y_logits = model.concepts_and_logits(x)
    torch.testing.assert_close(y_logits, F.linear(torch.sigmoid(c_logits), model.label_head.weight,
                                                  model.label_head.bias))
    # intervening on every concept makes the label a function of the concepts alone, whatever the image
    c = (torch.rand(4, 6, generator=torch.Generator().manual_seed(2)) > 0.5).float()
    a = intervene(model, x, c, torch.ones(6, dtype=torch.bool))
    b = intervene(model, torch.zeros_like(x), c, torch.ones(6, dtype=torch.bool))
    torch.testing.assert_close(a, b)


def test_concept_accuracy_matches_a_count():
    cl = torch.tensor([[1.0, -1.0, 0.5], [-2.0, 3.0, -0.1], [0.2, 0.2, 0.2]])
    c = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    torch.testing.assert_close(concept_accuracy(cl, c), torch.tensor([3 / 3, 2 / 3, 2 / 3]))


@pytest.fixture(scope="module")
def trained():
    """The chapter's recipe: 1,500 stroke images, λ = 5, 8 epochs at lr 2e-2."""
    X, c, y = stroke_concepts(1500, np.random.default_rng(0))
    model = _model()

    def loss(m, batch):
        return concept_bottleneck_loss(*m.concepts_and_logits(batch[0]), batch[1], batch[2], lam=5.0)

    fit(model, loss, (X, c, y), FitConfig(epochs=8, lr=2e-2), torch.Generator().manual_seed(0), progress=False)
    return model


def test_the_chapter_recipe_learns_the_concepts_and_intervention_repairs_noisy_images(trained):
    rng = np.random.default_rng(1)
    Xt, ct, yt = stroke_concepts(500, rng)
    with torch.no_grad():
        cl, yl = trained.eval().concepts_and_logits(Xt)
    assert concept_accuracy(cl, ct).min() > 0.95
    assert (yl.argmax(1) == yt).float().mean() > 0.95
    Xn, cn, yn = stroke_concepts(500, rng, noise=0.6)                  # much noisier than training
    plain = (trained(Xn).argmax(1) == yn).float().mean()
    fixed = (intervene(trained, Xn, cn, torch.ones(6, dtype=torch.bool)).argmax(1) == yn).float().mean()
    assert fixed > 0.95 and fixed > plain + 0.1


@pytest.mark.parametrize("call, words", [
    (lambda: ConceptBottleneckConfig(image_size=10), "multiple of 4"),
    (lambda: ConceptBottleneckConfig(channels=(4,)), "pair"),
    (lambda: ConceptBottleneck("tiny"), "ConceptBottleneckConfig"),
    (lambda: _model()(torch.zeros(2, 1, 12, 12)), "x"),
    (lambda: concept_bottleneck_loss(torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(2, 4),
                                     torch.zeros(2, dtype=torch.int64)), "c_logits"),
    (lambda: concept_bottleneck_loss(torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(2, 3),
                                     torch.zeros(2, dtype=torch.int64), lam=-1), "lam"),
    (lambda: intervene(_model(), torch.zeros(2, 1, 16, 16), torch.zeros(2, 5), torch.ones(5, dtype=torch.bool)),
     "c_true"),
])
def test_bad_input_raises(call, words):
    with pytest.raises(ValueError, match=words):
        call()
