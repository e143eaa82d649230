"""Owner masks: scope selection, effective weights and exact restoration."""
import pytest
import torch
from torch import nn

from mm_cl_addon.models.layers.owner_masks import (
    OWNER_BUFFER,
    attach_owners,
    effective_weight,
    maskable_modules,
    masked_for_task,
    owner_of,
    prune_smallest,
)


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4, 3))


def test_maskable_modules_respects_prefixes():
    model = _model()
    assert list(maskable_modules(model)) == ['0', '3']
    assert list(maskable_modules(model, ['3'])) == ['3']
    with pytest.raises(ValueError, match="'head'"):
        maskable_modules(model, ['head'])
    with pytest.raises(TypeError, match='prefixes'):
        maskable_modules(model, '3')


def test_owners_are_buffers_in_the_state_dict():
    model = _model()
    attach_owners(maskable_modules(model))
    state = model.state_dict()
    assert state[f'0.{OWNER_BUFFER}'].shape == model[0].weight.shape
    assert not state[f'3.{OWNER_BUFFER}'].any()


def test_effective_weight_keeps_tasks_up_to_task():
    owner = torch.tensor([0, 1, 2, 3])
    weight = torch.tensor([1.0, 2.0, 3.0, 4.0])
    assert torch.equal(effective_weight(owner, weight, 2), torch.tensor([0.0, 2.0, 3.0, 0.0]))
    with pytest.raises(ValueError, match='shape'):
        effective_weight(owner[:2], weight, 1)


def test_masked_for_task_zeroes_then_restores_bit_for_bit():
    model = _model()
    modules = maskable_modules(model)
    attach_owners(modules)
    owner_of(model[3]).copy_(torch.tensor([[1, 2, 0, 1]] * 3))
    full = model[3].weight.detach().clone()
    with masked_for_task(modules, 1):
        inside = model[3].weight.detach().clone()
        assert not model[0].weight.any()  # all free
    assert torch.equal(inside[:, [0, 3]], full[:, [0, 3]])
    assert not inside[:, [1, 2]].any()
    assert torch.equal(model[3].weight, full)


def test_prune_smallest_frees_exact_count():
    model = _model()
    modules = maskable_modules(model)
    attach_owners(modules)
    owner = owner_of(model[0])
    owner.fill_(1)
    owner.view(-1)[:6] = 2
    magnitudes = model[0].weight.detach().abs().view(-1)[6:].clone()
    freed = prune_smallest(model[0], 1, 0.3)
    assert freed == round(0.3 * 30) == (owner == 0).sum()
    assert (owner == 2).sum() == 6
    kept = magnitudes[owner.view(-1)[6:] == 1]
    dropped = magnitudes[owner.view(-1)[6:] == 0]
    assert dropped.max() <= kept.min()
    assert not model[0].weight.view(-1)[owner.view(-1) == 0].any()
    with pytest.raises(ValueError, match='ratio=1.0'):
        prune_smallest(model[0], 1, 1.0)
