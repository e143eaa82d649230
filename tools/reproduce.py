"""Rerun a published table and check it against its page (or write it in).

Tables live in marked blocks of their pages (``<!-- NAME:begin -->``): the check runs the same
commands that produced them and compares every number in order, within ``--tolerance`` points.

* ``demo``: ``make demo``'s rows (``tools/continual/demo_runs.txt``, seed 0 each, one thread,
  two runs at a time) against the README's block. One thread makes them bitwise reproducible
  on one machine; the tolerance (0.5 points) allows other CPUs' rounding.

usage: python tools/reproduce.py demo [--write] [--tolerance 0.5] [--work-root DIR]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEMO_RUNS = REPO / 'tools' / 'continual' / 'demo_runs.txt'
PAGES = {'demo': REPO / 'README.md'}


def demo_rows() -> dict[str, str]:
    lines = [line.strip() for line in DEMO_RUNS.read_text().splitlines()]
    return dict(line.split('=', 1) for line in lines if line and not line.startswith('#'))


def train(config: str, work_dir: Path) -> None:
    done = subprocess.run([sys.executable, 'tools/train.py', config, '--work-dir',
                           str(work_dir)], cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f'tools/train.py {config} failed: {done.stderr.strip()[-500:]}')


def demo_table(work_root: Path) -> str:
    from mm_cl_addon.continual.report import format_runs, read_run_summary

    rows = demo_rows()
    with ThreadPoolExecutor(2) as pool:  # as make demo: two runs at a time
        list(pool.map(lambda item: train(item[1], work_root / item[0]), rows.items()))
    return format_runs({name: read_run_summary(work_root / name) for name in rows})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('table', choices=sorted(PAGES))
    parser.add_argument('--write', action='store_true', help='write the table into its page')
    parser.add_argument('--tolerance', type=float, default=0.5)
    parser.add_argument('--work-root', type=Path, default=REPO / 'work_dirs' / 'reproduce')
    args = parser.parse_args()
    from mm_cl_addon.engine.tool_main import run_tool
    from mm_cl_addon.utils import atomic_write_text
    from mm_cl_addon.utils.marked_blocks import numbers_differ, read_block, replace_block

    def reproduce() -> None:
        page = PAGES[args.table]
        measured = demo_table(args.work_root / args.table)
        text = page.read_text()
        if args.write:
            atomic_write_text(page, replace_block(text, args.table, f'```\n{measured}\n```'))
            print(f'wrote the {args.table} table into {page}')
            return
        differences = numbers_differ(read_block(text, args.table), measured, args.tolerance)
        if differences:
            raise ValueError(f'{page.name}, table {args.table!r} does not reproduce within '
                             f'{args.tolerance}: ' + '; '.join(differences[:5]))
        print(f'{page.name}, table {args.table!r}: reproduced within {args.tolerance}')
    run_tool(reproduce, prog='reproduce.py')


if __name__ == '__main__':
    main()
