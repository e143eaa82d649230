"""Train a sequence of tasks inside one mmengine Runner."""
from __future__ import annotations

import copy
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from mmengine.dist import get_rank, is_main_process
from mmengine.optim import OptimWrapperDict
from mmengine.runner import BaseLoop
from mmpretrain.registry import DATASETS, LOOPS
from torch.utils.data import DataLoader

from ..utils.arguments import is_count
from ..utils.run_record import run_record
from .loop_state import ContinualLoopStateHook, capture_rng_state, restore_rng_state
from .report import format_accuracy_matrix, format_final_summary, write_accuracy_report
from .seeding import derive_seed, reseed_everything
from .task_split import TaskSplitDataset, check_same_task_args, check_same_tasks


@dataclass
class Phase:
    """A named stretch of training inside a task, with its own schedule.

    ``length`` counts epochs (``epochs_per_task`` mode) or iterations
    (``iters_per_task`` mode); ``param_scheduler`` is a scheduler config, or
    None for the loop's own (the config's ``param_scheduler``); ``dataset`` is
    a data set config (``DATASETS``) to train on instead of the task's data,
    or None for the task's.
    """

    name: str
    length: int
    param_scheduler: Any = None
    dataset: Any = None

    def state_dict(self) -> dict:
        """The phase as plain data; ``dataset`` only when set, as before it existed."""
        state = asdict(self)
        if state['dataset'] is None:
            del state['dataset']
        return state


def build_task_split(dataloader_cfg: Any, owner: str) -> TaskSplitDataset:
    """The ``TaskSplitDataset`` of a loop's dataloader config, built if needed."""
    if not isinstance(dataloader_cfg, dict):
        raise TypeError(f'{owner} needs its dataloader as a config dict (it builds one loader '
                        f'per task), got {type(dataloader_cfg).__name__}')
    dataset = dataloader_cfg.get('dataset')
    if isinstance(dataset, dict):
        dataset = DATASETS.build(dataset)
    if not isinstance(dataset, TaskSplitDataset):
        raise TypeError(f'{owner}: dataloader.dataset must be a TaskSplitDataset (type='
                        f"'TaskSplitDataset'), got {type(dataset).__name__}")
    return dataset


def build_task_loader(runner, dataloader_cfg: dict, dataset) -> DataLoader:
    """A DataLoader over ``dataset`` with every other setting of ``dataloader_cfg``."""
    cfg = {key: value for key, value in dataloader_cfg.items() if key != 'dataset'}
    cfg['dataset'] = dataset
    diff_rank_seed = runner._randomness_cfg.get('diff_rank_seed', False)
    return runner.build_dataloader(cfg, seed=runner.seed, diff_rank_seed=diff_rank_seed)


