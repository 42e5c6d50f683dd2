"""Checks of Chapter 11's exercises: patchify, window partition, the shifted-window mask, the ViT parameter
count, DeiT's hard-label distillation loss and attention rollout. Inputs and outputs are plain data (NumPy arrays, ints)."""

from __future__ import annotations

import numpy as np
import torch

from coursekit.explain.attention import attention_rollout
from coursekit.grading import Case, Check
from coursekit.layers.patches import patchify
from coursekit.layers.swin import shifted_window_mask, window_partition
from coursekit.models.vit import ViTConfig, deit_hard_distillation_loss, vit_parameter_count

__all__ = ["CHECKS", "patchify_reference", "window_partition_reference", "shift_mask_reference",
           "vit_params_reference", "deit_loss_reference"]


def _review_with(mistakes, atol=1e-9):
    def review(outcomes) -> None:
        for o in outcomes:
            if o.result.passed or o.answer.kind != "returned" or o.case.probe:
                continue
            for wrong, advice in mistakes:
                try:
                    w = wrong(*o.case.args, **o.case.kwargs)
                    g = np.asarray(o.got, dtype=np.float64)
                    if g.shape == np.shape(w) and np.allclose(g, w, atol=atol):
                        o.result.hint += " Hint: " + advice
                        break
                except Exception:
                    continue
    return review


def patchify_reference(image, P):
    """(C, H, W) → (N, C·P·P), patches in raster order, each flattened in (C, P, P) order."""
    return patchify(torch.from_numpy(np.asarray(image, np.float64))[None], int(P))[0].numpy()


def _patchify_cases(rng):
    yield Case("a 1×4×4 ramp, P = 2", (np.arange(16.0).reshape(1, 4, 4), 2))
    yield Case("random 3×8×12, P = 4", (rng.normal(size=(3, 8, 12)), 4))
    yield Case("random 2×6×6, P = 3", (rng.normal(size=(2, 6, 6)), 3))
    yield Case("random 1×16×16, P = 4", (rng.normal(size=(1, 16, 16)), 4))


