"""coursekit.dense.blocks: shapes, add vs concat skips (channels and parameter counts in closed form), gradcheck,
and bad input."""

from __future__ import annotations

import pytest
import torch

from coursekit.dense import blocks
from coursekit.models import count_parameters

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_conv_block_and_down_keep_and_halve_the_resolution():
    x = torch.zeros(2, 3, 16, 12)
    assert blocks.ConvBlock(3, 8)(x).shape == (2, 8, 16, 12)
    assert blocks.Down(3, 8)(x).shape == (2, 8, 8, 6)


@pytest.mark.parametrize("skip", ["concat", "add"])
def test_up_doubles_the_resolution_and_merges_the_skip(skip):
    up = blocks.Up(16, 8, 8, skip=skip)
    assert up(torch.zeros(2, 16, 4, 4), torch.zeros(2, 8, 8, 8)).shape == (2, 8, 8, 8)


def test_parameter_counts_of_concat_and_add_skips_match_closed_forms():
    c_in, c_skip, c_out = 32, 16, 16
    concat = blocks.Up(c_in, c_skip, c_out, skip="concat")
    add = blocks.Up(c_in, c_skip, c_out, skip="add")
    # upsampler: 2x2 transposed conv c_in -> c_up (+ bias); block: 3x3 conv merged -> c_out, BN, 3x3 conv, BN
    def expected(c_up, merged):
        return c_in * c_up * 4 + c_up + 9 * merged * c_out + 2 * c_out + 9 * c_out * c_out + 2 * c_out
    assert count_parameters(concat) == expected(c_in // 2, c_in // 2 + c_skip)
    assert count_parameters(add) == expected(c_skip, c_skip)


def test_merge_skip_is_addition_or_concatenation_and_passes_gradcheck():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(1, 2, 3, 3, generator=g, dtype=torch.float64, requires_grad=True)
    b = torch.randn(1, 2, 3, 3, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.equal(blocks.merge_skip(a, b, "add"), a + b)
    assert torch.equal(blocks.merge_skip(a, b, "concat")[:, 2:], b)
    assert torch.autograd.gradcheck(lambda x, y: blocks.merge_skip(x, y, "concat"), (a, b))
    up = blocks.Up(4, 2, 2).double().eval()
    x4 = torch.randn(1, 4, 2, 2, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, s: up(x, s), (x4, b[:, :, :, :3].new_zeros(1, 2, 4, 4).requires_grad_()))


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="mode"):
        blocks.merge_skip(torch.zeros(1, 2, 3, 3), torch.zeros(1, 2, 3, 3), "mul")
    with pytest.raises(ValueError, match="skip must have shape"):
        blocks.merge_skip(torch.zeros(1, 2, 3, 3), torch.zeros(1, 3, 3, 3), "add")
    with pytest.raises(ValueError, match="skip must have shape"):
        blocks.merge_skip(torch.zeros(1, 2, 4, 4), torch.zeros(1, 2, 3, 3), "concat")
    with pytest.raises(ValueError, match="skip"):
        blocks.Up(8, 4, 4, skip="sum")
