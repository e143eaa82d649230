"""``OnlineStreamEvalHook``: the online 2D protocol's continual confusion matrices.

The Memory Head and Continual Neural Computation papers train on one stream, one sample
at a time, and at every distribution boundary evaluate the model on every distribution of
the train, val and test streams (``fill_row_in_continual_confusion_matrix`` of their
code). Under ``ContinualTrainLoop`` with one task per distribution
(``TaskSplitDataset(scenario='class-domain', tasks=1)`` over ``Points2DDataset``) a
boundary is ``after_task``. The scores are those of :mod:`mm_cl_addon.continual.online_metrics`.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from mmengine.dataset import default_collate
from mmengine.dist import is_main_process
from mmpretrain.registry import DATASETS, HOOKS
from mmpretrain.structures import DataSample
from torch.utils.data import DataLoader

from ...continual.metrics import summarize
from ...continual.online_metrics import (
    SCORES,
    ccm_from_json,
    ccm_history,
    ccm_scores,
    ccm_to_json,
    empty_ccm,
    filled_rows,
)
from ...continual.task_hook import TaskHook
from ...continual.task_split import TaskSplitDataset
from ...evaluation.decision_regions import draw_decision_regions, grid_points, save_figure
from ...utils.io import atomic_write_json
from ...utils.modes import eval_mode
from ...utils.run_record import run_record

CHECKPOINT_KEY = 'online_stream_eval'
SPLITS = ('train', 'val', 'test')


class _Stream:
    """One split's task-tagged data, its loader and its matrix being filled."""

    def __init__(self, split: TaskSplitDataset, batch_size: int) -> None:
        self.split = split
        # A plain sequential loader on the main process: every rank-0 evaluation sees the
        # whole split in stream order, with no sampler state or seed involved.
        self.loader = DataLoader(split, batch_size=batch_size, shuffle=False,
                                 collate_fn=default_collate)
        self.ccm = empty_ccm(split.num_tasks)
        self.initial: list[float] | None = None
        # the model at the last boundary on every distribution, also past the matrix's rows
        self.current: list[float] | None = None


