"""Per-task copies of the tensors that weight masks do not cover.

Methods that share one network between tasks (PackNet, CPG) mask the weights of
convolutions and linear layers; biases, normalisation parameters and running
statistics are either frozen after the first task or kept per task. This holds
the per-task copies: a snapshot after each task, swapped in to evaluate it.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import torch


class PerTaskTensors:
    """Snapshots of named tensors, one set per task id, swapped in and out in place.

    Args:
        tensors: the live tensors by name (parameters and buffers of the model);
            swapping copies values into them, so optimizers and hooks keep
            their references.
    """

    def __init__(self, tensors: Mapping[str, torch.Tensor]) -> None:
        self.tensors = dict(tensors)
        self.snapshots: dict[int, dict[str, torch.Tensor]] = {}

    def save(self, task: int) -> None:
        """Remember the current values as task ``task``'s."""
        self.snapshots[task] = {name: t.detach().clone() for name, t in self.tensors.items()}

    @contextmanager
    def swapped_in(self, task: int) -> Iterator[None]:
        """Run with task ``task``'s values (the current ones if it has none), then restore."""
        snapshot = self.snapshots.get(task)
        if snapshot is None:
            yield
            return
        current = {name: t.detach().clone() for name, t in self.tensors.items()}
        try:
            self._load(snapshot)
            yield
        finally:
            self._load(current)

    def _load(self, values: Mapping[str, torch.Tensor]) -> None:
        with torch.no_grad():
            for name, tensor in self.tensors.items():
                tensor.copy_(values[name])

    def state_dict(self) -> dict:
        """Tensors in plain containers (task ids as strings), weights-only loadable."""
        return {str(task): dict(snapshot) for task, snapshot in self.snapshots.items()}

    def load_state_dict(self, state: Mapping[str, Mapping[str, torch.Tensor]]) -> None:
        snapshots = {}
        for task, snapshot in state.items():
            missing = set(self.tensors) - set(snapshot)
            if missing:
                raise KeyError(f'per-task state of task {task} lacks {sorted(missing)}')
            snapshots[int(task)] = {name: snapshot[name].to(self.tensors[name].device)
                                    for name in self.tensors}
        self.snapshots = snapshots
