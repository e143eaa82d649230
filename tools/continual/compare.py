"""Print each run's accuracy matrix and a comparison table of continual-learning scores.

usage: python tools/continual/compare.py NAME=WORK_DIR [NAME=WORK_DIR ...]
"""
import argparse

from mm_cl_addon.continual.report import (
    format_accuracy_matrix,
    format_comparison_table,
    format_task_scores,
    read_run_summary,
)
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
    summaries = {name: read_run_summary(work_dir) for name, work_dir in args.runs}
    for name, summary in summaries.items():
        print(f'\n{name}: accuracy (%) on each task')
        matrix = summary['accuracy_matrix']
        print(format_task_scores(matrix[0]) if len(matrix) == 1
              else format_accuracy_matrix(matrix))
    print('\nScores (%): ACC = average accuracy after the last task, forgetting = average '
          'forgetting,\nBWT / FWT = backward / forward transfer, weights used = share of the '
          'masked weights\nthat tasks own (PackNet, CPG); - = not defined for the run')
    print(format_comparison_table(summaries))


if __name__ == '__main__':
    run_tool(main)
