"""GDumbBuffer: greedy class balance whatever the stream order, and weights-only state."""
import torch
from mmpretrain.structures import DataSample

from mm_cl_addon.continual.gdumb_buffer import GDumbBuffer


def _samples(labels):
    inputs = torch.arange(len(labels)).view(-1, 1).float()
    return inputs, [DataSample().set_gt_label(label) for label in labels]


def _counts(buffer):
    return sorted(int(label) for label in buffer.labels)


def test_class_by_class_stream_ends_balanced():
    buffer = GDumbBuffer(12)
    for label in range(3):
        buffer.add_batch(*_samples([label] * 30))
        assert len(buffer) == 12  # full from the first class on
    assert _counts(buffer) == [0] * 4 + [1] * 4 + [2] * 4
    assert dict(buffer.class_counts) == {0: 4, 1: 4, 2: 4}


def test_imbalanced_interleaved_stream_stays_balanced():
    labels = torch.randint(4, (400,), generator=torch.Generator().manual_seed(0))
    labels[labels == 3] = 0  # class 0 twice as frequent as 1 and 2
    labels = torch.cat([labels, torch.full((20,), 3)])
    buffer = GDumbBuffer(20, seed=1)
    for batch in labels[:400].split(16):
        buffer.add_batch(*_samples(batch.tolist()))
    assert len(buffer) == 20 and min(buffer.class_counts.values()) >= 20 // 3  # its quota
    buffer.add_batch(*_samples(labels[400:].tolist()))  # a new class takes its share
    assert dict(buffer.class_counts) == {0: 5, 1: 5, 2: 5, 3: 5}


def test_state_round_trip_restores_class_counts(tmp_path):
    buffer = GDumbBuffer(9, seed=2)
    buffer.add_batch(*_samples([0, 1, 2] * 10))
    torch.save(buffer.state_dict(), tmp_path / 'gdumb.pth')
    restored = GDumbBuffer(9)
    restored.load_state_dict(torch.load(tmp_path / 'gdumb.pth', weights_only=True))
    assert restored.class_counts == buffer.class_counts
    for copy in (buffer, restored):
        copy.add_batch(*_samples([3] * 5))
    assert restored.inputs and [int(x) for x in restored.inputs] == [int(x) for x in buffer.inputs]
