"""Train a model from a config, as mmpretrain's tools/train.py, with mm_cl_addon loaded."""
import argparse

from mmengine.config import Config

import mm_cl_addon  # noqa: F401  (registers our classes, applies the compat fixes)
from mm_cl_addon.compat import exit_after_distributed_run
from mm_cl_addon.engine import add_common_arguments, build_runner, merge_train_args, parse_tool_args
from mm_cl_addon.engine.tool_errors import run_tool


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from this checkpoint; without a path, from the latest '
                             'checkpoint in the work dir')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument('--no-validate', action='store_true', help='skip evaluation')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate by the actual batch size')
    parser.add_argument('--no-pin-memory', action='store_true')
    parser.add_argument('--no-persistent-workers', action='store_true')
    add_common_arguments(parser)
    return parse_tool_args(parser)


def main() -> None:
    args = parse_args()
    build_runner(merge_train_args(Config.fromfile(args.config), args)).train()


if __name__ == '__main__':
    run_tool(main)
    exit_after_distributed_run()  # a finished CPU DDP job must not abort in teardown
