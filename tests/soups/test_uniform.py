"""Uniform soup: the arithmetic mean of every ingredient, whatever form each comes in."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from mm_cl_addon.soups import uniform_soup


def _state(seed: int, batches: int) -> dict[str, torch.Tensor]:
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    model[1].running_mean.normal_()
    model[1].running_var.uniform_(0.5, 2.0)
    model[1].num_batches_tracked.fill_(batches)
    return {key: value.clone() for key, value in model.state_dict().items()}


def test_mean_of_three_and_integer_buffers_from_the_first():
    states = [_state(seed, batches) for seed, batches in ((0, 5), (1, 7), (2, 9))]
    originals = [{key: value.clone() for key, value in state.items()} for state in states]
    soup = uniform_soup(states)
    assert soup['meta'] == {'recipe': 'uniform',
                            'ingredients': ['<in-memory #0>', '<in-memory #1>', '<in-memory #2>']}
    result = soup['state_dict']
    assert result.keys() == states[0].keys()
    for key, value in result.items():
        if key.endswith('num_batches_tracked'):
            assert value.item() == 5
            continue
        expected = sum(state[key].double() for state in states) / 3
        assert value.dtype == torch.float32
        torch.testing.assert_close(value.double(), expected, rtol=0, atol=1e-6)
    for state, original in zip(states, originals):  # the inputs are left alone
        assert all(torch.equal(state[key], original[key]) for key in state)


def test_files_and_dicts_mixed(tmp_path):
    states = [_state(seed, seed) for seed in range(3)]
    torch.save({'meta': {}, 'state_dict': states[0]}, tmp_path / 'a.pth')
    torch.save(states[1], tmp_path / 'b.pth')
    soup = uniform_soup([tmp_path / 'a.pth', str(tmp_path / 'b.pth'), {'state_dict': states[2]}])
    assert soup['meta']['ingredients'] == [str(tmp_path / 'a.pth'), str(tmp_path / 'b.pth'),
                                           '<in-memory #2>']
    expected = (states[0]['0.weight'] + states[1]['0.weight'] + states[2]['0.weight']) / 3
    torch.testing.assert_close(soup['state_dict']['0.weight'], expected)


def test_single_ingredient_is_a_copy():
    state = _state(0, 1)
    soup = uniform_soup([state])['state_dict']
    assert all(torch.equal(soup[key], state[key]) for key in state)
    assert soup['0.weight'].data_ptr() != state['0.weight'].data_ptr()


def test_incompatible_ingredient_names_both(tmp_path):
    bad = _state(1, 1)
    bad['0.weight'] = torch.zeros(5, 4)
    torch.save(bad, tmp_path / 'bad.pth')
    with pytest.raises(ValueError, match=r"'0.weight'.*<in-memory #0>.*bad.pth"):
        uniform_soup([_state(0, 1), tmp_path / 'bad.pth'])


def test_empty_input():
    with pytest.raises(ValueError, match='at least one'):
        uniform_soup([])
