"""What ``tools/train.py`` and ``tools/test.py`` do to a config, as mmpretrain's tools do.

Kept here rather than in the scripts so that it is importable and tested.
"""
from __future__ import annotations

import argparse
import difflib
import inspect
import logging
import os
import os.path as osp

import torch
from mmengine.config import Config, DictAction
from mmengine.logging import print_log
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

# Top-level keys that Runner.from_cfg or mmengine/mmpretrain read besides Runner's arguments.
EXTRA_RUNNER_KEYS = frozenset({
    'runner_type', 'model_wrapper_cfg', 'compile', 'sync_bn', 'find_unused_parameters',
    'activation_checkpointing', 'efficient_conv_bn_eval', 'custom_imports', 'gpu_ids',
    'vis_backends', 'strategy', 'auto_scale_lr'})
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags that train.py and test.py share with mmpretrain's tools."""
    parser.add_argument('--work-dir', help='the dir to save logs, models and results')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_tool_args(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """Parse; older launchers pass ``--local-rank`` instead of setting LOCAL_RANK."""
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def build_runner(cfg: Config) -> Runner:
    """Warn about misspelled top-level keys, then build the Runner as mmpretrain does
    (with the config text left unreflowed: :func:`skip_config_reflow`)."""
    misspelled_runner_keys(cfg)
    skip_config_reflow(cfg)
    return RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)


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


def runner_keys() -> frozenset[str]:
    """Every top-level config key that the Runner uses."""
    params = inspect.signature(Runner.__init__).parameters
    return frozenset(name for name in params if name != 'self') | EXTRA_RUNNER_KEYS


def misspelled_runner_keys(cfg: Config) -> dict[str, str]:
    """Top-level keys that the Runner ignores but that look like one of its keys.

    mmengine silently ignores a top-level key it does not know, so
    ``trian_cfg = ...`` would train with no loop at all; this maps each such
    key to the key it most resembles, and warns.
    """
    known = runner_keys()
    suspects = {}
    for key in cfg.keys():
        if key in known or key.startswith('_'):
            continue
        match = difflib.get_close_matches(key, known, n=1, cutoff=0.8)
        if match:
            suspects[key] = match[0]
            print_log(f'Config key {key!r} is not a Runner argument and is ignored; did you mean '
                      f'{match[0]!r}?', logger='current', level=logging.WARNING)
    return suspects


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
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def merge_test_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply ``tools/test.py``'s flags to ``cfg``."""
    cfg.launcher = args.launcher
    _default_work_dir(cfg, args)
    cfg.load_from = getattr(args, 'checkpoint', None)
    apply_dataloader_defaults(cfg)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg
