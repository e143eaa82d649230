"""The task-boundary callbacks that continual methods implement."""
from __future__ import annotations


class TaskHookMixin:
    """Adds task, phase and per-task evaluation callbacks to an mmengine ``Hook``.

    ``ContinualTrainLoop`` and ``ContinualValLoop`` call these through
    ``runner.call_hook`` on every hook that has them. Mix in before ``Hook``::

        @HOOKS.register_module()
        class MyHook(TaskHookMixin, Hook):
            def after_task(self, runner, task_id): ...

    Task ids are 0-based. A phase is a named stretch of training inside a task
    (``'train'`` first; hooks add more with ``runner.train_loop.add_phase``).
    """

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
