"""Stitching adapters between parts: every source/target layout pair, and the identity."""
import pytest
import torch
from torch import nn

from mm_cl_addon.models.layers.stitching import Stitch, make_stitch
from mm_cl_addon.reassembly.layout import Layout


@pytest.mark.parametrize('source, target, shape_in, shape_out', [
    (Layout('cnn', 8, (8, 8)), Layout('cnn', 16, (4, 4)), (2, 8, 8, 8), (2, 16, 4, 4)),
    (Layout('cnn', 8, (4, 4)), Layout('cnn', 8, (6, 6)), (2, 8, 4, 4), (2, 8, 6, 6)),
    (Layout('cnn', 8, (8, 8)), Layout('vit', 12, (4, 4), 1), (2, 8, 8, 8), (2, 17, 12)),
    (Layout('vit', 12, (4, 4), 1), Layout('vit', 20, (2, 2), 2), (2, 17, 12), (2, 6, 20)),
    (Layout('vit', 12, (4, 4), 2), Layout('vit', 12, (4, 4), 1), (2, 18, 12), (2, 17, 12)),
    (Layout('vit', 12, (4, 4), 1), Layout('cnn', 6, (8, 8)), (2, 17, 12), (2, 6, 8, 8)),
])
def test_stitches_produce_the_target_layout(source, target, shape_in, shape_out):
    stitch = make_stitch(source, target)
    assert isinstance(stitch, Stitch)
    assert stitch(torch.randn(*shape_in)).shape == shape_out


def test_matching_layouts_need_no_stitch_and_kept_tokens_pass_through():
    layout = Layout('vit', 12, (4, 4), 1)
    assert isinstance(make_stitch(layout, layout), nn.Identity)
    x = torch.randn(2, 18, 12)
    out = make_stitch(Layout('vit', 12, (4, 4), 2), layout)(x)
    assert torch.equal(out, torch.cat([x[:, :1], x[:, 2:]], dim=1))
