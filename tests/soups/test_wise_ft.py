"""WiSE-FT: exact ends, the midpoint between them, a new head taken from the fine-tuned model."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from mm_cl_addon.soups import wise_ft


def _state(seed: int, classes: int) -> dict[str, torch.Tensor]:
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, classes))
    model[1].running_mean.normal_()
    model[1].num_batches_tracked.fill_(seed + 10)
    state = {key: value.clone() for key, value in model.state_dict().items()}
    state['0.bias'][0] = -0.0  # a signed zero that 0 * b + a would turn into +0.0
    return state


def _bits(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.view(torch.int32) if tensor.dtype == torch.float32 else tensor


@pytest.fixture
def models():
    initial = _state(0, classes=10)
    fine_tuned = _state(1, classes=5)
    fine_tuned['0.bias'][0] = 0.5
    fine_tuned['adapter.weight'] = torch.ones(3)  # only in the fine-tuned model
    return initial, fine_tuned


def test_ends_are_bitwise_and_midpoint_is_the_mean(models):
    initial, fine_tuned = models
    results = dict(wise_ft(initial, {'state_dict': fine_tuned}, [0.0, 0.5, 1.0]))
    assert list(results) == [0.0, 0.5, 1.0]
    start, middle, end = (results[alpha] for alpha in (0.0, 0.5, 1.0))
    assert list(end) == list(fine_tuned)
    for key in fine_tuned:
        assert torch.equal(_bits(end[key]), _bits(fine_tuned[key])), key
    shared = ['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var']
    for key in shared:
        assert torch.equal(_bits(start[key]), _bits(initial[key])), key
        expected = (initial[key].double() + fine_tuned[key].double()) / 2
        torch.testing.assert_close(middle[key].double(), expected, rtol=0, atol=1e-7)
    for state in (start, middle):  # new head, extra entry and integer buffers: fine-tuned
        for key in ('2.weight', '2.bias', 'adapter.weight', '1.num_batches_tracked'):
            assert torch.equal(state[key], fine_tuned[key]), key
    start['0.weight'].add_(1)  # fresh tensors: the inputs stay as they were
    assert not torch.equal(start['0.weight'], initial['0.weight'])


def test_files_are_read(tmp_path, models):
    initial, fine_tuned = models
    torch.save({'state_dict': initial}, tmp_path / 'zero_shot.pth')
    torch.save(fine_tuned, tmp_path / 'fine_tuned.pth')
    (alpha, state), = wise_ft(tmp_path / 'zero_shot.pth', tmp_path / 'fine_tuned.pth', [0.25])
    assert alpha == 0.25
    expected = 0.75 * initial['1.weight'] + 0.25 * fine_tuned['1.weight']
    torch.testing.assert_close(state['1.weight'], expected)


def test_errors_come_before_iteration(models):
    initial, fine_tuned = models
    with pytest.raises(ValueError, match='alpha=1.5'):
        wise_ft(initial, fine_tuned, [0.5, 1.5])
    with pytest.raises(ValueError, match=r"\['old_head.weight'\].*<in-memory #0>"):
        wise_ft({**initial, 'old_head.weight': torch.zeros(2)}, fine_tuned, [0.5])
    half = {**fine_tuned, '0.weight': fine_tuned['0.weight'].half()}
    with pytest.raises(ValueError, match="'0.weight': dtype torch.float32 .* torch.float16"):
        wise_ft(initial, half, [0.5])
