"""Checks of Chapter 13's exercises: MAE's restore indices and masked loss, DINO's teacher probabilities, centre
update and multi-crop loss, and the rotation pretext batch. Inputs and outputs are plain data (NumPy arrays)."""

from __future__ import annotations

import numpy as np
import torch

from coursekit.grading import Case, Check, review_with
from coursekit.ssl.dino import dino_loss, teacher_probs, update_center
from coursekit.ssl.mae import mae_loss, random_masking, restore_order
from coursekit.ssl.pretext import rotation_batch

__all__ = ["CHECKS", "restore_ids_reference", "mae_loss_reference", "teacher_probs_reference",
           "update_center_reference", "dino_loss_reference", "rotation_batch_reference"]


def _t(a):
    return torch.from_numpy(np.asarray(a, np.float64))


# ----------------------------------------------------------------------------- ch13.restore_ids

def restore_ids_reference(ids_shuffle):
    """(B, N) permutations → (B, N) inverse permutations, so that ``ids_shuffle[b, ids_restore[b, i]] == i``."""
    return np.argsort(np.asarray(ids_shuffle), axis=1, kind="stable")


def _restore_cases(rng):
    yield Case("one hand-made permutation of 4", (np.array([[2, 0, 3, 1]]),))
    for B, N in [(3, 16), (5, 9), (2, 49)]:
        yield Case(f"{B} random permutations of {N}", (np.stack([rng.permutation(N) for _ in range(B)]),))


def _restore_same(ids_shuffle):
    return np.asarray(ids_shuffle)


# ----------------------------------------------------------------------------- ch13.mae_loss

def mae_loss_reference(pred, patches, mask):
    """Mean squared error over the hidden patches only (mask 1), each patch's error averaged over its pixels."""
    return float(mae_loss(_t(pred), _t(patches), _t(mask)))


def _mae_cases(rng):
    for B, N, P in [(1, 4, 3), (3, 16, 49), (2, 64, 16)]:
        _, _, mask = random_masking(B, N, 0.75, torch.Generator().manual_seed(int(rng.integers(1 << 30))))
        yield Case(f"{B} images, {N} patches of {P} pixels, 75% hidden",
                   (rng.normal(size=(B, N, P)), rng.normal(size=(B, N, P)), mask.double().numpy()))


def _mae_all(pred, patches, mask):
    return float(((np.asarray(pred) - patches) ** 2).mean())


def _mae_visible(pred, patches, mask):
    return mae_loss_reference(pred, patches, 1 - np.asarray(mask))


def _mae_sum(pred, patches, mask):
    return float((((np.asarray(pred) - patches) ** 2).mean(-1) * mask).sum())


# ----------------------------------------------------------------------------- ch13.teacher_probs

def teacher_probs_reference(logits, center, tau_t):
    """softmax((logits - center) / tau_t) over the last axis."""
    return teacher_probs(_t(logits), _t(center), float(tau_t)).numpy()


def _probs_cases(rng):
    for B, K, tau in [(2, 3, 1.0), (4, 8, 0.04), (6, 16, 0.1)]:
        yield Case(f"{B}×{K} logits, a random centre, τ_t = {tau}",
                   (rng.normal(size=(B, K)), rng.normal(size=K), tau))


def _probs_no_center(logits, center, tau_t):
    return teacher_probs_reference(logits, np.zeros_like(center), tau_t)


def _probs_no_tau(logits, center, tau_t):
    return teacher_probs_reference(logits, center, 1.0)


# ----------------------------------------------------------------------------- ch13.update_center

def update_center_reference(center, logits, m):
    """c ← m c + (1 - m) · mean over the batch of the teacher's logits (B, K)."""
    return update_center(_t(center), _t(logits), float(m)).numpy()


def _center_cases(rng):
    for B, K, m in [(2, 3, 0.5), (8, 16, 0.9), (5, 7, 0.99)]:
        yield Case(f"centre of {K}, a batch of {B}, m = {m}", (rng.normal(size=K), rng.normal(size=(B, K)), m))


def _center_swapped(center, logits, m):
    return update_center_reference(center, logits, 1 - m)


def _center_sum(center, logits, m):
    return m * np.asarray(center) + (1 - m) * np.asarray(logits).sum(0)


# ----------------------------------------------------------------------------- ch13.dino_loss

