"""Cutting zoo models into parts: fx sub-graphs, the sequential fallback, node layouts, errors."""
import pytest
import timm
import torch
from torch import nn

from mm_cl_addon.reassembly.cutting import SourceCuts
from mm_cl_addon.reassembly.layout import Layout

VIT_KWARGS = dict(img_size=32, patch_size=4, depth=4, embed_dim=48, num_heads=3, num_classes=0)


def test_fx_cuts_compose_to_the_model_features_and_name_each_node_layout():
    torch.manual_seed(0)
    model = timm.create_model('resnet10t', num_classes=0).eval()
    cuts = SourceCuts(model, 'resnet', (3, 32, 32))
    assert cuts.cutter.method == 'fx' and cuts.num_nodes == 4
    assert [layout.kind for layout in cuts.layouts] == ['cnn'] * 5
    assert cuts.layouts[-1] == Layout('cnn', 512, (1, 1))
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        out = cuts.part(2, 4, tail=True)(cuts.part(0, 2)(cuts.stem()(x)))
        torch.testing.assert_close(out, model.forward_features(x), atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match=r"zoo model 'resnet'.*\(3, 5\]"):
        cuts.part(3, 5)


def test_sequential_cutter_refuses_a_vit_stem_but_cuts_its_blocks():
    model = timm.create_model('vit_tiny_patch16_224', **VIT_KWARGS).eval()
    cuts = SourceCuts(model, 'vit', (3, 32, 32), cutter='sequential')
    with pytest.raises(ValueError, match=r"zoo model 'vit'.*cls_token"):
        cuts.stem()
    x = torch.randn(2, 65, 48)
    with torch.no_grad():
        torch.testing.assert_close(cuts.part(1, 3).eval()(x), model.blocks[1:3](x))


class _Untraceable(nn.Module):
    """Data-dependent control flow (no fx trace) and no block table."""

    def __init__(self) -> None:
        super().__init__()
        self.stages = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.Conv2d(4, 4, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(x) if x.sum() > -1e9 else x


def test_a_model_without_block_table_is_named():
    with pytest.raises(ValueError, match=r"zoo model 'mystery' \(_Untraceable\).*no block table"):
        SourceCuts(_Untraceable(), 'mystery', (3, 8, 8))


def test_an_untraceable_model_with_blocks_falls_back_to_the_sequential_cutter():
    cuts = SourceCuts(_Untraceable(), 'mystery', (3, 8, 8), blocks=['stages.0', 'stages.1'])
    assert cuts.cutter.method == 'sequential'
    with pytest.raises(ValueError, match=r"cannot cut zoo model 'mystery'.*fx: TraceError"):
        SourceCuts(_Untraceable(), 'mystery', (3, 8, 8), blocks=['stages.0', 'stages.1'],
                   cutter='fx')


def test_swin_models_are_refused_with_the_reason():
    """timm Swin gives channels-last maps; mmpretrain Swin does not trace and its stages return
    (tokens, hw_shape) tuples: neither can be cut (docs/dery.md, differences)."""
    from mmpretrain.registry import MODELS

    from tests.reassembly.tiny_models import tiny_timm_swin
    with pytest.raises(ValueError, match=r"zoo model 'tswin'.*NCHW maps and \[N, T, C\] tokens "
                                         r'only.*nhwc'):
        SourceCuts(tiny_timm_swin(), 'tswin', (1, 16, 16))
    swin = MODELS.build(dict(type='SwinTransformer', img_size=32, patch_size=2, window_size=2,
                             arch=dict(embed_dims=8, depths=[1, 1, 1, 1], num_heads=[1, 1, 1, 1])))
    with pytest.raises(ValueError, match=r"cannot cut zoo model 'mswin'.*fx: .*sequential: .*"
                                         'one tensor'):
        SourceCuts(swin, 'mswin', (3, 32, 32))
