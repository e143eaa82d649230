"""A replay buffer's content as a data set, for training phases on the buffer alone."""
from __future__ import annotations

import torch
from mmpretrain.registry import DATASETS
from torch.utils.data import Dataset

from .replay_buffer import ReplayBuffer, stored_data_sample


@DATASETS.register_module()
class ReplayBufferDataset(Dataset):
    """Stored samples, returned as the packing transform does (``inputs``, ``data_samples``).

    Built from plain tensors, ints and lists, so that its config can ride in a
    training phase (``ContinualTrainLoop.add_phase(dataset=...)``) and be saved
    in, and rebuilt from, a weights-only checkpoint. See :func:`buffer_dataset_cfg`.

    Args:
        inputs: the stored inputs, stacked (``[N, ...]``).
        labels: one ``gt_label`` tensor per sample.
        task_ids: one task id per sample (-1: none).
    """

    def __init__(self, inputs: torch.Tensor, labels: list[torch.Tensor],
                 task_ids: list[int]) -> None:
        if not len(inputs) == len(labels) == len(task_ids):
            raise ValueError(f'ReplayBufferDataset: {len(inputs)} inputs, {len(labels)} labels '
                             f'and {len(task_ids)} task_ids must have the same length')
        self.inputs = inputs
        self.labels = list(labels)
        self.task_ids = [int(task) for task in task_ids]

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> dict:
        return dict(inputs=self.inputs[index].clone(),
                    data_samples=stored_data_sample(self.labels[index], self.task_ids[index]))


def buffer_dataset_cfg(buffer: ReplayBuffer) -> dict:
    """A ``ReplayBufferDataset`` config holding a snapshot of ``buffer``'s content."""
    if not len(buffer):
        raise RuntimeError('buffer_dataset_cfg: the buffer is empty')
    return dict(type='ReplayBufferDataset', inputs=torch.stack(buffer.inputs),
                labels=[label.clone() for label in buffer.labels],
                task_ids=list(buffer.task_ids))
