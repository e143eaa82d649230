"""Accuracy of prediction or vote CSVs against a config's split.

usage: python tools/soups/score_predictions.py CONFIG A.csv [B.csv ...] [--split test]
"""
import argparse
import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tools/: tool_args, stdlib only
from tool_args import OneLineParser  # noqa: E402


def score(args: argparse.Namespace) -> None:
    from mmengine.config import Config
    from mmpretrain.registry import DATASETS

    import mm_cl_addon  # noqa: F401
    from mm_cl_addon.soups import read_predictions
    from mm_cl_addon.soups.predictions import labels_by_id, prediction_accuracy

    cfg = Config.fromfile(args.config)
    labels = labels_by_id(DATASETS.build(cfg[f'{args.split}_dataloader'].dataset))
    for path in args.predictions:
        accuracy = prediction_accuracy(read_predictions(path), labels, path)
        print(f'{path}: {args.split} accuracy {accuracy:.2f}')


def main() -> None:
    parser = OneLineParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('predictions', nargs='+')
    parser.add_argument('--split', default='test', choices=('val', 'test'))
    args = parser.parse_args()
    from mm_cl_addon.engine.tool_main import run_tool
    run_tool(lambda: score(args))


if __name__ == '__main__':
    main()