def dino_loss_reference(student_logits, teacher_logits, center, tau_s, tau_t):
    """Mean over pairs (teacher view i, student view j ≠ i) and the batch of H(P_t, P_s)."""
    return float(dino_loss(_t(student_logits), _t(teacher_logits), _t(center), float(tau_s), float(tau_t)))


def _dino_cases(rng):
    for V, G, B, K in [(2, 2, 1, 3), (4, 2, 3, 8), (6, 2, 5, 16)]:
        yield Case(f"{V} student views ({G} global), batch {B}, K = {K}",
                   (rng.normal(size=(V, B, K)), rng.normal(size=(G, B, K)), rng.normal(size=K), 0.1, 0.04))


def _dino_with_same_view(s, t, c, tau_s, tau_t):
    s, t = _t(s), _t(t)
    p = teacher_probs(t, _t(c), tau_t)
    logp = torch.log_softmax(s / tau_s, -1)
    return float(-torch.einsum("gbk,vbk->gv", p, logp).mean() / s.shape[1])


def _dino_no_center(s, t, c, tau_s, tau_t):
    return dino_loss_reference(s, t, np.zeros_like(c), tau_s, tau_t)


# ----------------------------------------------------------------------------- ch13.rotation_batch

def rotation_batch_reference(images):
    """(B, H, H) → (4B, H, H) images (k·90° counter-clockwise, image k·B + b) and (4B,) labels k."""
    x, y = rotation_batch(_t(images)[:, None])
    return x[:, 0].numpy(), y.numpy()


def _rot_cases(rng):
    yield Case("one 2×2 image", (np.arange(4.0).reshape(1, 2, 2),))
    for B, H in [(3, 5), (2, 8)]:
        yield Case(f"{B} random {H}×{H} images", (rng.normal(size=(B, H, H)),))


def _rot_judge(case, got, expected):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return "return a pair (images, labels)."
    try:
        x, y = (np.asarray(g, dtype=np.float64) for g in got)
    except (TypeError, ValueError):
        return "images and labels must be arrays."
    if x.shape != expected[0].shape or y.shape != expected[1].shape:
        return f"expected shapes {expected[0].shape} and {expected[1].shape}, got {x.shape} and {y.shape}."
    if not np.array_equal(y, expected[1]):
        return "labels must be k = 0, 1, 2, 3, each repeated B times (image k·B + b has label k)."
    if np.allclose(x, expected[0]):
        return ""
    clockwise = np.concatenate([np.rot90(case.args[0], -k, axes=(1, 2)) for k in range(4)])
    if np.allclose(x, clockwise):
        return "rotate counter-clockwise (np.rot90's direction) by k·90°, not clockwise."
    return "the rotated images differ from the expected ones."


CHECKS = [
    Check("ch13.restore_ids", cases=_restore_cases, reference=restore_ids_reference, atol=0,
          review=review_with([(_restore_same, "ids_restore is the inverse permutation (argsort of ids_shuffle), "
                                               "not ids_shuffle itself.")]),
          implements=(restore_order,)),
    Check("ch13.mae_loss", cases=_mae_cases, reference=mae_loss_reference, atol=1e-9,
          review=review_with([(_mae_all, "average only over the hidden patches (mask = 1), not over all of them."),
                               (_mae_visible, "mask = 1 marks the hidden patches: those are the ones that count."),
                               (_mae_sum, "divide by the number of hidden patches.")]),
          implements=(mae_loss,)),
    Check("ch13.teacher_probs", cases=_probs_cases, reference=teacher_probs_reference, atol=1e-9,
          review=review_with([(_probs_no_center, "subtract the centre c before the softmax."),
                               (_probs_no_tau, "divide by the teacher temperature τ_t (sharpening).")]),
          implements=(teacher_probs,)),
    Check("ch13.update_center", cases=_center_cases, reference=update_center_reference, atol=1e-9,
          review=review_with([(_center_swapped, "the old centre keeps weight m, the batch mean gets 1 - m."),
                               (_center_sum, "use the batch *mean* of the logits, not their sum.")]),
          implements=(update_center,)),
    Check("ch13.dino_loss", cases=_dino_cases, reference=dino_loss_reference, atol=1e-9,
          review=review_with([(_dino_with_same_view, "skip the pairs where the student and the teacher see the "
                                                      "same view (i = j)."),
                               (_dino_no_center, "centre the teacher's logits (subtract c) before its softmax.")]),
          implements=(dino_loss,)),
    Check("ch13.rotation_batch", cases=_rot_cases, reference=rotation_batch_reference, judge=_rot_judge,
          implements=(rotation_batch,)),
]
