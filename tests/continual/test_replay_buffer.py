"""ReplayBuffer: reservoir size and uniformity, seeding, sampling and weights-only state."""
import pytest
import torch
from mmpretrain.structures import DataSample

from mm_cl_addon.continual.replay_buffer import ReplayBuffer


def _stream(start: int, count: int, task_id: int = 0):
    """``count`` samples whose input value and label are their index in the stream."""
    inputs = torch.arange(start, start + count).view(-1, 1, 1, 1).to(torch.uint8)
    samples = [DataSample(metainfo=dict(task_id=task_id)).set_gt_label(i)
               for i in range(start, start + count)]
    return inputs, samples


def _ids(buffer: ReplayBuffer) -> list[int]:
    return [int(x) for x in buffer.inputs]


@pytest.mark.parametrize('n', [3, 10, 57])
def test_keeps_min_of_seen_and_capacity(n):
    buffer = ReplayBuffer(10)
    for start in range(0, n, 4):
        buffer.add_batch(*_stream(start, min(4, n - start)))
    assert len(buffer) == min(n, 10) and buffer.seen == n
    assert len(set(_ids(buffer))) == len(buffer)
    assert _ids(buffer) == [int(label) for label in buffer.labels]


def test_inclusion_probability_is_uniform():
    runs, counts = 2000, torch.zeros(100)
    for seed in range(runs):
        buffer = ReplayBuffer(10, seed=seed)
        buffer.add_batch(*_stream(0, 100))
        counts[_ids(buffer)] += 1
    frequency = counts / runs
    assert (frequency - 0.1).abs().max() < 0.035  # std 0.0067 per item


def test_same_seed_same_content_and_samples():
    a, b, c = ReplayBuffer(5, seed=3), ReplayBuffer(5, seed=3), ReplayBuffer(5, seed=4)
    for buffer in (a, b, c):
        buffer.add_batch(*_stream(0, 50))
    assert _ids(a) == _ids(b) != _ids(c)
    assert torch.equal(a.sample(3)[0], b.sample(3)[0])


def test_sample_without_replacement_and_capped():
    buffer = ReplayBuffer(20)
    buffer.add_batch(*_stream(0, 8, task_id=2))
    inputs, samples = buffer.sample(5)
    values = inputs.flatten().tolist()
    assert inputs.shape == (5, 1, 1, 1) and inputs.dtype == torch.uint8
    assert len(set(values)) == 5
    assert [int(s.gt_label) for s in samples] == values
    assert all(s.task_id == 2 for s in samples)
    assert len(buffer.sample(100)[1]) == 8


def test_state_dict_round_trip_weights_only(tmp_path):
    buffer = ReplayBuffer(6, seed=1)
    buffer.add_batch(*_stream(0, 30, task_id=1))
    torch.save(buffer.state_dict(), tmp_path / 'buffer.pth')
    restored = ReplayBuffer(6, seed=99)
    restored.load_state_dict(torch.load(tmp_path / 'buffer.pth', weights_only=True))
    assert _ids(restored) == _ids(buffer) and restored.seen == 30
    expected, restored_samples = buffer.sample(4), restored.sample(4)
    assert torch.equal(expected[0], restored_samples[0])
    assert [s.task_id for s in restored_samples[1]] == [1] * 4
    buffer.add_batch(*_stream(30, 10))
    restored.add_batch(*_stream(30, 10))
    assert _ids(restored) == _ids(buffer)


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match='capacity=0'):
        ReplayBuffer(0)
    with pytest.raises(ValueError, match='3 inputs but 2 data_samples'):
        ReplayBuffer(4).add_batch(_stream(0, 3)[0], _stream(0, 2)[1])
    with pytest.raises(ValueError, match='capacity=4 in the state'):
        ReplayBuffer(5).load_state_dict(ReplayBuffer(4).state_dict())
