"""coursekit.compress.prune: the mask keeps exactly the largest magnitudes, global vs layer-wise sparsity."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from coursekit.compress.prune import magnitude_mask, prune_model, sparsity

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("s", [0.0, 0.3, 0.5, 0.9, 1.0])
def test_mask_keeps_the_largest_magnitudes(s):
    w = torch.randn(20, 10, generator=torch.Generator().manual_seed(0))
    mask = magnitude_mask(w, s)
    assert int((~mask).sum()) == round(s * 200)
    if 0 < s < 1:
        assert w[mask].abs().min() >= w[~mask].abs().max()                 # brute force: every kept ≥ every pruned

def test_global_and_layer_scopes():
    g = torch.Generator().manual_seed(1)
    net = nn.Sequential(nn.Linear(20, 20), nn.Linear(20, 5))
    with torch.no_grad():
        net[0].weight.copy_(torch.randn(20, 20, generator=g) * 0.01)       # a layer of small weights
        net[1].weight.copy_(torch.randn(5, 20, generator=g))
    glob, layer = prune_model(net, 0.5, "global"), prune_model(net, 0.5, "layer")
    assert sparsity(glob) == pytest.approx(0.5) and sparsity(layer) == pytest.approx(0.5)
    assert float((glob[0].weight == 0).float().mean()) > 0.6               # global takes more from the small layer
    assert float((layer[0].weight == 0).float().mean()) == pytest.approx(0.5)
    assert sparsity(net) == 0.0                                             # the original is untouched


def test_bad_input():
    with pytest.raises(ValueError, match="sparsity"):
        magnitude_mask(torch.ones(3), 1.5)
    with pytest.raises(ValueError, match="scope"):
        prune_model(nn.Linear(2, 2), 0.5, "row")
    with pytest.raises(ValueError, match="no nn.Linear"):
        sparsity(nn.ReLU())
