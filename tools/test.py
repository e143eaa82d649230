"""Test a checkpoint, as mmpretrain's tools/test.py, with mm_cl_addon loaded."""
import argparse
import os

import mmengine
from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import mm_cl_addon  # noqa: F401  (registers our classes, applies the compat fixes)
from mm_cl_addon.engine import merge_test_args, misspelled_runner_keys


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and results')
    parser.add_argument('--out', help='write the metrics (every task and the mean) to this '
                                      'file (.json, .yaml or .pkl)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main() -> None:
    args = parse_args()
    cfg = merge_test_args(Config.fromfile(args.config), args)
    misspelled_runner_keys(cfg)
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    metrics = runner.test()
    if args.out and runner.rank == 0:
        mmengine.dump(metrics, args.out)


if __name__ == '__main__':
    main()
