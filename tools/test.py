"""Test a checkpoint, as mmpretrain's tools/test.py, with mm_cl_addon loaded."""
import argparse
from pathlib import Path

import mmengine
from mmengine.config import Config

import mm_cl_addon  # noqa: F401  (registers our classes, applies the compat fixes)
from mm_cl_addon.compat import exit_after_distributed_run
from mm_cl_addon.engine import add_common_arguments, build_runner, merge_test_args, parse_tool_args
from mm_cl_addon.engine.tool_errors import run_tool
from mm_cl_addon.utils import atomic_write

FORMATS = {'.json': 'json', '.yaml': 'yaml', '.yml': 'yaml', '.pkl': 'pkl', '.pickle': 'pkl'}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='write the metrics (every task and the mean) to this '
                                      'file (.json, .yaml or .pkl)')
    add_common_arguments(parser)
    return parse_tool_args(parser)


def dump_metrics(metrics: dict, path: str) -> None:
    """Write the metrics whole or not at all (temporary file, then rename)."""
    file_format = FORMATS[Path(path).suffix.lower()]
    binary = file_format == 'pkl'
    with atomic_write(path, 'wb' if binary else 'w', None if binary else 'utf-8') as handle:
        mmengine.dump(metrics, file=handle, file_format=file_format)


def main() -> None:
    args = parse_args()
    if args.out and Path(args.out).suffix.lower() not in FORMATS:
        raise SystemExit(f'--out {args.out}: the suffix must be one of {sorted(FORMATS)}')
    runner = build_runner(merge_test_args(Config.fromfile(args.config), args))
    metrics = runner.test()
    if args.out and runner.rank == 0:
        dump_metrics(metrics, args.out)


if __name__ == '__main__':
    run_tool(main)
    exit_after_distributed_run()  # a finished CPU DDP job must not abort in teardown
