"""A reservoir-sampled memory of past training samples, for experience replay."""
from __future__ import annotations

from collections.abc import Sequence

import torch
from mmpretrain.structures import DataSample

from ..utils.arguments import check_count

NO_TASK = -1  # stored task id of a sample whose metainfo has none


def stored_data_sample(label: torch.Tensor, task_id: int) -> DataSample:
    """A fresh ``DataSample`` for a stored sample, so that models cannot alter the store."""
    sample = DataSample().set_gt_label(label.clone())
    if task_id != NO_TASK:
        sample.set_metainfo(dict(task_id=task_id))
    return sample


class ReplayBuffer:
    """Keeps a uniform random subset of every sample seen (Vitter's algorithm R).

    The n-th sample is kept with probability ``capacity / n`` and replaces a
    uniformly chosen slot, so at any time each sample seen so far is in the
    buffer with the same probability. A sample is stored as a detached CPU
    copy of its input, its ``gt_label`` and its ``task_id``; ``sample`` builds
    fresh ``DataSample`` objects, so the model cannot alter the stored ones.
    All randomness comes from the buffer's own seeded generator, whose state
    is part of :meth:`state_dict`, so a resumed run replays the same samples.

    Args:
        capacity: most samples kept, >= 1.
        seed: seed of the buffer's generator.
    """

    def __init__(self, capacity: int, seed: int = 0) -> None:
        self.capacity = check_count(f'{type(self).__name__}: capacity', capacity)
        self.generator = torch.Generator().manual_seed(int(seed))
        self.seen = 0
        self.inputs: list[torch.Tensor] = []
        self.labels: list[torch.Tensor] = []
        self.task_ids: list[int] = []

    def __len__(self) -> int:
        return len(self.inputs)

    def add_batch(self, inputs: torch.Tensor, data_samples: Sequence[DataSample]) -> None:
        """Offer every sample of a batch to the reservoir, in order."""
        if not isinstance(inputs, torch.Tensor):
            raise TypeError(f'ReplayBuffer.add_batch: inputs must be a batched Tensor, got '
                            f'{type(inputs).__name__}')
        if len(inputs) != len(data_samples):
            raise ValueError(f'ReplayBuffer.add_batch: {len(inputs)} inputs but '
                             f'{len(data_samples)} data_samples')
        for image, sample in zip(inputs, data_samples):
            self.seen += 1
            slot = self._slot(sample)
            if slot is not None:
                self._put(slot, image.detach().to('cpu', copy=True),
                          sample.gt_label.detach().to('cpu', copy=True),
                          int(sample.metainfo.get('task_id', NO_TASK)))

    def _slot(self, sample: DataSample) -> int | None:
        """The slot of the ``seen``-th sample, None to drop it (the reservoir rule)."""
        if len(self) < self.capacity:
            return len(self)
        slot = int(torch.randint(self.seen, (1,), generator=self.generator))
        return slot if slot < self.capacity else None

    def _put(self, slot: int, image: torch.Tensor, label: torch.Tensor, task_id: int) -> None:
        """Fill slot ``slot``: a new one at the end, or replace a stored sample."""
        for store, value in zip((self.inputs, self.labels, self.task_ids),
                                (image, label, task_id)):
            if slot == len(store):
                store.append(value)
            else:
                store[slot] = value

    def reseed(self, seed: int) -> None:
        """Restart the generator from ``seed`` (for a buffer that has not drawn yet)."""
        self.generator.manual_seed(int(seed))

    def sample(self, k: int) -> tuple[torch.Tensor, list[DataSample]]:
        """``min(k, len(self))`` distinct stored samples, chosen uniformly."""
        k = check_count('ReplayBuffer.sample: k', k)
        if not self.inputs:
            raise RuntimeError('ReplayBuffer.sample: the buffer is empty')
        picks = torch.randperm(len(self), generator=self.generator)[:int(k)].tolist()
        inputs = torch.stack([self.inputs[i] for i in picks])
        return inputs, [self._data_sample(i) for i in picks]

    def _data_sample(self, index: int) -> DataSample:
        return stored_data_sample(self.labels[index], self.task_ids[index])

    def state_dict(self) -> dict:
        """Contents and generator state as tensors, ints and lists (weights-only loadable)."""
        return dict(capacity=self.capacity, seen=self.seen,
                    generator=self.generator.get_state(),
                    inputs=torch.stack(self.inputs) if self.inputs else torch.empty(0),
                    labels=list(self.labels), task_ids=list(self.task_ids))

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned; the capacity must match."""
        if int(state['capacity']) != self.capacity:
            raise ValueError(f"ReplayBuffer.load_state_dict: capacity={state['capacity']} in the "
                             f'state, but this buffer has capacity={self.capacity}')
        self.seen = int(state['seen'])
        self.generator.set_state(state['generator'])
        self.inputs = list(state['inputs'].unbind(0)) if state['task_ids'] else []
        self.labels = list(state['labels'])
        self.task_ids = [int(task) for task in state['task_ids']]


class RandomReplacementBuffer(ReplayBuffer):
    """The 'ER-random' memory of the Memory Head paper's public code: random replacement.

    Free slots are filled first, as in the reservoir; once the buffer is full,
    every new sample is kept with a fixed probability ``replace_prob`` (a coin
    flip, 1/2 in that code) in a uniformly chosen slot. Unlike the reservoir,
    whose admission probability ``capacity / n`` falls as the stream grows so
    that the buffer stays a uniform sample of everything seen, a stored sample
    here survives each admission with probability ``1 - 1/capacity``: the
    buffer is uniform over slots but its content is biased towards recent
    samples, and old tasks fade out geometrically. (That code draws distinct
    slots within one batch; here samples are placed one at a time, so a late
    sample of a batch may replace an earlier one of the same batch.)

    Args:
        capacity: most samples kept, >= 1.
        seed: seed of the buffer's generator.
        replace_prob: probability that a sample enters a full buffer, in (0, 1].
    """

    def __init__(self, capacity: int, seed: int = 0, replace_prob: float = 0.5) -> None:
        super().__init__(capacity, seed=seed)
        if not 0 < replace_prob <= 1:
            raise ValueError(f'RandomReplacementBuffer: replace_prob={replace_prob!r} must be '
                             'in (0, 1]')
        self.replace_prob = float(replace_prob)

    def _slot(self, sample: DataSample) -> int | None:
        if len(self) < self.capacity:
            return len(self)
        if float(torch.rand((), generator=self.generator)) >= self.replace_prob:
            return None
        return int(torch.randint(self.capacity, (1,), generator=self.generator))
