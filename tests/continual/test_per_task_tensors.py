"""Per-task copies of unmasked tensors: saved, swapped in place, restored, checkpointed."""
import pytest
import torch

from mm_cl_addon.continual.per_task_tensors import PerTaskTensors


def test_swap_in_and_back_in_place():
    bias = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    running = torch.tensor([0.5])
    store = PerTaskTensors({'bias': bias, 'running': running})
    store.save(1)
    with torch.no_grad():
        bias.add_(10.0)
        running.fill_(7.0)
    with store.swapped_in(1):
        assert bias.tolist() == [1.0, 2.0] and running.tolist() == [0.5]
    assert bias.tolist() == [11.0, 12.0] and running.tolist() == [7.0]
    with store.swapped_in(2):  # no snapshot: current values
        assert bias.tolist() == [11.0, 12.0]


def test_state_dict_round_trip_and_missing_tensors_named():
    tensors = {'a': torch.zeros(2), 'b': torch.ones(1)}
    store = PerTaskTensors(tensors)
    store.save(3)
    other = PerTaskTensors({'a': torch.full((2,), 5.0), 'b': torch.zeros(1)})
    other.load_state_dict(store.state_dict())
    with other.swapped_in(3):
        assert other.tensors['a'].tolist() == [0.0, 0.0]
    with pytest.raises(KeyError, match="'b'"):
        other.load_state_dict({'1': {'a': torch.zeros(2)}})
