"""Growing a model: old values in the leading slices, old tasks' outputs unchanged."""
import pytest
import torch
from mmpretrain.registry import MODELS

from mm_cl_addon.models.growth import embed_leading, grow_model
from mm_cl_addon.models.layers.owner_masks import (
    OWNER_BUFFER,
    attach_owners,
    maskable_modules,
    masked_for_task,
    owner_of,
)

MODEL = dict(type='ImageClassifier',
             backbone=dict(type='SmallConvNet', in_channels=1, widths=(4, 8)),
             neck=dict(type='GlobalAveragePooling'),
             head=dict(type='LinearClsHead', num_classes=3, in_channels=8))


def test_embed_leading():
    out = embed_leading(torch.full((2, 3), 9.0), torch.tensor([[1.0, 2.0]]))
    assert out.tolist() == [[1.0, 2.0, 9.0], [9.0, 9.0, 9.0]]
    with pytest.raises(ValueError, match='shape'):
        embed_leading(torch.zeros(1, 3), torch.zeros(2, 2))


def test_growth_keeps_a_task_output_and_frees_the_new_weights():
    torch.manual_seed(0)
    model = MODELS.build(MODEL)
    modules = maskable_modules(model, ['backbone'])
    attach_owners(modules)
    for module in modules.values():
        owner_of(module).fill_(1)
    model.eval()
    x = torch.randn(6, 1, 8, 8)
    with masked_for_task(modules, 1):
        before = model(x, mode='tensor')
    head_id = id(model.head)
    grow_model(model, MODEL, 1.5, ['backbone'], [OWNER_BUFFER])
    assert id(model.head) != head_id and model.backbone.out_channels == [6, 12]
    assert model.head.fc.weight.shape == (3, 12)
    assert model.head.fc.weight[:, 8:].eq(0).all()  # out of scope: new inputs ignored
    grown = maskable_modules(model, ['backbone'])
    first = owner_of(grown['backbone.stages.0.0'])
    assert first[:4].eq(1).all() and first[4:].eq(0).all()
    model.eval()
    with masked_for_task(grown, 1):
        after = model(x, mode='tensor')
    torch.testing.assert_close(after, before, rtol=0, atol=1e-6)


def test_a_backbone_without_width_multiplier_is_refused():
    cfg = dict(MODEL, backbone=dict(type='ResNet_CIFAR', depth=18))
    model = MODELS.build(dict(MODEL))
    with pytest.raises(ValueError, match="'ResNet_CIFAR'"):
        grow_model(model, cfg, 2.0, ['backbone'])
