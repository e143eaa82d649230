"""Evaluate every task of a ``TaskSplitDataset``, each through its own loader."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from mmengine.dist import is_main_process
from mmengine.runner import ValLoop
from mmengine.runner.amp import autocast
from mmpretrain.registry import LOOPS

from ..utils import atomic_write_json
from ..utils.modes import eval_mode
from ..utils.run_record import run_record
from .train_loop import build_task_loader, build_task_split


@LOOPS.register_module()
class ContinualValLoop(ValLoop):
    """Validation over every task, seen and unseen (forward transfer needs both).

    Around each task it calls ``before_val_task(runner, task_id)`` and
    ``after_val_task(runner, task_id, metrics)`` on the hooks that have them,
    so that methods can switch masks, widths and heads. The metrics returned
    (and logged) are ``task<i>/<metric>`` per task and ``mean/<metric>``;
    ``score_key`` names the metric that fills the accuracy matrix. The latest
    per-task scores are also written to ``<work_dir>/task_scores.json``, with their
    mean as ``average_accuracy`` (joint training's ACC, and its selection score).

    Args:
        runner: the Runner.
        dataloader: dataloader config whose ``dataset`` is a TaskSplitDataset.
        evaluator: evaluator config (e.g. ``dict(type='Accuracy', topk=1)``).
        fp16: evaluate under autocast.
        score_key: the metric recorded per task.
        score_scale: turns the metric into a fraction in [0, 1] (mmpretrain's
            ``Accuracy`` reports percent, hence 0.01).
    """

    stage = 'val'

    def __init__(self, runner, dataloader: dict, evaluator: Any, fp16: bool = False,
                 score_key: str = 'accuracy/top1', score_scale: float = 0.01) -> None:
        split = build_task_split(dataloader, type(self).__name__)
        self.task_loaders = [build_task_loader(runner, dataloader, split.task_subset(t))
                             for t in range(split.num_tasks)]
        super().__init__(runner, self.task_loaders[0], evaluator, fp16)
        self.split = split
        self.score_key = score_key
        self.score_scale = score_scale
        self.task_scores: list[float] = []

    def run(self) -> dict:
        runner = self.runner
        runner.call_hook(f'before_{self.stage}')
        runner.call_hook(f'before_{self.stage}_epoch')
        runner.model.eval()
        self.val_loss.clear()
        per_task = [self._evaluate_task(task_id) for task_id in range(len(self.task_loaders))]
        self.task_scores = [self._score(task_id, m) for task_id, m in enumerate(per_task)]
        metrics = self._combine(per_task)
        if is_main_process():
            atomic_write_json(f'{runner.work_dir}/task_scores.json',
                              dict(score_key=self.score_key, task_scores=self.task_scores,
                                   average_accuracy=sum(self.task_scores) / len(self.task_scores),
                                   task_classes=self.split.task_classes,
                                   run=run_record(runner)))
        runner.call_hook(f'after_{self.stage}_epoch', metrics=metrics)
        runner.call_hook(f'after_{self.stage}')
        return metrics

    def evaluate_task(self, task_id: int) -> float:
        """One task's ``score_key`` value, unscaled (percent for mmpretrain's ``Accuracy``).

        For methods that make choices mid-task (CPG's pruning ratio and growth):
        only the per-task hooks run, in eval mode, and the model goes back to
        the mode it was in; no epoch or iteration hooks, so no logs or files.
        """
        with eval_mode(self.runner.model):
            metrics = self._evaluate_task(task_id, self._quiet_iter)
        self._score(task_id, metrics)  # names a missing score_key
        return float(metrics[self.score_key])

    @torch.no_grad()
    def _quiet_iter(self, idx: int, data_batch: Any) -> None:
        with autocast(enabled=self.fp16):
            outputs = self.runner.model.val_step(data_batch)
        self.evaluator.process(data_samples=outputs, data_batch=data_batch)

    def _evaluate_task(self, task_id: int, run_iter: Callable | None = None) -> dict:
        self.runner.call_hook('before_val_task', task_id=task_id)
        loader = self.task_loaders[task_id]
        for idx, data_batch in enumerate(loader):
            (run_iter or self.run_iter)(idx, data_batch)
        metrics = self.evaluator.evaluate(len(loader.dataset))
        self.runner.call_hook('after_val_task', task_id=task_id, metrics=metrics)
        return metrics

    def _score(self, task_id: int, metrics: dict) -> float:
        if self.score_key not in metrics:
            raise KeyError(f'{type(self).__name__}: score_key={self.score_key!r} is not among the '
                           f'metrics of task {task_id}: {sorted(metrics)}')
        return float(metrics[self.score_key]) * self.score_scale

    @staticmethod
    def _combine(per_task: list[dict]) -> dict:
        metrics = {f'task{t}/{key}': value for t, m in enumerate(per_task)
                   for key, value in m.items()}
        for key, value in per_task[0].items():
            if isinstance(value, (int, float)):
                metrics[f'mean/{key}'] = sum(m[key] for m in per_task) / len(per_task)
        return metrics


@LOOPS.register_module()
class ContinualTestLoop(ContinualValLoop):
    """Test-time twin of :class:`ContinualValLoop` (``before_test`` ... ``test_step``).

    Per-task hooks are the same ``before_val_task``/``after_val_task``: a method
    switches its masks and heads the same way for validation and test.
    """

    stage = 'test'

    @torch.no_grad()
    def run_iter(self, idx: int, data_batch: Any) -> None:
        self.runner.call_hook('before_test_iter', batch_idx=idx, data_batch=data_batch)
        with autocast(enabled=self.fp16):
            outputs = self.runner.model.test_step(data_batch)
        self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        self.runner.call_hook('after_test_iter', batch_idx=idx, data_batch=data_batch,
                              outputs=outputs)
