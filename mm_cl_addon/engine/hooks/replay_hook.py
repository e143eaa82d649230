"""Experience replay (ER): train every step on the current batch plus replayed past samples."""
from __future__ import annotations

import torch
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS

from ...continual.replay_buffer import ReplayBuffer
from ...continual.task_hook import TaskHookMixin

CHECKPOINT_KEY = 'replay_buffer'


@HOOKS.register_module()
class ReplayHook(TaskHookMixin, Hook):
    """Experience replay with a reservoir buffer (Chaudhry et al., 2019).

    Before each training step, ``replay_batch_size`` samples drawn from the
    buffer are appended in place to the collated batch (``inputs`` concatenated,
    ``data_samples`` extended), so one ``train_step`` sees current and past
    samples. The batch's own samples enter the buffer only after the step, so a
    batch is never replayed against itself. The buffer travels in checkpoints
    under ``replay_buffer`` and is restored on resume.

    Args:
        buffer_size: samples the reservoir keeps.
        replay_batch_size: replayed samples added to each batch (fewer while
            the buffer holds fewer).
        seed: seed of the buffer's generator.
    """

    priority = 'ABOVE_NORMAL'  # extend the batch before other hooks look at it

    def __init__(self, buffer_size: int, replay_batch_size: int, seed: int = 0) -> None:
        if int(replay_batch_size) != replay_batch_size or replay_batch_size < 1:
            raise ValueError(f'ReplayHook: replay_batch_size={replay_batch_size!r} must be an '
                             f'integer >= 1')
        self.buffer = ReplayBuffer(buffer_size, seed=seed)
        self.replay_batch_size = int(replay_batch_size)
        self._current: tuple[torch.Tensor, list] | None = None

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        """Remember the batch's own samples, then append replayed ones to it."""
        if not isinstance(data_batch, dict) or not isinstance(data_batch.get('inputs'),
                                                               torch.Tensor):
            raise TypeError("ReplayHook needs data_batch as a dict with a batched 'inputs' "
                            "Tensor (collate_fn=default_collate), got "
                            f'{type(data_batch).__name__}')
        inputs, samples = data_batch['inputs'], data_batch['data_samples']
        self._current = (inputs, list(samples))
        if not len(self.buffer):
            return
        replay_inputs, replay_samples = self.buffer.sample(self.replay_batch_size)
        data_batch['inputs'] = torch.cat(
            [inputs, replay_inputs.to(device=inputs.device, dtype=inputs.dtype)])
        samples.extend(replay_samples)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        """Offer the step's current (not replayed) samples to the reservoir."""
        if self._current is not None:
            self.buffer.add_batch(*self._current)
            self._current = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint[CHECKPOINT_KEY] = self.buffer.state_dict()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if CHECKPOINT_KEY in checkpoint and getattr(runner, '_resume', False):
            self.buffer.load_state_dict(checkpoint[CHECKPOINT_KEY])
