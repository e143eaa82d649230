"""CPG pruning-ratio selection: the highest ratio whose accuracy is within the allowed loss.

usage: python tools/pickaback/select_pruning_ratio.py RECORD.json
           (--goal ACC | --baseline METRICS.json [--baseline-key KEY])
           [--allowed-acc-loss 0.5] [--out choice.json]

When CPGHook wrote the record, the snapshot of the chosen ratio lies next to it; the
choice then names it under "checkpoint", ready for load_from or find_backbone.py.
"""
import argparse
import json
import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tools/: tool_args, stdlib only
from tool_args import OneLineParser  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = OneLineParser(description=__doc__.splitlines()[0])
    parser.add_argument('record', help='per-ratio record JSON: {"task", "records"}')
    goal = parser.add_mutually_exclusive_group(required=True)
    goal.add_argument('--goal', type=float, help='goal accuracy in percent')
    goal.add_argument('--baseline', help='tools/test.py --out metrics JSON')
    parser.add_argument('--baseline-key', default='accuracy/top1',
                        help='the goal metric in --baseline (continual runs: '
                             'task0/accuracy/top1 or mean/accuracy/top1)')
    parser.add_argument('--allowed-acc-loss', type=float, default=0.5,
                        help='accuracy (percent points) the pruned model may lose')
    parser.add_argument('--out', help='write the choice to this JSON file')
    return parser.parse_args()


def select(args: argparse.Namespace) -> None:
    from mm_cl_addon.continual.pruning_ratio import (
        goal_accuracy,
        read_ratio_record,
        select_pruning_ratio,
        snapshot_name,
    )
    from mm_cl_addon.utils import atomic_write_json

    goal = (goal_accuracy(args.goal) if args.goal is not None
            else goal_accuracy(args.baseline, args.baseline_key))
    choice = select_pruning_ratio(read_ratio_record(args.record), goal, args.allowed_acc_loss)
    snapshot = Path(args.record).parent / snapshot_name(choice['ratio'])
    if snapshot.is_file():
        choice['checkpoint'] = str(snapshot)
    if args.out:
        atomic_write_json(args.out, choice)
    print(json.dumps(choice))


def main() -> None:
    args = parse_args()
    from mm_cl_addon.engine.tool_main import run_tool
    run_tool(lambda: select(args))


if __name__ == '__main__':
    main()
