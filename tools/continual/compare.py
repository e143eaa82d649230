"""Print each run's accuracy matrix and a comparison table of continual-learning scores.

usage: python tools/continual/compare.py NAME=WORK_DIR [NAME=WORK_DIR ...]
"""
import argparse

from mm_cl_addon.continual.report import format_runs, read_run_summary
from mm_cl_addon.engine.tool_main import run_tool


def parse_run(text: str) -> tuple[str, str]:
    name, sep, work_dir = text.partition('=')
    if not sep or not name or not work_dir:
        raise argparse.ArgumentTypeError(f'expected NAME=WORK_DIR, got {text!r}')
    return name, work_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('runs', nargs='+', type=parse_run, help='NAME=WORK_DIR')
    args = parser.parse_args()
    print(format_runs({name: read_run_summary(work_dir) for name, work_dir in args.runs}))


if __name__ == '__main__':
    run_tool(main)