def _patchify_channels_last(image, P):
    C, H, W = image.shape
    return image.reshape(C, H // P, P, W // P, P).transpose(1, 3, 2, 4, 0).reshape(-1, P * P * C)


def _patchify_no_transpose(image, P):
    C, H, W = image.shape
    return image.reshape(-1, C * P * P)


def window_partition_reference(x, M):
    """(H, W, C) → (nW, M·M, C)."""
    return window_partition(torch.from_numpy(np.asarray(x, np.float64))[None], int(M)).numpy()


def _window_cases(rng):
    yield Case("a 4×4×1 ramp, M = 2", (np.arange(16.0).reshape(4, 4, 1), 2))
    yield Case("random 8×12×3, M = 4", (rng.normal(size=(8, 12, 3)), 4))
    yield Case("random 14×7×2, M = 7", (rng.normal(size=(14, 7, 2)), 7))
    yield Case("random 6×6×5, M = 3", (rng.normal(size=(6, 6, 5)), 3))


def _window_plain_reshape(x, M):
    return x.reshape(-1, M * M, x.shape[-1])


def shift_mask_reference(H, W, M, s):
    """(nW, M², M²) bool: True where two tokens of a shifted window may attend."""
    return shifted_window_mask(int(H), int(W), int(M), int(s)).numpy()


def _mask_cases(rng):
    yield Case("8×8 map, M = 4, s = 2", (8, 8, 4, 2))
    yield Case("14×21 map, M = 7, s = 3", (14, 21, 7, 3))
    yield Case("12×8 map, M = 4, s = 1", (12, 8, 4, 1))
    yield Case("8×8 map, M = 4, s = 0 (no shift)", (8, 8, 4, 0))


def _mask_all_true(H, W, M, s):
    return np.ones(((H // M) * (W // M), M * M, M * M), bool)


def vit_params_reference(image_size, patch_size, in_channels, num_classes, dim, depth, mlp_ratio):
    """The parameter count of a ViT (one [CLS] token, learned positions, biases everywhere)."""
    return vit_parameter_count(ViTConfig(image_size=image_size, patch_size=patch_size, in_channels=in_channels,
                                         num_classes=num_classes, dim=dim, depth=depth, heads=1,
                                         mlp_ratio=mlp_ratio))


def _params_cases(rng):
    yield Case("ViT-B/16: 224², 3 channels, 1000 classes, D = 768, L = 12, r = 4", (224, 16, 3, 1000, 768, 12, 4))
    yield Case("ViT-L/16", (224, 16, 3, 1000, 1024, 24, 4))
    yield Case("the tiny digits ViT", (16, 4, 1, 10, 64, 4, 2))
    yield Case("ViT-Ti/16 at 384²", (384, 16, 3, 1000, 192, 12, 4))


def _params_no_positions(image_size, patch_size, in_channels, num_classes, dim, depth, mlp_ratio):
    n = (image_size // patch_size) ** 2
    return vit_params_reference(image_size, patch_size, in_channels, num_classes, dim, depth, mlp_ratio) - (n + 1) * dim


def _params_no_biases(image_size, patch_size, in_channels, num_classes, dim, depth, mlp_ratio):
    D, r = dim, mlp_ratio
    return (vit_params_reference(image_size, patch_size, in_channels, num_classes, dim, depth, mlp_ratio)
            - D - depth * (4 * D + r * D) - num_classes)


def deit_loss_reference(cls_logits, dist_logits, labels, teacher_logits):
    """½·CE(cls, y) + ½·CE(dist, argmax teacher), a float."""
    t = lambda a: torch.from_numpy(np.asarray(a, np.float64))
    return float(deit_hard_distillation_loss(t(cls_logits), t(dist_logits), torch.from_numpy(np.asarray(labels)).long(),
                                             t(teacher_logits)))


def _deit_cases(rng):
    def case(B, K, scale=3.0):
        logits = [rng.normal(size=(B, K)) * scale for _ in range(3)]
        return logits[0], logits[1], rng.integers(0, K, size=B), logits[2]
    yield Case("B = 4, K = 3", case(4, 3))
    yield Case("B = 16, K = 10", case(16, 10))
    yield Case("B = 1, K = 5, a confident teacher", case(1, 5, scale=20.0))
    yield Case("B = 32, K = 2", case(32, 2))


def _softmax_log(z):
    z = z - z.max(1, keepdims=True)
    return z - np.log(np.exp(z).sum(1, keepdims=True))


def _deit_soft_teacher(cls_logits, dist_logits, labels, teacher_logits):
    ce_cls = -_softmax_log(cls_logits)[np.arange(len(labels)), labels].mean()
    p_t = np.exp(_softmax_log(teacher_logits))
    return 0.5 * ce_cls + 0.5 * float(-(p_t * _softmax_log(dist_logits)).sum(1).mean())


def _deit_no_half(cls_logits, dist_logits, labels, teacher_logits):
    return 2 * deit_loss_reference(cls_logits, dist_logits, labels, teacher_logits)


def _deit_swapped_heads(cls_logits, dist_logits, labels, teacher_logits):
    return deit_loss_reference(dist_logits, cls_logits, labels, teacher_logits)


def _rollout_reference(attentions):
    return attention_rollout([np.asarray(a, np.float64) for a in attentions])


def _rollout_cases(rng):
    def layer(h, T):
        a = rng.random((h, T, T))
        return a / a.sum(-1, keepdims=True)
    yield Case("2 layers, 1 head, 3 tokens", ([layer(1, 3), layer(1, 3)],))
    yield Case("4 layers, 3 heads, 5 tokens", ([layer(3, 5) for _ in range(4)],))
    yield Case("3 layers, 2 heads, 17 tokens", ([layer(2, 17) for _ in range(3)],))
    yield Case("1 layer, 4 heads, 6 tokens", ([layer(4, 6)],))


def _rollout_no_identity(attentions):
    return attention_rollout(attentions, residual=0.0)


def _rollout_wrong_order(attentions):
    R = np.eye(attentions[0].shape[-1])
    for a in attentions:
        R = R @ (0.5 * (a.mean(0) + np.eye(len(R))))
    return R


CHECKS = [
    Check("ch11.patchify", cases=_patchify_cases, reference=patchify_reference, atol=1e-12,
          review=_review_with([(_patchify_channels_last, "flatten each patch in (C, P, P) order, channel first, "
                                                         "the layout of a convolution weight."),
                               (_patchify_no_transpose, "a plain reshape mixes rows of different patches: split H "
                                                        "and W into (H/P, P) and (W/P, P) and transpose first.")]),
          implements=(patchify,)),
    Check("ch11.window_partition", cases=_window_cases, reference=window_partition_reference, atol=0,
          review=_review_with([(_window_plain_reshape, "split H and W into (H/M, M) and (W/M, M) and bring the two "
                                                       "window axes together before reshaping.")]),
          implements=(window_partition,)),
    Check("ch11.shift_mask", cases=_mask_cases, reference=shift_mask_reference, atol=0,
          review=_review_with([(_mask_all_true, "after the roll, tokens that wrapped around must not see the "
                                                "others in their window: label regions and compare labels.")]),
          implements=(shifted_window_mask,)),
    Check("ch11.vit_params", cases=_params_cases, reference=vit_params_reference, atol=0,
          review=_review_with([(_params_no_positions, "count the learned position table: (N + 1)·D."),
                               (_params_no_biases, "every linear layer (and the patch embedding) has a bias.")]),
          implements=(vit_parameter_count,)),
    Check("ch11.deit_loss", cases=_deit_cases, reference=deit_loss_reference, atol=1e-9,
          review=_review_with([(_deit_soft_teacher, "hard-label distillation uses only the teacher's decision, "
                                                    "argmax of its logits, as the target of the distillation head."),
                               (_deit_no_half, "the two cross-entropies are averaged: weight each by ½."),
                               (_deit_swapped_heads, "the [CLS] head learns the labels y, the distillation head the "
                                                     "teacher's decisions.")]),
          implements=(deit_hard_distillation_loss,)),
    Check("ch11.rollout", cases=_rollout_cases, reference=_rollout_reference, atol=1e-9,
          review=_review_with([(_rollout_no_identity, "add the identity for the residual path: Â = ½(A + I)."),
                               (_rollout_wrong_order, "the later layer multiplies on the left: R ← Â_l R.")]),
          implements=(attention_rollout,)),
]
