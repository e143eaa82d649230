"""Score every fine-tuned ingredient on the held-out split; JSONL, one line per model, resumable.

usage: python tools/soups/eval_individual.py CONFIG CKPT_OR_GLOB [...] --out individual.jsonl
"""
import argparse

from mmengine.config import Config

import mm_cl_addon  # noqa: F401
from mm_cl_addon.compat import exit_after_distributed_run
from mm_cl_addon.engine import add_common_arguments, merge_test_args, parse_tool_args
from mm_cl_addon.engine.tool_main import run_tool
from mm_cl_addon.soups.evaluation import RunnerEvaluator
from mm_cl_addon.soups.individual import evaluate_individuals, expand_checkpoints


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='the ingredients\' config (its val split is held out)')
    parser.add_argument('checkpoints', nargs='+', help='checkpoint paths or glob patterns')
    parser.add_argument('--out', required=True, help='JSONL file; models already in it are kept')
    parser.add_argument('--split', default='val', choices=('val', 'test'))
    parser.add_argument('--metric', default='accuracy/top1')
    add_common_arguments(parser)
    args = parse_tool_args(parser)
    cfg = merge_test_args(Config.fromfile(args.config), args)
    evaluator = RunnerEvaluator(cfg, split=args.split, metric=args.metric)
    evaluate_individuals(expand_checkpoints(args.checkpoints), evaluator.metrics, args.metric,
                         args.out)


if __name__ == '__main__':
    run_tool(main)
    exit_after_distributed_run()  # a finished CPU DDP job must not abort in teardown
