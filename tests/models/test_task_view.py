"""A task's view of a shared checkpoint equals the masked model that task is evaluated with."""
import pytest
import torch
from mmpretrain.registry import MODELS

from mm_cl_addon.continual.per_task_tensors import PerTaskTensors
from mm_cl_addon.models.growth import grow_model
from mm_cl_addon.models.layers.owner_masks import (
    OWNER_BUFFER,
    PICK_BUFFER,
    attach_owners,
    attach_picks,
    maskable_modules,
    masked_for_task,
    owner_of,
)
from mm_cl_addon.models.task_view import build_task_model

MODEL = dict(type='ImageClassifier',
             backbone=dict(type='SmallConvNet', in_channels=1, widths=(4, 8)),
             neck=dict(type='GlobalAveragePooling'),
             head=dict(type='LinearClsHead', num_classes=3, in_channels=8))
BN = 'backbone.stages.0.2.bias'


def _shared_model():
    torch.manual_seed(0)
    model = MODELS.build(MODEL)
    modules = maskable_modules(model, ['backbone'])
    attach_owners(modules)
    attach_picks(modules)
    for module in modules.values():
        owner_of(module).copy_(torch.randint(0, 4, module.weight.shape))
        getattr(module, PICK_BUFFER).copy_(torch.randint(0, 8, module.weight.shape))
    return model.eval(), modules


def test_task_view_equals_the_masked_model_with_its_per_task_tensors():
    model, modules = _shared_model()
    store = PerTaskTensors({BN: dict(model.named_parameters())[BN]})
    store.save(2)
    with torch.no_grad():
        dict(model.named_parameters())[BN].add_(1.0)  # task 3 trained it further
    checkpoint = dict(state_dict=model.state_dict(),
                      cpg=dict(width_multiplier=1.0, per_task=store.state_dict()))
    x = torch.randn(5, 1, 8, 8)
    for task in (2, 3):
        with masked_for_task(modules, task), store.swapped_in(task):
            expected = model(x, mode='tensor')
        view, chosen = build_task_model(MODEL, checkpoint, task)
        assert chosen == task
        assert not any(key.endswith((OWNER_BUFFER, PICK_BUFFER)) for key in view.state_dict())
        assert torch.equal(view.eval()(x, mode='tensor'), expected), task
    assert build_task_model(MODEL, checkpoint)[1] == 3  # default: the last task
    with pytest.raises(ValueError, match='task 4 owns no weights'):
        build_task_model(MODEL, checkpoint, 4)


def test_a_grown_checkpoint_is_built_at_its_width():
    model, _ = _shared_model()
    grow_model(model, MODEL, 1.5, ['backbone'], [OWNER_BUFFER, PICK_BUFFER])
    checkpoint = dict(state_dict=model.state_dict(), cpg=dict(width_multiplier=1.5))
    view, _ = build_task_model(MODEL, checkpoint, 1)
    assert view.backbone.out_channels == [6, 12] and view.head.fc.in_features == 12


def test_a_plain_checkpoint_loads_as_saved():
    model = MODELS.build(MODEL)
    view, task = build_task_model(MODEL, dict(state_dict=model.state_dict()))
    assert task is None
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in view.state_dict().items())
