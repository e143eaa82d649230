"""GDumb's class-balanced greedy memory (Prabhu et al., 2020)."""
from __future__ import annotations

from collections import Counter

import torch
from mmpretrain.structures import DataSample

from .replay_buffer import ReplayBuffer


class GDumbBuffer(ReplayBuffer):
    """Keeps as many samples of every class seen as the capacity allows, greedily.

    A sample is stored if its class is new to the memory or holds fewer than
    ``capacity // classes`` samples (``classes``: the classes in the memory).
    When the memory is full, room is made by evicting a uniformly chosen
    sample of the largest class (ties broken uniformly), so the memory moves
    towards equal class counts whatever the order of the stream. Storage,
    sampling and checkpoint state are :class:`ReplayBuffer`'s; the class counts
    are derived from the stored labels. Labels must be single class indices.

    Args:
        capacity: most samples kept, >= 1.
        seed: seed of the buffer's generator (evictions and sampling).
    """

    def __init__(self, capacity: int, seed: int = 0) -> None:
        super().__init__(capacity, seed=seed)
        self.class_counts: Counter[int] = Counter()

    def _slot(self, sample: DataSample) -> int | None:
        label = int(sample.gt_label)
        quota = self.capacity // max(1, len(self.class_counts))
        if label in self.class_counts and self.class_counts[label] >= quota:
            return None
        if len(self) < self.capacity:
            slot = len(self)
        else:
            largest = max(self.class_counts.values())
            classes = sorted(c for c, n in self.class_counts.items() if n == largest)
            victim = classes[int(torch.randint(len(classes), (1,), generator=self.generator))]
            members = [i for i, stored in enumerate(self.labels) if int(stored) == victim]
            slot = members[int(torch.randint(len(members), (1,), generator=self.generator))]
            self._count(victim, -1)
        self._count(label, 1)
        return slot

    def _count(self, label: int, change: int) -> None:
        self.class_counts[label] += change
        if not self.class_counts[label]:
            del self.class_counts[label]

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.class_counts = Counter(int(label) for label in self.labels)
