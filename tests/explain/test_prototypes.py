"""coursekit.explain.prototypes: the similarity against a plain loop, the logits as max-pool + linear, the push
step against brute force, retrieval against scikit-learn's NearestNeighbors, and the torch battery."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.neighbors import NearestNeighbors
from torch_battery import TorchOp, battery, run_check

from coursekit.explain.prototypes import (
    PrototypeHead,
    nearest_examples,
    prototype_logits,
    prototype_similarity,
    push_prototypes,
)
from coursekit.models.utils import init_parameters_

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_similarity_matches_a_loop_and_decreases_with_distance():
    z, p = _randn(2, 3, 4, 5), _randn(4, 3, seed=1)
    sim = prototype_similarity(z, p, eps=1e-3)
    for b in range(2):
        for j in range(4):
            for r in range(4):
                for c in range(5):
                    d2 = float(((z[b, :, r, c] - p[j]) ** 2).sum())
                    assert abs(float(sim[b, j, r, c]) - np.log((d2 + 1) / (d2 + 1e-3))) < 1e-12
    d2 = torch.linspace(0, 10, 50, dtype=torch.float64)
    vals = torch.log((d2 + 1) / (d2 + 1e-3))
    assert (vals.diff() < 0).all()                                      # the function itself is monotone


def test_head_logits_are_max_pooled_similarities_times_the_fixed_layer():
    head = init_parameters_(PrototypeHead(3, 4, per_class=2), torch.Generator().manual_seed(0)).double()
    z = _randn(5, 3, 6, 6, seed=2)
    sim = prototype_similarity(z, head.prototypes)
    want = torch.stack([sim[:, j].flatten(1).max(1).values for j in range(8)], 1) @ head.weights.T
    torch.testing.assert_close(head(z), want)
    assert head.weights[0].tolist() == [1, 1, -0.5, -0.5, -0.5, -0.5, -0.5, -0.5]


def test_push_moves_each_prototype_onto_its_nearest_patch_of_its_class():
    z, labels = _randn(6, 4, 3, 3, seed=3), torch.tensor([0, 1, 2, 0, 1, 2])
    protos, cls = _randn(6, 4, seed=4), torch.tensor([0, 0, 1, 1, 2, 2])
    pushed, where = push_prototypes(protos, cls, z, labels)
    for j in range(6):
        best, arg = np.inf, None
        for n in range(6):
            if labels[n] != cls[j]:
                continue
            for r in range(3):
                for c in range(3):
                    d = float(((z[n, :, r, c] - protos[j]) ** 2).sum())
                    if d < best:
                        best, arg = d, (n, r, c)
        assert tuple(where[j]) == arg, f"prototype {j}"
        torch.testing.assert_close(pushed[j], z[arg[0], :, arg[1], arg[2]])


def test_nearest_examples_match_sklearn():
    q, bank = _randn(7, 5, seed=5), _randn(40, 5, seed=6)
    d, i = nearest_examples(q, bank, k=4)
    dist, idx = NearestNeighbors(n_neighbors=4).fit(bank.numpy()).kneighbors(q.numpy())
    np.testing.assert_array_equal(i.numpy(), idx)
    np.testing.assert_allclose(d.numpy(), dist, rtol=1e-10)


def test_reset_parameters_is_reproducible_from_the_generator():
    a = init_parameters_(PrototypeHead(3, 2), torch.Generator().manual_seed(0))
    b = init_parameters_(PrototypeHead(3, 2), torch.Generator().manual_seed(0))
    torch.testing.assert_close(a.prototypes, b.prototypes)


def _head(inputs):
    z, p = inputs
    head = PrototypeHead(3, 2, per_class=2).double()
    with torch.no_grad():
        head.prototypes.copy_(p)
    return head, (z,)


OPS = [
    TorchOp("prototype_similarity", lambda g: (torch.randn(2, 3, 4, 4, generator=g, dtype=torch.float64),
                                               torch.randn(4, 3, generator=g, dtype=torch.float64)),
            prototype_similarity, (2, 4, 4, 4),
            bad=[(lambda: prototype_similarity(torch.zeros(2, 3, 4), torch.zeros(4, 3)), "B, D, h, w"),
                 (lambda: prototype_similarity(torch.zeros(2, 3, 4, 4), torch.zeros(4, 2)), "D = 3"),
                 (lambda: prototype_similarity(torch.zeros(1, 3, 2, 2), torch.zeros(4, 3), eps=0), "eps")],
            grad=(0, 1),
            reference=lambda z, p: torch.log((torch.cdist(z.permute(0, 2, 3, 1).reshape(-1, 3), p) ** 2 + 1)
                                             / (torch.cdist(z.permute(0, 2, 3, 1).reshape(-1, 3), p) ** 2 + 1e-4)
                                             ).reshape(2, 4, 4, 4).permute(0, 3, 1, 2),
            rtol=1e-9, atol=1e-9, why="cdist squares a square root: ~1e-12 relative; log of a ratio near 1e4"),
    TorchOp("prototype_head", lambda g: (torch.randn(2, 3, 4, 4, generator=g, dtype=torch.float64),
                                         torch.randn(4, 3, generator=g, dtype=torch.float64)),
            lambda z, p: prototype_logits(prototype_similarity(z, p),
                                          torch.tensor([[1, 1, -0.5, -0.5], [-0.5, -0.5, 1, 1]], dtype=torch.float64)),
            (2, 2),
            bad=[(lambda: prototype_logits(torch.zeros(1, 4, 2, 2), torch.zeros(2, 3)), "weights")],
            grad=(0, 1), module=_head),
]


@pytest.mark.parametrize("op, check", battery(OPS))
def test_torch_battery(op, check):
    run_check(op, check)


@pytest.mark.parametrize("call, words", [
    (lambda: push_prototypes(torch.zeros(2, 3), torch.tensor([0, 5]), torch.zeros(2, 3, 2, 2),
                             torch.tensor([0, 1])), "no training image"),
    (lambda: push_prototypes(torch.zeros(2, 3), torch.tensor([0]), torch.zeros(2, 3, 2, 2),
                             torch.tensor([0, 1])), "prototype_class"),
    (lambda: nearest_examples(torch.zeros(2, 3), torch.zeros(4, 3), k=5), "k"),
    (lambda: nearest_examples(torch.zeros(2, 3), torch.zeros(4, 2)), "one D"),
    (lambda: PrototypeHead(3, 1), "num_classes"),
])
def test_bad_input_raises(call, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        call()
