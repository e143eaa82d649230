"""Hyper-parameter search for soup ingredients with optuna.

A soup needs ingredients that are good on their own yet differ, which is what a seeded TPE search
over learning rate, weight decay, epochs, batch size and seed yields. Every trial trains in this
process and is scored on the held-out val split after every epoch, so a pruner can stop a poor
trial early; the study lives in an SQLAlchemy storage, so an interrupted search resumes and
several machines can share one.
"""
from __future__ import annotations

import copy
import logging
import math
import os
import os.path as osp
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import optuna
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import Runner

from mm_cl_addon.engine import build_runner
from mm_cl_addon.utils import atomic_write_json
from mm_cl_addon.utils.files import read_text

PARAMS = ('lr', 'weight_decay', 'epochs', 'batch_size', 'seed')
FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)


def _check_range(name: str, bounds: tuple, positive: bool = False) -> None:
    low, high = bounds
    if not low <= high or (positive and low <= 0):
        kind = 'positive ' if positive else ''
        raise ValueError(f'SearchSpace.{name} must be {kind}(low, high) with low <= high, '
                         f'got {bounds!r}')


@dataclass(frozen=True)
class SearchSpace:
    """Bounds of every searched value; the defaults suit configs/soups/finetune_cnn_digits.py."""

    lr: tuple[float, float] = (1e-3, 1e-1)
    weight_decay: tuple[float, float] = (1e-5, 1e-2)
    epochs: tuple[int, int] = (2, 6)
    batch_sizes: tuple[int, ...] = (16, 32, 64)
    seed: tuple[int, int] = (0, 1000)

    def __post_init__(self) -> None:
        _check_range('lr', self.lr, positive=True)
        _check_range('weight_decay', self.weight_decay, positive=True)
        _check_range('epochs', self.epochs, positive=True)
        _check_range('seed', self.seed)
        if not self.batch_sizes or any(size < 1 for size in self.batch_sizes):
            raise ValueError(f'SearchSpace.batch_sizes must be positive ints, '
                             f'got {self.batch_sizes!r}')

    def suggest(self, trial: optuna.Trial) -> dict[str, Any]:
        """The trial's values, log-uniform where the scale matters more than the step."""
        return {
            'lr': trial.suggest_float('lr', *self.lr, log=True),
            'weight_decay': trial.suggest_float('weight_decay', *self.weight_decay, log=True),
            'epochs': trial.suggest_int('epochs', *self.epochs),
            'batch_size': trial.suggest_categorical('batch_size', list(self.batch_sizes)),
            'seed': trial.suggest_int('seed', *self.seed),
        }


def _stretch_schedulers(cfg: Config, old_epochs: int, epochs: int) -> None:
    """Epoch-based schedulers that ran to the end of training run to the new end.

    A scheduler ending earlier (a warm-up) keeps its length, and so does a ``T_max`` that was
    not the scheduler's whole span (a cycle); iteration-based schedulers are left alone.
    """
    schedulers = cfg.get('param_scheduler') or []
    for index, sched in enumerate([schedulers] if isinstance(schedulers, dict) else schedulers):
        if not sched.get('by_epoch', True):
            continue
        begin = sched.get('begin', 0)
        if min(sched.get('end', math.inf), old_epochs) < old_epochs:
            continue
        if epochs <= begin:
            raise ValueError(f'param_scheduler[{index}] ({sched.get("type")}) begins at epoch '
                             f'{begin}, after the trial\'s {epochs} epochs')
        if sched.get('T_max') == old_epochs - begin:
            sched['T_max'] = epochs - begin
        if 'end' in sched:
            sched['end'] = epochs


def apply_trial(cfg: Config, params: Mapping[str, Any], work_dir: str) -> Config:
    """A copy of ``cfg`` that trains with ``params`` in ``work_dir``, validating every epoch.

    ``work_dir`` is an argument because the params do not know their trial; the experiment
    name is made unique because mmengine keys its loggers and visualizers by it.
    """
    missing = [key for key in PARAMS if key not in params]
    if missing:
        raise KeyError(f'apply_trial: params lack {missing}, got {sorted(params)}')
    old_epochs = cfg.get('train_cfg', {}).get('max_epochs')
    if old_epochs is None:
        raise ValueError(f'apply_trial needs an epoch-based train_cfg with max_epochs; '
                         f'{cfg.filename} has train_cfg={cfg.get("train_cfg")!r}')
    trial_cfg = copy.deepcopy(cfg)
    trial_cfg.merge_from_dict({
        'optim_wrapper.optimizer.lr': params['lr'],
        'optim_wrapper.optimizer.weight_decay': params['weight_decay'],
        'train_cfg.max_epochs': params['epochs'],
        'train_cfg.val_interval': 1,
        'train_dataloader.batch_size': params['batch_size'],
        'randomness.seed': params['seed'],
    })
    _stretch_schedulers(trial_cfg, old_epochs, params['epochs'])
    trial_cfg.work_dir = work_dir
    trial_cfg.experiment_name = f'{osp.basename(work_dir)}_{uuid.uuid4().hex[:12]}'
    return trial_cfg