@HOOKS.register_module()
class OnlineStreamEvalHook(TaskHook):
    """Fill each split's continual confusion matrix at every distribution boundary.

    Before training it evaluates every distribution once (the row the core matrix has and
    the CCM lacks, kept to report the core scores on the same evaluations); after
    training distribution ``z`` (``after_task``) it fills row ``z`` of the matrix of every
    split that has more than ``z`` distributions (the validation stream, cut to its first
    half by the data, stops filling half-way, as in the reference). After each boundary it
    writes ``<work_dir>/<out_file>`` (atomically, rank 0): per split the matrix (``null`` =
    not filled), the untrained row, the scores at every boundary, the ``final`` scores (at
    the last filled row), once the matrix is full the core scores of
    :func:`mm_cl_addon.continual.metrics.summarize` on ``[untrained row; CCM]``, and the
    accuracy of the model as it stands at the last boundary on every distribution
    (``current``) with its mean (``current_accuracy``). ``current`` is the row just filled
    while the matrix fills, and an evaluation of its own after that: on the validation stream
    it says how much of the first half the final model keeps.

    Evaluation is task-free on purpose: the online protocol gives the model no task labels,
    so no ``before_val_task`` hook runs (no method may switch masks or heads per
    distribution); the model is evaluated as it stands at the boundary.

    Args:
        splits: which streams to evaluate, any of ``'train'``, ``'val'``, ``'test'``.
        datasets: a ``TaskSplitDataset`` config per split; a split not given uses the
            dataset of the config's ``<split>_dataloader``, else the train loader's with
            ``split=<split>`` for the wrapped data set (a split with none is skipped).
        batch_size: evaluation batch size (predictions do not depend on it).
        out_file: JSON file name in the work dir.
        decision_regions: also draw the model's predicted class over a grid of
            [-1.01, 1.01]^2 with the test points on top, after every boundary, to
            ``<work_dir>/decision_regions/after_distribution_<z>.png`` (2D inputs only).
        grid_step: spacing of that grid.
    """

    priority = 'LOW'  # after the method hooks' after_task (e.g. GDumb's retraining is a phase)
    checkpoint_key = CHECKPOINT_KEY

    def __init__(self, splits: Sequence[str] = SPLITS, datasets: Mapping[str, Any] | None = None,
                 batch_size: int = 256, out_file: str = 'online_stream_metrics.json',
                 decision_regions: bool = False, grid_step: float = 0.01) -> None:
        unknown = sorted(set(splits) - set(SPLITS))
        if unknown or not splits:
            raise ValueError(f'OnlineStreamEvalHook: splits={list(splits)!r} must be a non-empty '
                             f'subset of {SPLITS}')
        extra = sorted(set(datasets or {}) - set(splits))
        if extra:
            raise KeyError(f'OnlineStreamEvalHook: datasets has keys {extra} that are not in '
                           f'splits={list(splits)!r}')
        if int(batch_size) < 1:
            raise ValueError(f'OnlineStreamEvalHook: batch_size={batch_size!r} must be >= 1')
        if not out_file or '/' in out_file:
            raise ValueError(f'OnlineStreamEvalHook: out_file={out_file!r} must be a file name')
        self.splits = tuple(splits)
        self.dataset_cfgs = dict(datasets or {})
        self.batch_size = int(batch_size)
        self.out_file = out_file
        self.decision_regions = decision_regions
        self.grid_step = float(grid_step)
        self.streams: dict[str, _Stream] = {}
        self._restored: dict | None = None

    # ------------------------------------------------------------------ setup
    def _dataset_cfg(self, runner, name: str) -> Any:
        """The split's own config, else its loader's, else the train one's with ``split=name``.

        The last lets a config evaluate the validation stream without a validation loop
        (whose core accuracy matrix needs as many tasks as training, which the cut
        validation stream does not have).
        """
        if name in self.dataset_cfgs:
            return self.dataset_cfgs[name]
        loader = runner.cfg.get(f'{name}_dataloader')
        if loader is not None:
            return loader.get('dataset')
        train = copy.deepcopy(runner.cfg.get('train_dataloader') or {}).get('dataset')
        if not isinstance(train, Mapping) or not isinstance(train.get('dataset'), Mapping):
            return None
        train['dataset']['split'] = name
        return train

    def before_train(self, runner) -> None:
        """Build the streams, restore resumed rows, evaluate the untrained model."""
        for name in self.splits:
            cfg = self._dataset_cfg(runner, name)
            if cfg is None:
                runner.logger.info(f'OnlineStreamEvalHook: no {name} data set; skipping {name}')
                continue
            split = DATASETS.build(cfg) if isinstance(cfg, Mapping) else cfg
            if not isinstance(split, TaskSplitDataset):
                raise TypeError(f'OnlineStreamEvalHook: the {name} data set must be a '
                                f"TaskSplitDataset (one task per distribution), got "
                                f'{type(split).__name__}')
            self.streams[name] = _Stream(split, self.batch_size)
        if self.decision_regions and 'test' not in self.streams:
            raise ValueError('OnlineStreamEvalHook: decision_regions=True draws the test points; '
                             "add 'test' to splits")
        if self._restored is not None:
            self._load_rows(self._restored)
            self._restored = None
            return
        if is_main_process():
            for stream in self.streams.values():
                stream.initial = self._evaluate(runner, stream).tolist()

    # ------------------------------------------------------------- evaluation
    @torch.no_grad()
    def _predict(self, runner, data_batch: dict) -> list[DataSample]:
        return runner.model.val_step(data_batch)

    def _evaluate(self, runner, stream: _Stream) -> np.ndarray:
        """Accuracy on every distribution (task) of one split, in eval mode.

        The torch RNG (which a DataLoader iterator draws from) is restored afterwards, so
        adding the hook leaves training bit-identical.
        """
        correct = np.zeros(stream.split.num_tasks)
        total = np.zeros(stream.split.num_tasks)
        with eval_mode(runner.model), torch.random.fork_rng(devices=[]):
            for data_batch in stream.loader:
                for sample in self._predict(runner, data_batch):
                    task = int(sample.task_id)
                    total[task] += 1
                    correct[task] += int(sample.pred_label.item() == sample.gt_label.item())
        return correct / np.maximum(total, 1)

    def after_task(self, runner, task_id: int) -> None:
        """Evaluate every split; fill row ``task_id`` of those that have that many
        distributions (the same evaluation); report."""
        if not is_main_process():
            return
        for stream in self.streams.values():
            accuracy = self._evaluate(runner, stream)
            stream.current = accuracy.tolist()
            if task_id < stream.split.num_tasks:
                stream.ccm[task_id] = accuracy
        summary = self.summary(task_id)
        atomic_write_json(Path(runner.work_dir) / self.out_file,
                          dict(summary, run=run_record(runner)))
        for name, report in summary['splits'].items():
            final = report['final']
            if final is not None:
                runner.logger.info(
                    f'online {name} after distribution {task_id}: '
                    + ', '.join(f'{key}={100 * final[key]:.2f}' for key in SCORES))
        if self.decision_regions:
            self._draw(runner, task_id)

    def summary(self, task_id: int) -> dict:
        """Everything written to the JSON file after boundary ``task_id``."""
        splits = {}
        for name, stream in self.streams.items():
            done = filled_rows(stream.ccm)
            full = done == stream.split.num_tasks
            final = None
            if done:
                final = dict(ccm_scores(stream.ccm, done - 1), at_distribution=done - 1)
            core = None
            if full and stream.initial is not None:
                core = summarize(np.vstack([stream.initial, stream.ccm]))
                del core['accuracy_matrix']
            current = stream.current
            splits[name] = dict(num_distributions=stream.split.num_tasks,
                                ccm=ccm_to_json(stream.ccm), untrained=stream.initial,
                                history=ccm_history(stream.ccm), final=final, core=core,
                                current=current,
                                current_accuracy=None if current is None
                                else float(np.mean(current)))
        return dict(protocol='online continual confusion matrix (Continual Neural Computation, '
                             'supplementary App. C)',
                    last_distribution=task_id, splits=splits)

    # --------------------------------------------------------------- drawing
    def _draw(self, runner, task_id: int) -> None:
        """Predicted class over the grid, with the test points, for this boundary."""
        stream = self.streams['test']
        points, labels, modes = [], [], []
        for index in range(len(stream.split.dataset)):
            info = stream.split.dataset.get_data_info(index)
            points.append(np.asarray(info['img'], np.float64).reshape(-1))
            labels.append(int(info['gt_label']))
            modes.append(int(info.get('mode_id', 0)))
        points_array = np.stack(points)
        if points_array.shape[1] != 2:
            raise ValueError('OnlineStreamEvalHook: decision_regions needs 2D inputs, the test '
                             f'samples have {points_array.shape[1]} values')
        axis, grid = grid_points(self.grid_step)
        predictions = self._predict_grid(runner, grid)
        num_classes = len(stream.split.metainfo.get('classes', ())) or int(max(labels)) + 1
        accuracy = stream.ccm[task_id].mean() if task_id < stream.split.num_tasks else None
        title = (f'after distribution {task_id}'
                 + ('' if accuracy is None else f': test accuracy {100 * accuracy:.1f}%'))
        figure = draw_decision_regions(axis, predictions, points_array, np.array(labels),
                                       num_classes, title, np.array(modes))
        save_figure(figure, Path(runner.work_dir) / 'decision_regions'
                    / f'after_distribution_{task_id}.png')

    def _predict_grid(self, runner, grid: np.ndarray) -> np.ndarray:
        labels = []
        # the [B, 2, 1, 1] layout of Points2DDataset after PackInputs and collation
        inputs = torch.from_numpy(grid).reshape(-1, 2, 1, 1)
        with eval_mode(runner.model):
            for start in range(0, len(inputs), 4096):
                chunk = inputs[start:start + 4096]
                samples = self._predict(runner, dict(
                    inputs=chunk, data_samples=[DataSample() for _ in range(len(chunk))]))
                labels += [int(sample.pred_label.item()) for sample in samples]
        return np.array(labels)

    # ------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict:
        """The rows so far and the last ``current`` (plain lists), so a resumed run reports the
        whole matrix."""
        return {name: dict(ccm=ccm_to_json(stream.ccm), untrained=stream.initial,
                           current=stream.current)
                for name, stream in self.streams.items()}

    def load_state_dict(self, state: dict) -> None:
        """Kept until the streams are built (``before_train``), which reads it."""
        self._restored = state

    def _load_rows(self, state: dict) -> None:
        for name, stream in self.streams.items():
            if name in state:
                stream.ccm = ccm_from_json(state[name]['ccm'])
                stream.initial = state[name]['untrained']
                stream.current = state[name].get('current')  # absent before it was kept
