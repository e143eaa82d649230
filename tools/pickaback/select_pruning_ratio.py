"""CPG pruning-ratio selection: the highest ratio whose accuracy is within the allowed loss.

usage: python tools/pickaback/select_pruning_ratio.py RECORD.json
           (--goal ACC | --baseline METRICS.json) [--allowed-acc-loss 0.5] [--out choice.json]
"""
import argparse
import json

from mm_cl_addon.continual.pruning_ratio import (
    goal_accuracy,
    read_ratio_record,
    select_pruning_ratio,
)
from mm_cl_addon.utils import atomic_write_json


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('record', help='per-ratio record JSON: {"task", "records"}')
    goal = parser.add_mutually_exclusive_group(required=True)
    goal.add_argument('--goal', type=float, help='goal accuracy in percent')
    goal.add_argument('--baseline', help='tools/test.py --out metrics with accuracy/top1')
    parser.add_argument('--allowed-acc-loss', type=float, default=0.5,
                        help='accuracy (percent points) the pruned model may lose')
    parser.add_argument('--out', help='write the choice to this JSON file')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    goal = goal_accuracy(args.goal if args.goal is not None else args.baseline)
    choice = select_pruning_ratio(read_ratio_record(args.record), goal, args.allowed_acc_loss)
    if args.out:
        atomic_write_json(args.out, choice)
    print(json.dumps(choice))


if __name__ == '__main__':
    main()
