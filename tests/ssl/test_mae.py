"""MAE: the per-sample 75% mask, the shuffle/restore round trip, visible-only encoding, loss on hidden patches only."""

from __future__ import annotations

import pytest
import torch

from coursekit.layers.patches import patchify
from coursekit.ssl.mae import MAE, MAEConfig, gather_tokens, mae_loss, random_masking, restore_order


def _g(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("B,N,r", [(5, 16, 0.75), (3, 64, 0.75), (2, 10, 0.5)])
def test_masking_hides_exactly_the_ratio_in_every_sample(B, N, r):
    ids_shuffle, ids_restore, mask = random_masking(B, N, r, _g())
    assert torch.equal(mask.sum(1), torch.full((B,), float(round(r * N))))
    for b in range(B):                                     # every row a permutation
        assert sorted(ids_shuffle[b].tolist()) == list(range(N))
    n_keep = N - round(r * N)
    visible = torch.zeros(B, N)
    for b in range(B):                                     # brute force: the kept ids are exactly mask == 0
        for i in ids_shuffle[b, :n_keep].tolist():
            visible[b, i] = 1
    assert torch.equal(visible, 1 - mask)


def test_masks_differ_between_samples():
    _, _, mask = random_masking(8, 16, 0.75, _g(1))
    assert len({tuple(m.tolist()) for m in mask}) > 1


def test_unshuffle_round_trips():
    B, N, D = 4, 16, 3
    x = torch.randn(B, N, D, generator=_g(2))
    ids_shuffle, ids_restore, _ = random_masking(B, N, 0.75, _g(3))
    shuffled = gather_tokens(x, ids_shuffle)
    assert torch.equal(restore_order(shuffled, ids_restore), x)
    assert torch.equal(ids_shuffle.gather(1, ids_restore), torch.arange(N).expand(B, N))
    for b in range(B):                                     # oracle: an explicit loop
        for i in range(N):
            assert torch.equal(shuffled[b, i], x[b, ids_shuffle[b, i]])


def test_loss_equals_a_loop_over_hidden_patches():
    pred, y = torch.randn(3, 16, 5, generator=_g(4)), torch.randn(3, 16, 5, generator=_g(5))
    _, _, mask = random_masking(3, 16, 0.75, _g(6))
    total, count = 0.0, 0
    for b in range(3):
        for n in range(16):
            if mask[b, n]:
                total += float(((pred[b, n] - y[b, n]) ** 2).mean())
                count += 1
    assert float(mae_loss(pred, y, mask)) == pytest.approx(total / count, rel=1e-6)


@pytest.mark.parametrize("norm_pix", [False, True])
def test_visible_patch_predictions_do_not_change_the_loss(norm_pix):
    pred, y = torch.randn(2, 16, 4, generator=_g(7)), torch.randn(2, 16, 4, generator=_g(8))
    _, _, mask = random_masking(2, 16, 0.75, _g(9))
    other = pred + (1 - mask)[..., None] * 100 * torch.randn(pred.shape, generator=_g(10))
    assert float(mae_loss(pred, y, mask, norm_pix)) == float(mae_loss(other, y, mask, norm_pix))
    p = pred.clone().requires_grad_(True)
    mae_loss(p, y, mask, norm_pix).backward()
    assert torch.all(p.grad[mask == 0] == 0) and torch.any(p.grad[mask == 1] != 0)


def test_norm_pix_target_is_standardised_per_patch():
    y = torch.randn(1, 4, 9, generator=_g(11)) * 3 + 2
    mask = torch.ones(1, 4)
    t = (y - y.mean(-1, keepdim=True)) / (y.var(-1, keepdim=True) + 1e-6).sqrt()
    assert float(mae_loss(t, y, mask, norm_pix=True)) == pytest.approx(0.0, abs=1e-10)


def test_loss_gradcheck_float64():
    pred = torch.randn(2, 4, 3, dtype=torch.float64, generator=_g(12), requires_grad=True)
    y = torch.randn(2, 4, 3, dtype=torch.float64, generator=_g(13))
    mask = torch.tensor([[1.0, 0, 1, 1], [0, 1, 1, 1]], dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda p: mae_loss(p, y, mask, True), (pred,))


def test_encoder_sees_visible_tokens_only():
    torch.manual_seed(0)
    mae = MAE(MAEConfig(n_registers=2), generator=_g(14))
    seen = []
    mae.encoder.blocks.register_forward_hook(lambda m, i, o: seen.append(i[0].shape))
    x = torch.rand(3, 1, 28, 28, generator=_g(15))
    loss, pred, mask = mae(x, _g(16))
    assert seen == [torch.Size([3, 4 + 2, 48])]            # 16 patches, 4 visible, plus 2 registers
    assert pred.shape == (3, 16, 49) and torch.equal(mask.sum(1), torch.full((3,), 12.0))
    # changing the hidden pixels changes neither the encoder's input nor anything the encoder computes
    patches = patchify(x, 7)
    hidden = mask[..., None].bool().expand_as(patches)
    noisy = torch.where(hidden, torch.rand(patches.shape, generator=_g(17)), patches)
    ids, _, _ = random_masking(3, 16, 0.75, _g(16))
    with torch.no_grad():
        assert torch.allclose(mae.encoder(patches, ids[:, :4]), mae.encoder(noisy, ids[:, :4]), atol=0)
    assert torch.isfinite(loss)


def test_bad_inputs():
    with pytest.raises(ValueError, match="mask_ratio"):
        random_masking(2, 16, 1.5, _g())
    with pytest.raises(ValueError, match="keep at least one"):
        random_masking(2, 4, 0.9, _g())
    with pytest.raises(ValueError, match="ids_restore"):
        restore_order(torch.zeros(2, 4, 3), torch.zeros(2, 5, dtype=torch.long))
    with pytest.raises(ValueError, match="mask"):
        mae_loss(torch.zeros(1, 4, 2), torch.zeros(1, 4, 2), torch.zeros(1, 3))
    with pytest.raises(ValueError, match="no patch"):
        mae_loss(torch.zeros(1, 4, 2), torch.zeros(1, 4, 2), torch.zeros(1, 4))
    with pytest.raises(ValueError, match="images"):
        MAE()(torch.zeros(2, 1, 32, 32), _g())
