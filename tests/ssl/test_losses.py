"""Oracle tests for coursekit.ssl.losses: explicit double loops (float64) and F.cross_entropy formulations.

Tolerance: 1e-6 absolute as the issue requires; in float64 the loops and the vectorised losses agree to ~1e-15.
"""

import math

import pytest
import torch
import torch.nn.functional as F

from coursekit.ssl.losses import byol_loss, clip_loss, info_nce, moco_loss, nt_xent, zero_shot_logits


def _g(seed=0):
    return torch.Generator().manual_seed(seed)


def _emb(n, d, seed=0):
    return torch.randn(n, d, generator=_g(seed), dtype=torch.float64)


def _cos(a, b):
    return float(a @ b) / (math.sqrt(float(a @ a)) * math.sqrt(float(b @ b)))


def loop_info_nce(q, k, tau):
    N, total = len(q), 0.0
    for i in range(N):
        den = sum(math.exp(_cos(q[i], k[j]) / tau) for j in range(N))
        total -= math.log(math.exp(_cos(q[i], k[i]) / tau) / den)
    return total / N


def loop_nt_xent(z1, z2, tau):
    z = torch.cat([z1, z2]); N2 = len(z); N = N2 // 2; total = 0.0
    for a in range(N2):
        p = (a + N) % N2
        den = sum(math.exp(_cos(z[a], z[j]) / tau) for j in range(N2) if j != a)
        total -= math.log(math.exp(_cos(z[a], z[p]) / tau) / den)
    return total / N2


@pytest.mark.parametrize("tau", [0.05, 0.2, 1.0])
def test_info_nce_equals_double_loop(tau):
    q, k = _emb(7, 5, 0), _emb(7, 5, 1)
    assert float(info_nce(q, k, tau)) == pytest.approx(loop_info_nce(q, k, tau), abs=1e-6)


@pytest.mark.parametrize("tau", [0.1, 0.5, 2.0])
def test_nt_xent_equals_double_loop(tau):
    z1, z2 = _emb(6, 4, 2), _emb(6, 4, 3)
    assert float(nt_xent(z1, z2, tau)) == pytest.approx(loop_nt_xent(z1, z2, tau), abs=1e-6)


def test_nt_xent_equals_cross_entropy_over_other_views():
    # Another formulation: for each anchor, logits over the 2N - 1 other views (diagonal removed).
    z1, z2, tau = _emb(5, 3, 4), _emb(5, 3, 5), 0.3
    z = F.normalize(torch.cat([z1, z2]), dim=1); N2 = len(z); N = N2 // 2
    keep = ~torch.eye(N2, dtype=torch.bool)
    logits = (z @ z.T / tau)[keep].reshape(N2, N2 - 1)
    pos = torch.tensor([(a + N) % N2 for a in range(N2)])
    target = pos - (pos > torch.arange(N2)).long()          # column index after removing the diagonal
    assert float(nt_xent(z1, z2, tau)) == pytest.approx(float(F.cross_entropy(logits, target)), abs=1e-6)


def test_info_nce_is_cross_entropy_of_cosine_logits_and_symmetric_pieces():
    q, k, tau = _emb(6, 4, 6), _emb(6, 4, 7), 0.5
    cos = F.cosine_similarity(q[:, None], k[None], dim=2)   # (N, N) independent cosine
    assert float(info_nce(q, k, tau)) == pytest.approx(float(F.cross_entropy(cos / tau, torch.arange(6))), abs=1e-6)
    # CLIP = mean of the two directions
    assert float(clip_loss(q, k, tau)) == pytest.approx(
        (loop_info_nce(q, k, tau) + loop_info_nce(k, q, tau)) / 2, abs=1e-6)


def test_moco_loss_equals_loop_and_blocks_gradients_to_keys_and_queue():
    q, k, queue, tau = _emb(4, 3, 8), _emb(4, 3, 9), _emb(10, 3, 10), 0.2
    ref = 0.0
    for i in range(4):
        pos = math.exp(_cos(q[i], k[i]) / tau)
        ref -= math.log(pos / (pos + sum(math.exp(_cos(q[i], c) / tau) for c in queue)))
    q.requires_grad_(True); k.requires_grad_(True); queue.requires_grad_(True)
    loss = moco_loss(q, k, queue, tau)
    assert loss.item() == pytest.approx(ref / 4, abs=1e-6)
    loss.backward()
    assert q.grad is not None and k.grad is None and queue.grad is None


def test_byol_loss_value_and_stop_gradient():
    p, z = _emb(5, 4, 11).requires_grad_(True), _emb(5, 4, 12).requires_grad_(True)
    loss = byol_loss(p, z)
    ref = sum(2 - 2 * _cos(p[i].detach(), z[i].detach()) for i in range(5)) / 5
    assert loss.item() == pytest.approx(ref, abs=1e-6)
    loss.backward()
    assert z.grad is None and p.grad is not None and float(p.grad.abs().sum()) > 0


def test_losses_scale_invariant_and_gradcheck():
    q, k = _emb(4, 3, 13), _emb(4, 3, 14)
    assert float(nt_xent(3 * q, 0.5 * k)) == pytest.approx(float(nt_xent(q, k)), abs=1e-12)
    for fn in (info_nce, nt_xent, clip_loss):
        a = q.clone().requires_grad_(True); b = k.clone().requires_grad_(True)
        assert torch.autograd.gradcheck(lambda x, y, fn=fn: fn(x, y, 0.5), (a, b))


def test_zero_shot_averages_prompts_per_class():
    img, prompts = _emb(6, 4, 15), torch.randn(3, 2, 4, generator=_g(16), dtype=torch.float64)
    out = zero_shot_logits(img, prompts, temperature=0.5)
    for c in range(3):
        v = sum(p / p.norm() for p in prompts[c]); v = v / v.norm()
        for i in range(6):
            assert float(out[i, c]) == pytest.approx(_cos(img[i], v) / 0.5, abs=1e-9)


def test_bad_inputs():
    a = torch.zeros(3, 4)
    with pytest.raises(ValueError):
        info_nce(a, torch.zeros(2, 4))
    with pytest.raises(ValueError):
        nt_xent(a, a, temperature=0.0)
    with pytest.raises(TypeError):
        clip_loss(torch.zeros(3, 4, dtype=torch.long), torch.zeros(3, 4, dtype=torch.long))
    with pytest.raises(ValueError):
        moco_loss(a, a, torch.zeros(5, 3))
    with pytest.raises(ValueError):
        zero_shot_logits(a, torch.zeros(2, 4))
