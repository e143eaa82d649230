"""The command lines of train.py and test.py, parsed with the standard library alone.

Importing the package loads torch, mmengine and mmpretrain (seconds). A user who mistypes a flag,
a config path or a checkpoint, or forgets the ``=`` of a ``--cfg-options`` item, should hear so at
once, in one line: so these checks run before that import.
"""
from __future__ import annotations

import argparse
import difflib
import os
import sys
from pathlib import Path

CONFIG_ROOT = Path(__file__).resolve().parents[1] / 'configs'
METRIC_SUFFIXES = ('.json', '.yaml', '.yml', '.pkl', '.pickle')  # engine.cli.METRIC_FORMATS
REMOTE_PREFIXES = ('http://', 'https://', 's3://', 'open-mmlab://', 'openmmlab://',
                   'torchvision://', 'modelzoo://', 'mmcls://', 'pavi://')


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (``--help`` still shows the usage)."""

    def error(self, message: str) -> None:
        print(f'{self.prog}: error: {message} (see --help)', file=sys.stderr)
        sys.exit(2)


class KeyValueAction(argparse.Action):
    """``--cfg-options key=value ...`` kept as raw ``{key: value}`` strings; the values are
    parsed as mmengine's ``DictAction`` does once the package is loaded."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        options = dict(getattr(namespace, self.dest, None) or {})
        for item in values:
            key, sep, value = item.partition('=')
            if not sep or not key:
                parser.error(f'{option_string} {item!r}: expected key=value (e.g. '
                             'train_cfg.epochs_per_task=1)')
            options[key] = value
        setattr(namespace, self.dest, options)


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of every tool that builds a Runner, as mmpretrain's tools spell them."""
    parser.add_argument('--work-dir', help='the dir to save logs, models and results')
    parser.add_argument('--cfg-options', nargs='+', action=KeyValueAction, metavar='KEY=VALUE',
                        help='override config settings, e.g. train_cfg.epochs_per_task=1')
    add_launcher_arguments(parser)


def add_launcher_arguments(parser: argparse.ArgumentParser) -> None:
    """``--launcher`` and the ``--local-rank`` that older launchers pass."""
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def nearest_configs(path: str, count: int = 3) -> list[str]:
    """Shipped configs whose path under ``configs/`` looks like ``path``."""
    shipped = [str(p.relative_to(CONFIG_ROOT)) for p in CONFIG_ROOT.rglob('*.py')
               if '_base_' not in p.parts]
    wanted = str(path).split('configs/', 1)[-1]
    return [f'configs/{name}' for name in
            difflib.get_close_matches(wanted, shipped, n=count, cutoff=0.6)]


def _check_config(parser: argparse.ArgumentParser, path: str) -> None:
    if '::' in path or os.path.isfile(path):  # 'package::path' is resolved by mmengine
        return
    near = nearest_configs(path)
    hint = f'; did you mean {" or ".join(near)}?' if near else ''
    parser.error(f'config {path} does not exist{hint}')


def _check_checkpoint(parser: argparse.ArgumentParser, path: str | None, flag: str) -> None:
    if path and path != 'auto' and not path.startswith(REMOTE_PREFIXES) and not (
            os.path.isfile(path)):
        parser.error(f'{flag} {path}: no such checkpoint file')


def parse_launched(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """Parse; older launchers pass ``--local-rank`` instead of setting LOCAL_RANK."""
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def _finish(parser: argparse.ArgumentParser) -> argparse.Namespace:
    args = parse_launched(parser)
    _check_config(parser, args.config)
    return args


def parse_train_args() -> argparse.Namespace:
    parser = OneLineParser(prog='train.py', description='Train a model (mm_cl_addon)')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from this checkpoint; without a path, from the latest '
                             'whole checkpoint in the work dir')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument('--no-validate', action='store_true', help='skip evaluation')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate by the actual batch size')
    parser.add_argument('--no-pin-memory', action='store_true')
    parser.add_argument('--no-persistent-workers', action='store_true')
    add_common_arguments(parser)
    args = _finish(parser)
    _check_checkpoint(parser, args.resume, '--resume')
    return args


def parse_test_args() -> argparse.Namespace:
    parser = OneLineParser(prog='test.py', description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='write the metrics (every task and the mean) to this '
                                      'file (.json, .yaml or .pkl)')
    add_common_arguments(parser)
    args = _finish(parser)
    _check_checkpoint(parser, args.checkpoint, 'checkpoint')
    if args.out and Path(args.out).suffix.lower() not in METRIC_SUFFIXES:
        parser.error(f'--out {args.out}: the suffix must be one of {METRIC_SUFFIXES}')
    return args
