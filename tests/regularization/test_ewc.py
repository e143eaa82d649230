"""EWC's penalty and its two ways of remembering tasks, on hand-made numbers."""
from __future__ import annotations

import pytest
import torch

from mm_cl_addon.regularization import EWCState


def test_separate_mode_sums_one_penalty_per_task():
    state = EWCState('separate')
    assert state.penalty({'w': torch.ones(2)}) is None
    state.consolidate({'w': torch.tensor([1.0, 2.0])}, {'w': torch.tensor([0.5, 1.0])})
    state.consolidate({'w': torch.tensor([0.0, 0.0])}, {'w': torch.tensor([2.0, 0.0])})
    theta = {'w': torch.tensor([3.0, 1.0])}
    expected = (0.5 * 2 ** 2 + 1.0 * 1 ** 2) + (2.0 * 3 ** 2 + 0.0)
    assert state.penalty(theta).item() == pytest.approx(expected)


def test_online_mode_keeps_one_anchor_and_decays_old_importance():
    state = EWCState('online', decay=0.5)
    state.consolidate({'w': torch.tensor([1.0])}, {'w': torch.tensor([4.0])})
    state.consolidate({'w': torch.tensor([2.0])}, {'w': torch.tensor([1.0])})
    assert len(state.anchors) == 1
    assert state.importances[0]['w'].item() == pytest.approx(1.0 + 0.5 * 4.0)
    assert state.penalty({'w': torch.tensor([5.0])}).item() == pytest.approx(3.0 * 3 ** 2)


def test_penalty_is_differentiable_and_the_state_round_trips():
    state = EWCState('separate')
    state.consolidate({'w': torch.tensor([1.0])}, {'w': torch.tensor([2.0])})
    theta = torch.tensor([3.0], requires_grad=True)
    state.penalty({'w': theta}).backward()
    assert theta.grad.item() == pytest.approx(2 * 2.0 * (3.0 - 1.0))
    copy = EWCState('separate')
    copy.load_state_dict(state.state_dict())
    assert copy.penalty({'w': torch.tensor([0.0])}).item() == pytest.approx(2.0)
    with pytest.raises(ValueError, match="checkpoint's mode 'separate' differs"):
        EWCState('online').load_state_dict(state.state_dict())
    with pytest.raises(ValueError, match="mode='sep'"):
        EWCState('sep')