def _to_builtin(value: Any) -> Any:
    """Config values as plain dicts and lists, loadable from a weights-only checkpoint."""
    if isinstance(value, dict):
        return {key: _to_builtin(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_builtin(item) for item in value]
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _optim_wrappers(optim_wrapper) -> list:
    if isinstance(optim_wrapper, OptimWrapperDict):
        return list(optim_wrapper.values())
    return [optim_wrapper]


@LOOPS.register_module()
class ContinualTrainLoop(BaseLoop):
    """Train the tasks of a ``TaskSplitDataset`` in order, inside one Runner.

    For each task: a fresh DataLoader, ``before_task`` hooks, its phases (first
    ``'train'``; hooks may append more with :meth:`add_phase`), ``after_task``
    hooks, then every task is evaluated by the val loop and the accuracy-matrix
    row is recorded (row 0 is recorded before any training). At the start of
    each phase the optimizer's learning rates (and momenta) return to their
    initial values, its state is cleared when ``reset_optimizer`` is set, and
    the parameter schedulers are rebuilt, so schedules restart per phase.

    Every epoch (or, with ``iters_per_task``, every pass over the loader)
    reseeds ``random``, numpy and torch from (seed, global epoch) and calls
    ``sampler.set_epoch(global epoch)``; task, phase, accuracy rows and RNG
    state are saved with checkpoints, so ``--resume`` continues mid-sequence
    exactly.

    Args:
        runner: the Runner.
        dataloader: dataloader config whose ``dataset`` is a TaskSplitDataset.
        epochs_per_task: epochs of the ``'train'`` phase (one number, or one per task).
        iters_per_task: iterations of the ``'train'`` phase instead of epochs.
        reset_optimizer: clear the optimizer state (momenta, Adam moments) at
            the start of every phase.
    """

    def __init__(self, runner, dataloader: dict, epochs_per_task: int | Sequence[int] | None = None,
                 iters_per_task: int | Sequence[int] | None = None,
                 reset_optimizer: bool = True) -> None:
        if (epochs_per_task is None) == (iters_per_task is None):
            raise ValueError('ContinualTrainLoop: give exactly one of epochs_per_task and '
                             f'iters_per_task (got {epochs_per_task!r} and {iters_per_task!r})')
        self.by_epoch = epochs_per_task is not None
        self._dataloader_cfg = dict(dataloader) if isinstance(dataloader, dict) else dataloader
        self.split = build_task_split(self._dataloader_cfg, 'ContinualTrainLoop')
        self.task_lengths = self._per_task(epochs_per_task if self.by_epoch else iters_per_task)
        self.reset_optimizer = reset_optimizer
        super().__init__(runner, build_task_loader(runner, self._dataloader_cfg,
                                                   self.split.task_subset(0)))
        # Built later by the Runner; the loop rebuilds them per phase from these configs.
        self._scheduler_cfg = copy.deepcopy(runner.param_schedulers)
        self.runner.visualizer.dataset_meta = self.split.metainfo
        self._epoch = 0
        self._iter = 0
        self.task_id = 0
        self.phase_index = 0
        self.phase_progress = 0
        self.phase_step = 0  # the current step's 0-based index inside its phase
        self.phases: list[Phase] = []
        self.accuracy_rows: list[list[float]] = []
        self.stop_training = False
        self._extra_done = 0  # units of the added phases of finished tasks
        self._resumed_rng: dict | None = None
        self._run_started = time.perf_counter()
        self._max_iters = self._planned_units() * (1 if not self.by_epoch else len(self.dataloader))
        self._check_head_classes()
        runner.register_hook(ContinualLoopStateHook(self), priority='VERY_HIGH')

    def _per_task(self, value: int | Sequence[int]) -> list[int]:
        key = 'train_cfg.' + ('epochs_per_task' if self.by_epoch else 'iters_per_task')
        values = [value] * self.split.num_tasks if _is_number(value) else value
        if not isinstance(values, Sequence) or len(values) != self.split.num_tasks or not all(
                is_count(v) for v in values):
            raise ValueError(f'ContinualTrainLoop: {key}={value!r} must be a whole number >= 1 '
                             f'or a list of one per task ({self.split.num_tasks} tasks)')
        return [int(v) for v in values]

    def describe_position(self) -> str:
        """Where training is, in the user's terms (1-based), for errors and logs."""
        phase = (self.phases[self.phase_index].name if self.phase_index < len(self.phases)
                 else 'none')
        return (f'task {self.task_id + 1}/{self.split.num_tasks}, phase {phase!r}, epoch '
                f'{self._epoch + 1}, iteration {self._iter + 1}')

    # ---------------------------------------------------------------- progress
    @property
    def max_epochs(self) -> int:
        """Epochs of all tasks and of the phases added so far (epoch mode)."""
        return self._planned_units() if self.by_epoch else self.split.num_tasks

    @property
    def max_iters(self) -> int:
        """Planned iterations; in epoch mode an estimate from the current loader, for ETAs."""
        return self._max_iters

    @property
    def epoch(self) -> int:
        return self._epoch

    @property
    def iter(self) -> int:
        return self._iter

    def _planned_units(self) -> int:
        later = sum(self.task_lengths[self.task_id + 1:])
        current = sum(p.length for p in self.phases) if self.phases else (
            self.task_lengths[self.task_id] if self.task_id < self.split.num_tasks else 0)
        return sum(self.task_lengths[:self.task_id]) + self._extra_done + current + later

    def add_phase(self, name: str, length: int, param_scheduler: Any = None,
                  dataset: dict | None = None) -> None:
        """Append a phase to the current task (call it from a task hook).

        ``length`` is in epochs or iterations, as the loop's mode; the phase
        restarts the schedules (``param_scheduler`` config, or the loop's).
        ``dataset``, a data set config, makes the phase train on that data
        (e.g. a replay buffer's ``ReplayBufferDataset``) with the loop's
        dataloader settings. The config is saved with the loop state and
        rebuilt on resume, so it must hold plain data (numbers, strings,
        tensors, lists and dicts), not a built data set.
        """
        if not self.phases:
            raise RuntimeError('ContinualTrainLoop.add_phase: no task is running; call it from '
                               'before_task, before_phase or after_phase')
        if int(length) < 1:
            raise ValueError(f'ContinualTrainLoop.add_phase: length={length!r} must be >= 1')
        if any(phase.name == name for phase in self.phases):
            raise ValueError(f'ContinualTrainLoop.add_phase: task {self.task_id} already has a '
                             f'phase named {name!r}')
        if dataset is not None and not (isinstance(dataset, dict) and 'type' in dataset):
            raise TypeError(f'ContinualTrainLoop.add_phase: dataset must be a data set config '
                            f"dict with a 'type', got {type(dataset).__name__}")
        self.phases.append(Phase(name, int(length), _to_builtin(param_scheduler),
                                 _to_builtin(dataset)))

    # --------------------------------------------------------------- training
    def check_evaluation_splits(self) -> None:
        """Refuse val/test loaders whose tasks differ from the training tasks (before any
        training: the accuracy matrix would silently score another split). The val split is
        built already; the test loader's config is compared without building its data set."""
        val_loop = self.runner.val_loop
        if isinstance(getattr(val_loop, 'split', None), TaskSplitDataset):
            check_same_tasks(self.split, val_loop.split, 'train_dataloader', 'val_dataloader')
        train, test = self._dataloader_cfg.get('dataset'), (
            self.runner.cfg.get('test_dataloader') or {}).get('dataset')
        if isinstance(train, dict) and isinstance(test, dict) and str(
                test.get('type', '')).endswith('TaskSplitDataset'):
            check_same_task_args(train, test, 'train_dataloader', 'test_dataloader')

    def _check_head_classes(self) -> None:
        """Refuse a head with fewer outputs than the training labels need (it would fail with
        an IndexError at the first step of the task that brings the label)."""
        model = self.runner.model
        head = getattr(getattr(model, 'module', model), 'head', None)
        num_classes = getattr(head, 'num_classes', None)
        largest = max(max(classes) for classes in self.split.task_classes)
        if isinstance(num_classes, int) and largest >= num_classes:
            raise ValueError(f'model.head.num_classes={num_classes} is too small: the training '
                             f'data (train_dataloader.dataset) has labels up to {largest}; set '
                             f'it to at least {largest + 1}')

    def run(self) -> torch.nn.Module:
        runner = self.runner
        self._run_started = time.perf_counter()
        self.check_evaluation_splits()
        runner.call_hook('before_train')
        if not self.accuracy_rows and not self.phases:
            self._evaluate_all_tasks()
        while self.task_id < self.split.num_tasks and not self.stop_training:
            if not self.phases:
                self._start_task()
            while self.phase_index < len(self.phases) and not self.stop_training:
                self._run_phase(self.phases[self.phase_index])
            if self.stop_training:
                break
            runner.call_hook('after_task', task_id=self.task_id)
            self._evaluate_all_tasks()
            self._extra_done += sum(p.length for p in self.phases[1:])
            self.task_id += 1
            self.phases, self.phase_index, self.phase_progress = [], 0, 0
        runner.call_hook('after_train')
        return runner.model

    def _start_task(self) -> None:
        self.dataloader = build_task_loader(self.runner, self._dataloader_cfg,
                                            self.split.task_subset(self.task_id))
        self.phases = [Phase('train', self.task_lengths[self.task_id])]
        self.runner.logger.info(f'Task {self.task_id + 1}/{self.split.num_tasks}: classes '
                                f'{self.split.task_classes[self.task_id]}, '
                                f'{len(self.dataloader.dataset)} samples')
        self.runner.call_hook('before_task', task_id=self.task_id)

    def _phase_loader(self, phase: Phase | None) -> DataLoader:
        """A loader over the phase's own data set, or over the current task's."""
        dataset = (self.split.task_subset(self.task_id) if phase is None or phase.dataset is None
                   else DATASETS.build(copy.deepcopy(phase.dataset)))
        return build_task_loader(self.runner, self._dataloader_cfg, dataset)

    def _run_phase(self, phase: Phase) -> None:
        runner = self.runner
        if self.phase_progress == 0:
            previous = self.phases[self.phase_index - 1] if self.phase_index else phase
            if phase.dataset is not None or previous.dataset is not None:
                self.dataloader = self._phase_loader(phase)
            runner.call_hook('before_phase', task_id=self.task_id, phase=phase.name)
            self._restart_schedules(phase)
        while self.phase_progress < phase.length and not self.stop_training:
            if self.by_epoch:
                self._run_epoch()
            else:
                self._run_iteration_pass(phase.length)
        if self.stop_training:
            return
        runner.call_hook('after_phase', task_id=self.task_id, phase=phase.name)
        self.phase_index += 1
        self.phase_progress = 0

    def _restart_schedules(self, phase: Phase) -> None:
        """Initial learning rates, optionally a fresh optimizer state, new schedulers."""
        runner = self.runner
        for wrapper in _optim_wrappers(runner.optim_wrapper):
            if self.reset_optimizer:
                wrapper.optimizer.state = defaultdict(dict)
            for group in wrapper.optimizer.param_groups:
                for key in [k for k in group if k.startswith('initial_')]:
                    group[key[len('initial_'):]] = group[key]
                group.setdefault('initial_lr', group['lr'])
        self.rebuild_schedulers()
        remaining = phase.length - self.phase_progress + sum(
            p.length for p in self.phases[self.phase_index + 1:]) + sum(
            self.task_lengths[self.task_id + 1:])
        per_unit = len(self.dataloader) if self.by_epoch else 1
        self._max_iters = self._iter + remaining * per_unit
        runner.logger.info(f'Task {self.task_id + 1}, phase {phase.name!r}: '
                           f'{phase.length} {"epochs" if self.by_epoch else "iterations"}'
                           + ('' if phase.dataset is None else
                              f' on {phase.dataset["type"]} ({len(self.dataloader.dataset)} '
                              'samples)'))

    @property
    def current_phase(self) -> Phase:
        """The phase being trained."""
        return self.phases[self.phase_index]

    @property
    def phase_steps(self) -> int:
        """The training steps of the current phase in all (hooks that follow a schedule
        inside a phase compare :attr:`phase_step` with it)."""
        return self.current_phase.length * (len(self.dataloader) if self.by_epoch else 1)

    def rebuild_schedulers(self) -> None:
        """Build the current phase's schedulers over the current optimizer.

        For a resume, and for hooks that replace the optimizer wrapper or change
        its parameter groups mid-phase (the schedulers hold both).
        """
        phase = self.phases[self.phase_index]
        cfg = phase.param_scheduler or self._scheduler_cfg
        if cfg is not None:
            self.runner.param_schedulers = self.runner.build_param_scheduler(copy.deepcopy(cfg))

    def _begin_pass(self) -> None:
        """Reseed from (seed, global epoch) and move the sampler to this epoch."""
        runner = self.runner
        parts = [runner.seed or 0, self._epoch]
        if runner._randomness_cfg.get('diff_rank_seed', False):
            parts.append(get_rank())
        reseed_everything(derive_seed(*parts))
        for holder in (self.dataloader.sampler, self.dataloader.batch_sampler):
            if hasattr(holder, 'set_epoch'):
                holder.set_epoch(self._epoch)
        runner.call_hook('before_train_epoch')
        runner.model.train()

    def _run_epoch(self) -> None:
        self._begin_pass()
        for idx, data_batch in enumerate(self.dataloader):
            self._run_iter(idx, data_batch)
        self.phase_progress += 1
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1

    def _run_iteration_pass(self, phase_length: int) -> None:
        """One pass over the loader, cut short where the phase ends."""
        start = self.phase_progress % len(self.dataloader)
        self._begin_pass()
        batches = iter(self.dataloader)
        for _ in range(start):
            next(batches)
        if self._resumed_rng is not None:
            restore_rng_state(self._resumed_rng)
            self._resumed_rng = None
        for idx in range(start, len(self.dataloader)):
            if self.phase_progress >= phase_length or self.stop_training:
                break
            self._run_iter(idx, next(batches), count_progress=True)
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1

    def _run_iter(self, idx: int, data_batch: Any, count_progress: bool = False) -> None:
        runner = self.runner
        self.phase_step = (self.phase_progress * len(self.dataloader) + idx if self.by_epoch
                           else self.phase_progress)
        runner.call_hook('before_train_iter', batch_idx=idx, data_batch=data_batch)
        outputs = runner.model.train_step(data_batch, optim_wrapper=runner.optim_wrapper)
        if count_progress:
            self.phase_progress += 1
        runner.call_hook('after_train_iter', batch_idx=idx, data_batch=data_batch,
                         outputs=outputs)
        self._iter += 1

    # ------------------------------------------------------------- evaluation
    def _evaluate_all_tasks(self) -> None:
        """Evaluate every task and record a row of the accuracy matrix."""
        val_loop = self.runner.val_loop
        if val_loop is None:
            return
        if not hasattr(val_loop, 'task_scores'):
            raise TypeError('ContinualTrainLoop needs val_cfg type=ContinualValLoop to fill the '
                            f'accuracy matrix, got {type(val_loop).__name__}')
        val_loop.run()
        self.accuracy_rows.append([float(score) for score in val_loop.task_scores])
        self.runner.logger.info('Accuracy matrix (rows: before training, after task t):\n'
                                + format_accuracy_matrix(self.accuracy_rows))
        if is_main_process() and len(self.accuracy_rows) == self.split.num_tasks + 1:
            work_dir = Path(self.runner.work_dir)
            summary = write_accuracy_report(self.accuracy_rows, work_dir,
                                            visualizer=self.runner.visualizer,
                                            step=len(self.accuracy_rows) - 1,
                                            record=self._record())
            self.runner.logger.info(format_final_summary(
                summary, work_dir / 'continual_accuracy.json',
                work_dir / 'continual_accuracy_matrix.png'))

    def _record(self) -> dict:
        """The run record, with the seconds this process spent in the loop (training and
        evaluation, without start-up)."""
        return dict(run_record(self.runner),
                    loop_time_s=round(time.perf_counter() - self._run_started, 3))

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        """Loop state for checkpoints: only numbers, strings, tensors and containers."""
        return dict(task_id=self.task_id, phase_index=self.phase_index,
                    phase_progress=self.phase_progress, extra_done=self._extra_done,
                    phases=[phase.state_dict() for phase in self.phases],
                    accuracy_rows=[list(row) for row in self.accuracy_rows],
                    rng=capture_rng_state())

    def load_state_dict(self, state: dict) -> None:
        """Put the loop back where a checkpoint left it (called before weights load)."""
        self.task_id = int(state['task_id'])
        self.phase_index = int(state['phase_index'])
        self.phase_progress = int(state['phase_progress'])
        self._extra_done = int(state['extra_done'])
        self.phases = [Phase(**phase) for phase in state['phases']]
        self.accuracy_rows = [list(row) for row in state['accuracy_rows']]
        if self.task_id >= self.split.num_tasks:
            return
        current = self.phases[self.phase_index] if self.phase_index < len(self.phases) else None
        self.dataloader = self._phase_loader(current)
        if current is not None:
            self.rebuild_schedulers()
            if not self.by_epoch and self.phase_progress % len(self.dataloader):
                self._resumed_rng = state['rng']
