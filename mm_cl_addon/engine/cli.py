"""What ``tools/train.py`` and ``tools/test.py`` do to a config, as mmpretrain's tools do.

Kept here rather than in the scripts so that it is importable and tested.
"""
from __future__ import annotations

import argparse
import os.path as osp
from pathlib import Path

import mmengine
import torch
from mmengine.config import Config
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from ..compat.package_paths import resolve_config_path
from ..utils import atomic_write
from .config_checks import (
    check_config,
    check_overrides,
    parse_override_values,
)
from .hooks.finite_check_hook import FiniteCheckHook
from .threads import apply_thread_policy

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
METRIC_FORMATS = {'.json': 'json', '.yaml': 'yaml', '.yml': 'yaml', '.pkl': 'pkl',
                  '.pickle': 'pkl'}


def build_runner(cfg: Config) -> Runner:
    """Check the config (:func:`check_config`), apply its thread count (``env_cfg.num_threads``,
    :mod:`.threads`), add :class:`FiniteCheckHook` unless listed, and build the Runner as
    mmpretrain does (config text unreflowed: :func:`skip_config_reflow`)."""
    check_config(cfg)
    apply_thread_policy(cfg.get('env_cfg'))
    add_finite_check(cfg)
    skip_config_reflow(cfg)
    return RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)


def add_finite_check(cfg: Config) -> None:
    """Every run stops at its first NaN/Inf loss or weight, unless it lists the hook itself."""
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(str(hook.get('type', '')).endswith(FiniteCheckHook.__name__) for hook in hooks):
        hooks.append(dict(type=FiniteCheckHook.__name__))
    cfg.custom_hooks = hooks


def apply_overrides(cfg: Config, options: dict | None) -> None:
    """Merge ``--cfg-options`` into ``cfg`` after refusing keys that would do nothing."""
    if options:
        check_overrides(cfg, options)
        cfg.merge_from_dict(options)


def skip_config_reflow(cfg: Config) -> None:
    """Write ``cfg``'s text as mmengine lays it out, without yapf's reflow.

    mmengine reflows the config text with yapf each time it logs it, dumps it to the work
    dir and stores it in a checkpoint. yapf's line-breaking search grows steeply with long
    lines: with a data root of ~70 characters one reflow of an MM-Pick-a-back config took
    3-9 s (0.002 s without). The text stays valid Python, one key per line; only the
    wrapping differs. (``Config.fromfile(..., format_python_code=False)`` would do this,
    but mmengine 0.10.7 drops that argument for non-lazy configs.)
    """
    object.__setattr__(cfg, '_format_python_code', False)


def apply_dataloader_defaults(cfg: Config, no_pin_memory: bool = False,
                              no_persistent_workers: bool = False) -> None:
    """mmpretrain's loader defaults, with ``persistent_workers`` only where there are worker
    processes and ``pin_memory`` only where there is a GPU to pin for."""
    for field in LOADERS:
        loader = cfg.get(field)
        if loader is None:
            continue
        loader.setdefault('pin_memory', torch.cuda.is_available())
        loader.setdefault('collate_fn', dict(type='default_collate'))
        has_workers = loader.get('num_workers', 0) > 0
        loader.setdefault('persistent_workers', has_workers)
        if no_pin_memory:
            loader['pin_memory'] = False
        if no_persistent_workers or not has_workers:
            loader['persistent_workers'] = False


def _default_work_dir(cfg: Config, args: argparse.Namespace) -> None:
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])


def merge_train_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply ``tools/train.py``'s flags to ``cfg`` (mmpretrain's semantics)."""
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.launcher = args.launcher
    _default_work_dir(cfg, args)
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if args.auto_scale_lr:
        if cfg.get('auto_scale_lr') is None:
            raise KeyError(f'--auto-scale-lr needs auto_scale_lr=dict(base_batch_size=...) in '
                           f'{args.config}')
        cfg.auto_scale_lr.enable = True
    apply_dataloader_defaults(cfg, args.no_pin_memory, args.no_persistent_workers)
    apply_overrides(cfg, args.cfg_options)
    return cfg


def train_from_args(args: argparse.Namespace) -> None:
    """What ``tools/train.py`` does once its command line is parsed (``tools/tool_args.py``:
    ``cfg_options`` values are still raw strings there)."""
    cfg = Config.fromfile(resolve_config_path(args.config))
    args.cfg_options = parse_override_values(args.cfg_options)
    build_runner(merge_train_args(cfg, args)).train()


def test_from_args(args: argparse.Namespace) -> dict:
    """What ``tools/test.py`` does once its command line is parsed: test, then write the
    metrics to ``args.out`` (rank 0)."""
    cfg = Config.fromfile(resolve_config_path(args.config))
    args.cfg_options = parse_override_values(args.cfg_options)
    runner = build_runner(merge_test_args(cfg, args))
    metrics = runner.test()
    if args.out and runner.rank == 0:
        dump_metrics(metrics, args.out)
    return metrics


def dump_metrics(metrics: dict, path: str) -> None:
    """Write the metrics whole or not at all (temporary file, then rename)."""
    suffix = Path(path).suffix.lower()
    if suffix not in METRIC_FORMATS:
        raise ValueError(f'--out {path}: the suffix must be one of {sorted(METRIC_FORMATS)}')
    file_format = METRIC_FORMATS[suffix]
    binary = file_format == 'pkl'
    with atomic_write(path, 'wb' if binary else 'w', None if binary else 'utf-8') as handle:
        mmengine.dump(metrics, file=handle, file_format=file_format)


def merge_test_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply ``tools/test.py``'s flags to ``cfg``."""
    cfg.launcher = args.launcher
    _default_work_dir(cfg, args)
    cfg.load_from = getattr(args, 'checkpoint', None)
    apply_dataloader_defaults(cfg)
    apply_overrides(cfg, args.cfg_options)
    return cfg
