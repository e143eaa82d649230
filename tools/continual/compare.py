"""Print each run's accuracy matrix and a comparison table of continual-learning scores.

usage: python tools/continual/compare.py NAME=WORK_DIR [NAME=WORK_DIR ...]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tools/: tool_args, stdlib only
from tool_args import OneLineParser  # noqa: E402


def parse_run(text: str) -> tuple[str, str]:
    name, sep, work_dir = text.partition('=')
    if not sep or not name or not work_dir:
        raise argparse.ArgumentTypeError(f'expected NAME=WORK_DIR, got {text!r}')
    return name, work_dir


def compare(runs: list[tuple[str, str]]) -> None:
    from mm_cl_addon.continual.report import format_runs, read_run_summary

    print(format_runs({name: read_run_summary(work_dir) for name, work_dir in runs}))


def main() -> None:
    parser = OneLineParser(description=__doc__.splitlines()[0])
    parser.add_argument('runs', nargs='+', type=parse_run, help='NAME=WORK_DIR')
    args = parser.parse_args()
    from mm_cl_addon.engine.tool_main import run_tool
    run_tool(lambda: compare(args.runs))


if __name__ == '__main__':
    main()
