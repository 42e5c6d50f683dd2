"""DINO: centre-and-sharpen teacher, the centre's EMA, the multi-crop loss against a loop of F.cross_entropy,
the teacher seeing only global crops, and the collapse that follows from removing centering or sharpening."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from coursekit.ssl.dino import (DINOObjective, batch_entropy, dino_loss, ema_teacher_, feature_std, mean_entropy,
                                teacher_probs, update_center)


def _g(seed=0):
    return torch.Generator().manual_seed(seed)


def test_teacher_probs_centre_then_sharpen():
    t, c = torch.randn(5, 7, generator=_g(1)), torch.randn(7, generator=_g(2))
    expected = torch.exp((t - c) / 0.04) / torch.exp((t - c) / 0.04).sum(1, keepdim=True)
    assert torch.allclose(teacher_probs(t, c, 0.04), expected, atol=1e-6)
    # sharpening lowers the entropy; a constant shift of all logits changes nothing
    assert mean_entropy(teacher_probs(t, c, 0.04)) < mean_entropy(teacher_probs(t, c, 1.0))
    assert torch.allclose(teacher_probs(t + 3.0, c, 0.1), teacher_probs(t, c, 0.1), atol=1e-6)


def test_center_update_is_the_ema_of_the_batch_mean():
    c, t = torch.randn(6, generator=_g(3)), torch.randn(2, 4, 6, generator=_g(4))
    m = 0.9
    expected = c.clone()
    mean = sum(t[v, b] for v in range(2) for b in range(4)) / 8      # loop over views and samples
    expected = m * expected + (1 - m) * mean
    assert torch.allclose(update_center(c, t, m), expected, atol=1e-6)
    assert torch.equal(update_center(c, t, 1.0), c)


def test_loss_equals_a_loop_of_cross_entropies_over_different_views():
    V, G, B, K = 5, 2, 4, 9
    s, t = torch.randn(V, B, K, generator=_g(5)), torch.randn(G, B, K, generator=_g(6))
    c = torch.randn(K, generator=_g(7))
    terms = []
    for i in range(G):
        p_t = F.softmax((t[i] - c) / 0.04, dim=-1)
        for j in range(V):
            if i != j:                                               # the same view never pairs with itself
                terms.append(F.cross_entropy(s[j] / 0.1, p_t))       # soft-label cross-entropy, batch mean
    assert float(dino_loss(s, t, c, 0.1, 0.04)) == pytest.approx(float(sum(terms) / len(terms)), rel=1e-5)


def test_no_gradient_reaches_the_teacher_and_it_sees_global_crops_only():
    student = nn.Linear(3, 8)
    obj = DINOObjective(student, n_global=2)
    seen = []
    obj.teacher.register_forward_hook(lambda m, i, o: seen.append(i[0]))
    views = [torch.randn(4, 3, generator=_g(k)) for k in range(5)]
    obj(views).backward()
    assert len(seen) == 2 and all(torch.equal(a, b) for a, b in zip(seen, views[:2]))
    assert all(p.grad is None for p in obj.teacher.parameters())
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in student.parameters())


def test_loss_gradcheck_float64():
    s = torch.randn(3, 2, 4, dtype=torch.float64, generator=_g(8), requires_grad=True)
    t = torch.randn(2, 2, 4, dtype=torch.float64, generator=_g(9))
    c = torch.randn(4, dtype=torch.float64, generator=_g(10))
    assert torch.autograd.gradcheck(lambda x: dino_loss(x, t, c), (s,))


def test_ema_teacher_and_diagnostics():
    t, s = nn.Linear(2, 2), nn.Linear(2, 2)
    before = [p.clone() for p in t.parameters()]
    ema_teacher_(t, s, 0.9)
    for b, a, o in zip(before, t.parameters(), s.parameters()):
        assert torch.allclose(a, 0.9 * b + 0.1 * o, atol=1e-7)
    K = 8
    assert float(mean_entropy(torch.full((4, K), 1 / K))) == pytest.approx(math.log(K), rel=1e-6)
    one_hot = F.one_hot(torch.tensor([0, 1, 2, 3]), K).float()
    assert float(mean_entropy(one_hot)) == pytest.approx(0, abs=1e-9)
    assert float(batch_entropy(one_hot)) == pytest.approx(math.log(4), rel=1e-6)
    assert float(feature_std(torch.ones(5, 3))) == 0 and float(feature_std(torch.randn(50, 3, generator=_g()))) > 0.3


def _tiny_run(tau_t, centering, steps=100, K=16):
    """The chapter's tiny run: 64 random 8-D points, three noisy views each, an MLP head, SGD."""
    g = _g(0)
    torch.manual_seed(0)                       # nn.Linear's initialisation
    student = nn.Sequential(nn.Linear(8, 32), nn.GELU(), nn.Linear(32, K))
    obj = DINOObjective(student, n_global=2, tau_s=0.1, tau_t=tau_t, centering=centering)
    opt = torch.optim.SGD(student.parameters(), lr=0.1)
    x = torch.randn(64, 8, generator=g)
    for _ in range(steps):
        loss = obj([x + 0.3 * torch.randn(x.shape, generator=g) for _ in range(3)])
        opt.zero_grad()
        loss.backward()
        opt.step()
        obj.step_teacher(0.9)
    with torch.no_grad():
        p = teacher_probs(obj.teacher(x), obj.center, tau_t)
    return float(mean_entropy(p)), float(batch_entropy(p))


@pytest.mark.slow
def test_removing_centering_or_sharpening_collapses():
    log_k = math.log(16)
    full_h, full_hb = _tiny_run(0.04, True)
    assert full_h < 0.3 * log_k and full_hb > 0.8 * log_k          # confident per sample, diverse across samples
    _, nocenter_hb = _tiny_run(0.04, False)
    assert nocenter_hb < 0.6 * full_hb                              # a few dimensions take over
    nosharp_h, _ = _tiny_run(0.1, True)                             # τ_t = τ_s: no sharpening
    assert nosharp_h > 0.8 * log_k                                  # towards the uniform output


def test_bad_inputs():
    with pytest.raises(ValueError, match="center"):
        teacher_probs(torch.zeros(2, 4), torch.zeros(3))
    with pytest.raises(ValueError, match="tau_t"):
        teacher_probs(torch.zeros(2, 4), torch.zeros(4), 0.0)
    with pytest.raises(ValueError, match="teacher_logits"):
        dino_loss(torch.zeros(3, 2, 4), torch.zeros(2, 5, 4), torch.zeros(4))
    with pytest.raises(ValueError, match="global crops"):
        dino_loss(torch.zeros(1, 2, 4), torch.zeros(2, 2, 4), torch.zeros(4))
    with pytest.raises(ValueError, match="momentum"):
        update_center(torch.zeros(4), torch.zeros(2, 4), 1.5)
    with pytest.raises(ValueError, match="architecture"):
        ema_teacher_(nn.Linear(2, 2), nn.Linear(2, 3), 0.9)