class _ReportHook(Hook):
    """Reports the held-out metric of every val epoch to the trial, and prunes.

    Its priority is lowest so that the epoch's logs and checkpoint are written before a prune
    stops training.
    """

    priority = 'LOWEST'

    def __init__(self, trial: optuna.Trial, metric: str) -> None:
        self.trial = trial
        self.metric = metric
        self.values: dict[int, float] = {}

    def after_val_epoch(self, runner: Runner, metrics: dict[str, float] | None = None) -> None:
        if not metrics or self.metric not in metrics:
            raise KeyError(f'metric {self.metric!r} is not among the val metrics '
                           f'{sorted(metrics or {})} of {runner.work_dir}')
        value = float(metrics[self.metric])
        self.values[runner.epoch] = value
        self.trial.report(value, runner.epoch)
        if self.trial.should_prune():
            raise optuna.TrialPruned(f'pruned after epoch {runner.epoch} with {value}')


def _close_log_files(runner: Runner) -> None:
    """Many trials in one process would otherwise keep every trial's log file open."""
    for handler in list(runner.logger.handlers):
        if isinstance(handler, logging.FileHandler):
            handler.close()
            runner.logger.removeHandler(handler)


def _last_checkpoint(work_dir: str) -> str | None:
    """The path CheckpointHook wrote to ``last_checkpoint``, if it saved any."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        return None
    return read_text(pointer, 'last_checkpoint pointer').strip()


def objective(trial: optuna.Trial, cfg: Config, space: SearchSpace | None = None,
              metric: str = 'accuracy/top1', work_dir: str = 'work_dirs/soups/tuning') -> float:
    """Train one trial; its value is ``metric`` on the held-out split after the final epoch."""
    params = (space or SearchSpace()).suggest(trial)
    trial_dir = osp.join(work_dir, trial.study.study_name, f'trial_{trial.number:04d}')
    trial.set_user_attr('work_dir', trial_dir)
    trial_cfg = apply_trial(cfg, params, trial_dir)
    runner = build_runner(trial_cfg)
    hook = _ReportHook(trial, metric)
    runner.register_hook(hook)
    try:
        runner.train()
    finally:
        _close_log_files(runner)
    if params['epochs'] not in hook.values:
        raise RuntimeError(f'{trial_dir}: no validation after the final epoch {params["epochs"]}; '
                           f'does the config have val_dataloader, val_cfg and val_evaluator?')
    trial.set_user_attr('checkpoint', _last_checkpoint(trial_dir))
    return hook.values[params['epochs']]


def _open_study(storage: str, study_name: str, sampler_seed: int,
                pruner: optuna.pruners.BasePruner) -> optuna.Study:
    study = optuna.create_study(storage=storage, study_name=study_name, direction='maximize',
                                pruner=pruner, load_if_exists=True)
    if study.directions != [optuna.study.StudyDirection.MAXIMIZE]:
        raise ValueError(f'study {study_name!r} in {storage} does not maximize: '
                         f'{study.directions}')
    # Offset by the trials already there: a resumed run must not replay the first suggestions.
    study.sampler = optuna.samplers.TPESampler(seed=sampler_seed + len(study.trials))
    return study


def _write_best(study: optuna.Study, path: str, metric: str) -> None:
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not complete:
        print_log(f'study {study.study_name!r} has no complete trial; {path} not written',
                  logger='current', level=logging.WARNING)
        return
    best = study.best_trial
    atomic_write_json(path, {
        'study_name': study.study_name, 'metric': metric, 'value': best.value,
        'params': best.params, 'trial_number': best.number,
        'checkpoint': best.user_attrs.get('checkpoint'),
        'work_dir': best.user_attrs.get('work_dir'),
        'finished_trials': len(study.get_trials(deepcopy=False, states=FINISHED))})


def run_study(cfg: Config, n_trials: int, storage: str | None = None,
              study_name: str = 'soup_tuning', work_dir: str = 'work_dirs/soups/tuning',
              space: SearchSpace | None = None, metric: str = 'accuracy/top1',
              sampler_seed: int = 0, pruner: optuna.pruners.BasePruner | None = None
              ) -> optuna.Study:
    """Run trials until the study holds ``n_trials`` finished (complete or pruned) ones.

    ``storage`` defaults to ``sqlite:///<work_dir>/<study_name>.db``, so a rerun resumes; the
    best trial goes to ``<work_dir>/<study_name>_best.json``. Machines sharing one storage
    should pass different ``sampler_seed`` values, or they draw the same first trials.
    """
    if n_trials < 1:
        raise ValueError(f'n_trials must be >= 1, got {n_trials}')
    if storage is None:
        os.makedirs(work_dir, exist_ok=True)
        storage = 'sqlite:///' + osp.abspath(osp.join(work_dir, f'{study_name}.db'))
    if pruner is None:
        pruner = optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1)
    study = _open_study(storage, study_name, sampler_seed, pruner)
    missing = n_trials - len(study.get_trials(deepcopy=False, states=FINISHED))
    if missing > 0:
        study.optimize(
            partial(objective, cfg=cfg, space=space, metric=metric, work_dir=work_dir),
            n_trials=missing,
            callbacks=[optuna.study.MaxTrialsCallback(n_trials, states=FINISHED)])
    _write_best(study, osp.join(work_dir, f'{study_name}_best.json'), metric)
    return study
