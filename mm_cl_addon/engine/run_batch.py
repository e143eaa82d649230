"""Train many configs in-process, one work dir each, with ``jobs`` worker processes.

Tables over seeds (``tools/memory_head/results_table.py``) and the hyper-parameter selection
(:mod:`.hparam_selection`) both train a list of small runs: what ``tools/train.py`` does, but in
a process that has imported the stack once (a fresh interpreter per run costs seconds), with
only what the result needs (no checkpoints, no decision-region PNGs, warnings only).
"""
from __future__ import annotations

import copy
import inspect
import multiprocessing
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mmengine.config import Config

from .cli import apply_dataloader_defaults, apply_overrides, build_runner

#: ``(key, value)`` pairs of config overrides, merged in this order.
Options = tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class TrainRun:
    """One run: ``config`` trained into ``work_dir`` with ``randomness.seed=seed``, then
    ``options`` merged in order (see :func:`apply_options`)."""

    config: Path
    work_dir: Path
    seed: int
    options: Options = ()


def apply_options(cfg: Config, options: Sequence[tuple[str, Any]]) -> None:
    """Merge each ``(key, value)`` with its own ``Config.merge_from_dict`` call, in order.

    One call per key, so that a whole-dict replacement (``dict(_delete_=True, ...)``) followed by
    a deeper key refines the new dict instead of racing it. Values are copied first: mmengine
    pops ``_delete_`` out of the dict it merges, which would change the caller's value.
    """
    for key, value in options:
        apply_overrides(cfg, {key: copy.deepcopy(value)})


def run_config(run: TrainRun) -> Config:
    """The config that :func:`train_run` trains: the file, the run's place and seed, the
    options, and a table run's economies (no checkpoint, no decision regions)."""
    from mmpretrain.registry import HOOKS

    cfg = Config.fromfile(str(run.config))
    cfg.work_dir = str(run.work_dir)
    cfg.launcher = 'none'
    cfg.log_level = 'WARNING'
    # in-process runs share mmengine's global instances by name: each needs its own
    cfg.experiment_name = f'{run.config.stem}_{run.seed}_{uuid.uuid4().hex[:8]}'
    cfg.visualizer = dict(cfg.visualizer, name=cfg.experiment_name)
    cfg.default_hooks.checkpoint = None
    for hook in cfg.get('custom_hooks') or []:
        if hook['type'] == 'OnlineStreamEvalHook':
            hook['decision_regions'] = False
        elif 'seed' in inspect.signature(HOOKS.get(hook['type'])).parameters:
            hook['seed'] = run.seed  # buffers and GDumb's re-initialisation vary with the run
    apply_dataloader_defaults(cfg)
    apply_overrides(cfg, {'randomness.seed': run.seed})
    apply_options(cfg, run.options)
    return cfg


def train_run(run: TrainRun) -> None:
    """What ``tools/train.py`` does, in this process, with a unique experiment name."""
    build_runner(run_config(run)).train()


def train_runs(runs: Sequence[TrainRun], jobs: int = 1,
               train: Callable[[TrainRun], None] = train_run) -> Iterator[TrainRun]:
    """Train the runs, yielding each when done (in order); ``jobs > 1`` uses that many spawned
    worker processes (each imports the stack once), ``jobs == 1`` trains in this process.

    ``train`` must be a module-level function when ``jobs > 1`` (workers receive it pickled).
    """
    if jobs < 1:
        raise ValueError(f'jobs={jobs!r} must be >= 1')
    if jobs == 1:
        for run in runs:
            train(run)
            yield run
        return
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context('spawn')) as pool:
        for run, _ in zip(runs, pool.map(train, runs)):
            yield run
