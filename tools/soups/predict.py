"""Predict a split with a checkpoint; CSV of sample id, predicted class and confidence.

usage: python tools/soups/predict.py CONFIG CHECKPOINT --out predictions.csv [--split test]
"""
import argparse
import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tools/: tool_args, stdlib only
from tool_args import OneLineParser, add_common_arguments, parse_launched  # noqa: E402


def predict(args: argparse.Namespace) -> None:
    from mmengine.config import Config

    import mm_cl_addon  # noqa: F401
    from mm_cl_addon.engine import merge_test_args
    from mm_cl_addon.engine.config_checks import parse_override_values
    from mm_cl_addon.soups.evaluation import RunnerEvaluator
    from mm_cl_addon.soups.predictions import predict_rows, write_predictions
    from mm_cl_addon.soups.state_dicts import read_state_dict

    args.cfg_options = parse_override_values(args.cfg_options)
    cfg = merge_test_args(Config.fromfile(args.config), args)
    evaluator = RunnerEvaluator(cfg, split=args.split)
    evaluator.load(read_state_dict(args.checkpoint)[0])
    write_predictions(args.out, predict_rows(evaluator.model, evaluator.loop.dataloader))
    print(f'predictions of {len(evaluator.loop.dataloader.dataset)} samples -> {args.out}')


def main() -> None:
    parser = OneLineParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', help='a training checkpoint or a soup')
    parser.add_argument('--out', required=True, help='CSV file to write')
    parser.add_argument('--split', default='test', choices=('val', 'test'))
    add_common_arguments(parser)
    args = parse_launched(parser)
    from mm_cl_addon.engine.tool_main import run_tool
    run_tool(lambda: predict(args))


if __name__ == '__main__':
    main()
