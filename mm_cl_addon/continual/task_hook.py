"""The base of every continual method's hook: task callbacks, checkpointed state, the model."""
from __future__ import annotations

from mmengine.hooks import Hook
from mmpretrain.utils import get_ori_model
from torch import nn


def is_resuming(runner) -> bool:
    """Whether the Runner resumes a run (``--resume``) rather than starting one, possibly from
    ``load_from`` weights. mmengine keeps this in a private field and has no public flag."""
    return bool(getattr(runner, '_resume', False))


class TaskHook(Hook):
    """Base of the hooks that continual methods are made of.

    ``ContinualTrainLoop`` and ``ContinualValLoop`` call the task, phase and per-task
    evaluation callbacks below through ``runner.call_hook`` on every hook that has them. Task
    ids are 0-based; a phase is a named stretch of training inside a task (``'train'`` first;
    hooks add more with ``runner.train_loop.add_phase``).

    A hook with state that the model's weights do not carry names a ``checkpoint_key`` and
    implements :meth:`state_dict` and :meth:`load_state_dict`: the state is saved with every
    checkpoint and restored on ``--resume`` only, before the weights load (``load_from`` of a
    continual checkpoint starts a new task sequence with fresh hook state).
    """

    checkpoint_key: str | None = None

    # ------------------------------------------------------------------ tasks
    def before_task(self, runner, task_id: int) -> None:
        """Before the first phase of task ``task_id``."""

    def after_task(self, runner, task_id: int) -> None:
        """After the last phase of task ``task_id``, before it is evaluated."""

    def before_phase(self, runner, task_id: int, phase: str) -> None:
        """Before the first epoch (or iteration) of ``phase``."""

    def after_phase(self, runner, task_id: int, phase: str) -> None:
        """After ``phase``; adding a phase here runs it next, inside the same task."""

    def before_val_task(self, runner, task_id: int) -> None:
        """Before task ``task_id`` is evaluated (switch masks, widths, heads here)."""

    def after_val_task(self, runner, task_id: int, metrics: dict) -> None:
        """After task ``task_id`` has been evaluated with ``metrics``."""

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict | None:
        """What a resumed run needs that the checkpoint's weights do not carry; None saves
        nothing."""
        return None

    def load_state_dict(self, state: dict) -> None:
        """Take back what :meth:`state_dict` returned, on ``--resume``."""

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        state = None if self.checkpoint_key is None else self.state_dict()
        if state is not None:
            checkpoint[self.checkpoint_key] = state

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if self.checkpoint_key in checkpoint and is_resuming(runner):
            self.restore(runner, checkpoint[self.checkpoint_key])

    def restore(self, runner, state: dict) -> None:
        """Resume from ``state``: :meth:`load_state_dict`, which a hook whose state lives in
        the model or the optimizer (a reference model, masks) extends with what it builds there.
        """
        self.load_state_dict(state)

    # ------------------------------------------------------------------ model
    def model(self, runner) -> nn.Module:
        """The model being trained, out of its DDP/FSDP wrapper."""
        return get_ori_model(runner.model)
