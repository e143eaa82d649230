"""GDumb: a class-balanced memory and, after every task, a model trained from scratch on it."""
from __future__ import annotations

from typing import Any

import torch
from mmengine.model import BaseModule
from mmengine.optim import OptimWrapperDict
from mmpretrain.registry import HOOKS
from torch import nn

from ...continual.buffer_dataset import buffer_dataset_cfg
from ...continual.gdumb_buffer import GDumbBuffer
from ...continual.seeding import derive_seed
from ...utils.arguments import check_count
from .replay_hook import BufferHook

RETRAIN_PHASE = 'gdumb_retrain'


def reinitialize(model: nn.Module, seed: int) -> None:
    """Give ``model`` fresh initial weights, as if it had just been built and initialised.

    Every module's own ``reset_parameters`` (PyTorch's default initialisation,
    BatchNorm statistics included) runs first, then mmengine's ``init_cfg``
    initialisation (``init_weights``, re-armed). All of it draws from a torch
    generator seeded with ``seed`` and leaves the global one as it was.
    """
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        for module in model.modules():
            if hasattr(module, 'reset_parameters'):
                module.reset_parameters()
        if isinstance(model, BaseModule):
            for module in model.modules():
                if isinstance(module, BaseModule):
                    module.is_init = False
            model.init_weights()


@HOOKS.register_module()
class GDumbHook(BufferHook):
    """GDumb (Prabhu et al., 2020) on the continual loop.

    During each task's ``'train'`` phase, the samples of the first pass over the
    task's data are offered to a :class:`~mm_cl_addon.continual.GDumbBuffer`.
    When that phase ends, a ``'gdumb_retrain'`` phase is added to the task
    that trains on the buffer alone (``add_phase(dataset=...)`` with a snapshot
    of the buffer): at its start the model is re-initialised (seeded from
    ``seed`` and the task) and the optimizer state cleared, so the model that
    is evaluated after the task has learnt from the buffer only. What the
    ``'train'`` phase itself learnt is thrown away; use one epoch per task so
    that it costs one pass. The buffer is saved under ``gdumb_buffer``.

    Args:
        buffer_size: samples the buffer keeps.
        retrain_length: epochs (or iterations, in ``iters_per_task`` mode) of
            the retraining phase.
        param_scheduler: scheduler config of the retraining phase; None: the
            loop's own.
        seed: seed of the buffer's generator and of the re-initialisation; None: derived
            from the run's seed.
    """

    checkpoint_key = 'gdumb_buffer'

    def __init__(self, buffer_size: int, retrain_length: int, param_scheduler: Any = None,
                 seed: int | None = None) -> None:
        self.retrain_length = check_count('GDumbHook: retrain_length', retrain_length)
        super().__init__(GDumbBuffer(check_count('GDumbHook: buffer_size', buffer_size),
                                     seed=seed or 0), seed)
        self.param_scheduler = param_scheduler

    def store(self, runner, inputs: torch.Tensor, data_samples: list) -> None:
        """Offer the samples of the first pass of a ``'train'`` phase, each once."""
        loop = runner.train_loop
        if loop.current_phase.name == 'train' and loop.phase_step < len(loop.dataloader):
            self.buffer.add_batch(inputs, data_samples)

    def after_phase(self, runner, task_id: int, phase: str) -> None:
        if phase == 'train':
            runner.train_loop.add_phase(RETRAIN_PHASE, self.retrain_length,
                                        param_scheduler=self.param_scheduler,
                                        dataset=buffer_dataset_cfg(self.buffer))

    def before_phase(self, runner, task_id: int, phase: str) -> None:
        if phase == RETRAIN_PHASE:
            reinitialize(self.model(runner), derive_seed(self.run_seed, task_id))
            wrappers = runner.optim_wrapper
            for wrapper in (wrappers.values() if isinstance(wrappers, OptimWrapperDict)
                            else [wrappers]):
                wrapper.optimizer.state.clear()
