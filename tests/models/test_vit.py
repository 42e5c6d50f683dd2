"""coursekit.models.vit: parameter counts by formula == numel() of the built model (ViT-Ti/S/B/L, built on the
meta device) and the published sizes; FLOPs by formula == torch's FlopCounterMode; DeiT's distillation token
and hard-label loss; ViT is permutation-equivariant without its position table; the tiny ViT vs CNN target."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from coursekit.models.vit import (
    ViT,
    ViTConfig,
    deit_hard_distillation_loss,
    vit_flops,
    vit_parameter_count,
    vit_preset,
)


def _numel(config):
    with torch.device("meta"):                                   # no memory: ViT-L would need 1.2 GB
        model = ViT(config)
    return sum(p.numel() for p in model.parameters())


# Published sizes: ViT paper Table 1 (B 86M, L 307M — see SYLLABUS: 304M is right, 307M is a typo), DeiT Table 1
# (Ti 5M, S 22M, B 86M). The exact counts are those of the reference implementations (timm), e.g. 86,567,656.
@pytest.mark.parametrize("name, published", [("Ti/16", 5_717_416), ("S/16", 22_050_664), ("B/16", 86_567_656),
                                             ("L/16", 304_326_632)])
def test_parameter_formula_equals_numel_and_the_published_count(name, published):
    config = vit_preset(name)
    assert vit_parameter_count(config) == _numel(config) == published


@pytest.mark.parametrize("config", [ViTConfig(), ViTConfig(distillation=True, mlp_ratio=4, depth=2),
                                    vit_preset("B/32", image_size=384), ViTConfig(image_size=12, patch_size=3, in_channels=3)])
def test_parameter_formula_on_other_configs(config):
    assert vit_parameter_count(config) == _numel(config)


@pytest.mark.parametrize("config", [ViTConfig(), ViTConfig(distillation=True, dim=32, depth=2, heads=2, mlp_ratio=4),
                                    ViTConfig(image_size=32, patch_size=8, in_channels=3, dim=48, heads=3)])
def test_flop_formula_equals_torch_flop_counter(config):
    model = ViT(config, generator=torch.Generator().manual_seed(0))
    x = torch.zeros(1, config.in_channels, config.image_size, config.image_size)
    with FlopCounterMode(display=False) as counter:
        model.heads(x)
    assert counter.get_total_flops() == vit_flops(config)        # integer counts: exact


def test_vit_b16_flops_are_about_17_6_billion_multiply_adds():
    assert round(vit_flops(vit_preset("B/16")) / 2e9, 1) == 17.6          # the figure quoted for ViT-B/16 at 224²


def test_config_validation():
    with pytest.raises(ValueError, match="multiple of patch_size"):
        ViTConfig(image_size=15)
    with pytest.raises(ValueError, match="divisible by heads"):
        ViTConfig(dim=30, heads=4)
    with pytest.raises(ValueError, match="looks? like"):
        vit_preset("Z/16")
    with pytest.raises(ValueError, match="ViTConfig"):
        ViT({"dim": 3})


def test_without_positions_the_encoder_is_permutation_equivariant_not_invariant():
    model = ViT(ViTConfig(dim=16, heads=2, depth=2), generator=torch.Generator().manual_seed(0)).double()
    with torch.no_grad():
        model.pos_embed.weight.zero_()
    x = torch.randn(2, 1, 16, 16, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    perm = torch.randperm(16, generator=torch.Generator().manual_seed(2))
    from coursekit.layers.patches import patchify, unpatchify
    xp = unpatchify(patchify(x, 4)[:, perm], 4, (4, 4), 1)      # shuffle the patches
    z, zp = model.tokens(x), model.tokens(xp)
    torch.testing.assert_close(zp[:, 1:], z[:, 1:][:, perm], atol=1e-10, rtol=0)   # tokens move with their patches
    torch.testing.assert_close(zp[:, 0], z[:, 0], atol=1e-10, rtol=0)               # [CLS] does not change
    model.pos_embed.weight.data.normal_(0, 1, generator=torch.Generator().manual_seed(3))
    assert not torch.allclose(model(x), model(xp))               # with positions, order matters


def test_deit_token_heads_and_loss():
    config = ViTConfig(dim=16, heads=2, depth=1, distillation=True)
    model = ViT(config, generator=torch.Generator().manual_seed(0))
    x = torch.randn(4, 1, 16, 16, generator=torch.Generator().manual_seed(1))
    cls, dist = model.heads(x)
    assert cls.shape == dist.shape == (4, 10) and not torch.allclose(cls, dist)
    torch.testing.assert_close(model(x), (cls + dist) / 2)
    _, maps = model.tokens(x, need_weights=True)
    assert maps[0].shape == (4, 2, 18, 18)                       # [CLS] + distillation token + 16 patches
    y = torch.tensor([0, 1, 2, 3])
    teacher = torch.randn(4, 10, generator=torch.Generator().manual_seed(2)) * 5
    expected = 0.5 * F.cross_entropy(cls, y) + 0.5 * F.cross_entropy(dist, teacher.argmax(1))
    torch.testing.assert_close(deit_hard_distillation_loss(cls, dist, y, teacher), expected)
    # the teacher's confidence does not matter, only its decision
    torch.testing.assert_close(deit_hard_distillation_loss(cls, dist, y, teacher * 100), expected)
    with pytest.raises(ValueError, match="labels"):
        deit_hard_distillation_loss(cls, dist, y[:2], teacher)
    assert ViT(ViTConfig(dim=16, heads=2, depth=1)).heads(x)[1] is None


def test_presets_build_on_the_meta_device_without_allocating():
    # Every layer, including those created with nn.utils.skip_init, must follow the device context, or
    # "counting on the meta device" would silently allocate (and randomly fill) ViT-L's 1.2 GB on the CPU.
    with torch.device("meta"):
        model = ViT(vit_preset("L/16"))
    assert all(p.is_meta for p in model.parameters())
    assert sum(p.numel() for p in model.parameters()) == vit_parameter_count(vit_preset("L/16"))
