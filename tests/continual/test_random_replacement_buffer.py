"""RandomReplacementBuffer (ER-random): coin-flip admission into random slots, recency bias."""
import pytest
import torch
from mmpretrain.structures import DataSample

from mm_cl_addon.continual.replay_buffer import RandomReplacementBuffer, ReplayBuffer


def _stream(start, count):
    inputs = torch.arange(start, start + count).view(-1, 1)
    return inputs, [DataSample().set_gt_label(i) for i in range(start, start + count)]


def test_fills_then_admits_about_replace_prob_of_new_samples():
    buffer = RandomReplacementBuffer(50, seed=0)
    buffer.add_batch(*_stream(0, 50))
    assert [int(x) for x in buffer.inputs] == list(range(50))
    before = [int(x) for x in buffer.inputs]
    buffer.add_batch(*_stream(50, 1))
    admitted = sum(int(x) >= 50 for x in buffer.inputs)
    assert admitted in (0, 1) and len(buffer) == 50 and buffer.seen == 51
    assert sum(a != b for a, b in zip(before, buffer.inputs)) == admitted


def test_keeps_recent_samples_where_the_reservoir_keeps_all_ages():
    """After 10 x capacity samples the reservoir holds ~10% recent ones, ER-random far more."""
    reservoir, random = ReplayBuffer(100, seed=0), RandomReplacementBuffer(100, seed=0)
    for buffer in (reservoir, random):
        buffer.add_batch(*_stream(0, 1000))
    recent = [sum(int(x) >= 900 for x in buffer.inputs) for buffer in (reservoir, random)]
    assert recent[0] < 25 and recent[1] > 30  # expected 10 and 1 - (1 - 1/100)^50 = 39


def test_rejects_a_bad_probability():
    with pytest.raises(ValueError, match='replace_prob=0'):
        RandomReplacementBuffer(5, replace_prob=0)
