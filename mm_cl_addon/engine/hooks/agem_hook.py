"""The episodic memory of A-GEM and the reference loss that its optimizer wrapper projects on."""
from __future__ import annotations

from functools import partial

import torch
from mmpretrain.registry import HOOKS

from ...continual.loss_probe import batch_loss
from ...continual.replay_buffer import ReplayBuffer
from ...continual.seeding import derive_seed
from ...utils.arguments import check_count
from ..optim.agem import AGEMOptimWrapper
from .replay_hook import BufferHook


@HOOKS.register_module()
class AGEMHook(BufferHook):
    """Keeps A-GEM's memory of past tasks and hands ``AGEMOptimWrapper`` its reference loss.

    As in A-GEM, the memory holds samples of finished tasks only: during a
    task its samples go to a reservoir of their own (``incoming``), which is
    poured into the memory (itself a reservoir, so tasks share it about
    equally) at the task's end. The reference loss is the model's training
    loss on ``memory_batch_size`` samples drawn uniformly from the memory,
    computed when the wrapper steps; nothing is added to the training batch.
    Both reservoirs are saved under ``agem_memory``.

    Needs ``optim_wrapper = dict(type='AGEMOptimWrapper', ...)``.

    Args:
        buffer_size: samples the memory keeps.
        memory_batch_size: memory samples in each reference batch.
        seed: seed of the reservoirs' generators; None: derived from the run's seed.
    """

    checkpoint_key = 'agem_memory'

    def __init__(self, buffer_size: int, memory_batch_size: int,
                 seed: int | None = None) -> None:
        self.memory_batch_size = check_count('AGEMHook: memory_batch_size', memory_batch_size)
        super().__init__(ReplayBuffer(check_count('AGEMHook: buffer_size', buffer_size),
                                      seed=seed or 0), seed)
        self.incoming = self._incoming(0)

    def _incoming(self, task_id: int) -> ReplayBuffer:
        return ReplayBuffer(self.buffer.capacity, seed=derive_seed(self.run_seed, task_id + 1))

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if self.incoming.seen == 0:
            self.incoming = self._incoming(runner.train_loop.task_id)
        if not isinstance(runner.optim_wrapper, AGEMOptimWrapper):
            raise TypeError("AGEMHook needs optim_wrapper=dict(type='AGEMOptimWrapper', ...), "
                            f'got {type(runner.optim_wrapper).__name__}')
        runner.optim_wrapper.reference_loss = partial(self.reference_loss, runner)

    def reference_loss(self, runner) -> torch.Tensor | None:
        """The training loss on a uniform draw from the memory; None while it is empty."""
        if not len(self.buffer):
            return None
        inputs, samples = self.buffer.sample(self.memory_batch_size)
        return batch_loss(self.model(runner), inputs, samples)

    def store(self, runner, inputs: torch.Tensor, data_samples: list) -> None:
        self.incoming.add_batch(inputs, data_samples)

    def after_task(self, runner, task_id: int) -> None:
        """Pour the finished task's reservoir into the memory and start a new one."""
        if len(self.incoming):
            self.buffer.add_batch(*self.incoming.sample(len(self.incoming)))
        self.incoming = self._incoming(task_id + 1)

    def state_dict(self) -> dict:
        return dict(memory=self.buffer.state_dict(), incoming=self.incoming.state_dict())

    def load_state_dict(self, state: dict) -> None:
        self.buffer.load_state_dict(state['memory'])
        self.incoming.load_state_dict(state['incoming'])
