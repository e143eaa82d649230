"""Predict a split with a checkpoint; CSV of sample id, predicted class and confidence.

usage: python tools/soups/predict.py CONFIG CHECKPOINT --out predictions.csv [--split test]
"""
import argparse

from mmengine.config import Config

import mm_cl_addon  # noqa: F401
from mm_cl_addon.engine import add_common_arguments, merge_test_args, parse_tool_args
from mm_cl_addon.engine.tool_main import run_tool
from mm_cl_addon.soups.evaluation import RunnerEvaluator
from mm_cl_addon.soups.predictions import predict_rows, write_predictions
from mm_cl_addon.soups.state_dicts import read_state_dict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', help='a training checkpoint or a soup')
    parser.add_argument('--out', required=True, help='CSV file to write')
    parser.add_argument('--split', default='test', choices=('val', 'test'))
    add_common_arguments(parser)
    args = parse_tool_args(parser)
    cfg = merge_test_args(Config.fromfile(args.config), args)
    evaluator = RunnerEvaluator(cfg, split=args.split)
    evaluator.load(read_state_dict(args.checkpoint)[0])
    write_predictions(args.out, predict_rows(evaluator.model, evaluator.loop.dataloader))
    print(f'predictions of {len(evaluator.loop.dataloader.dataset)} samples -> {args.out}')


if __name__ == '__main__':
    run_tool(main)
