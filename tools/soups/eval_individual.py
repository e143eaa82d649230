"""Score every fine-tuned ingredient on the held-out split; JSONL, one line per model, resumable.

usage: python tools/soups/eval_individual.py CONFIG CKPT_OR_GLOB [...] --out individual.jsonl
"""
import argparse
import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tools/: tool_args, stdlib only
from tool_args import OneLineParser, add_common_arguments, parse_launched  # noqa: E402


def evaluate(args: argparse.Namespace) -> None:
    from mmengine.config import Config

    import mm_cl_addon  # noqa: F401
    from mm_cl_addon.engine import merge_test_args
    from mm_cl_addon.engine.config_checks import parse_override_values
    from mm_cl_addon.soups.evaluation import RunnerEvaluator
    from mm_cl_addon.soups.individual import evaluate_individuals, expand_checkpoints

    args.cfg_options = parse_override_values(args.cfg_options)
    cfg = merge_test_args(Config.fromfile(args.config), args)
    evaluator = RunnerEvaluator(cfg, split=args.split, metric=args.metric)
    evaluate_individuals(expand_checkpoints(args.checkpoints), evaluator.metrics, args.metric,
                         args.out)


def main() -> None:
    parser = OneLineParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='the ingredients\' config (its val split is held out)')
    parser.add_argument('checkpoints', nargs='+', help='checkpoint paths or glob patterns')
    parser.add_argument('--out', required=True, help='JSONL file; models already in it are kept')
    parser.add_argument('--split', default='val', choices=('val', 'test'))
    parser.add_argument('--metric', default='accuracy/top1')
    add_common_arguments(parser)
    args = parse_launched(parser)
    from mm_cl_addon.compat import exit_after_distributed_run
    from mm_cl_addon.engine.tool_main import run_tool
    run_tool(lambda: evaluate(args))
    exit_after_distributed_run()  # a finished CPU DDP job must not abort in teardown


if __name__ == '__main__':
    main()
