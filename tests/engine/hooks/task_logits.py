"""What the PackNet, CPG and MM-Pick-a-back tests share: a task-incremental config and a probe
that records every seen task's logits after each task, evaluated as the hook evaluates it."""
from __future__ import annotations

from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mm_cl_addon.continual import TaskHook
from tests.conftest import REPO, small_digits_config


def task_il_digits_config(work_dir: Path, tasks, width: int = 16) -> Config:
    """The small digits config with one head per task (task-incremental), widths (8, width)."""
    cfg = small_digits_config(work_dir, tasks=tasks, widths=(8, width))
    task_il = Config.fromfile(str(REPO / 'configs/continual/finetune_cnn_split-digits_task-il.py'))
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.scenario = task_il[loader].dataset.scenario
    cfg.model.head = dict(type='MultiTaskClsHead', task_classes=[list(t) for t in tasks],
                          in_channels=width)
    return cfg


class TaskLogitsProbe(TaskHook):
    """After each task, the logits of every seen task on its first val batch, as ``hook``'s
    ``before_val_task`` (masks, per-task tensors) makes the model see it."""

    priority = 'LOWEST'  # after the hook under test

    def __init__(self, hook: Hook) -> None:
        self.hook = hook
        self.logits: dict[int, list[torch.Tensor]] = {}

    @torch.no_grad()
    def after_task(self, runner, task_id):
        model = runner.model.eval()
        for seen in range(task_id + 1):
            batch = next(iter(runner.val_loop.task_loaders[seen]))
            data = model.data_preprocessor(batch, False)
            self.hook.before_val_task(runner, seen)
            logits = model.head.routed_logits(model.extract_feat(data['inputs']),
                                              data['data_samples'])
            self.hook.after_val_task(runner, seen, {})
            self.logits.setdefault(seen, []).append(logits)

    def assert_unchanged(self, num_tasks: int, atol: float = 0.0) -> None:
        """Every task's logits after each later task equal those right after it."""
        for seen, history in self.logits.items():
            assert len(history) == num_tasks - seen
            for later in history[1:]:
                torch.testing.assert_close(later, history[0], rtol=0, atol=atol)


def assert_same_run(resumed: Runner, uninterrupted: Runner) -> None:
    """A resumed run ends with the uninterrupted run's weights and accuracy matrix."""
    expected = uninterrupted.model.state_dict()
    for key, value in resumed.model.state_dict().items():
        assert torch.equal(value, expected[key]), key
    assert resumed.train_loop.accuracy_rows == uninterrupted.train_loop.accuracy_rows
