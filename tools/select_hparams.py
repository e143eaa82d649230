"""Choose a config's hyper-parameters on validation data from the grid in its `selection` dict.

usage: python tools/select_hparams.py CONFIG --work-dir DIR [--jobs 2] [--force]
    [--seeds S ...] [--cfg-options KEY=VALUE ...]

Every (grid point, seed) trains in-process (``--jobs`` worker processes) into
``DIR/point<NN>/seed<S>``; a run that already finished is read, not retrained, unless
``--force``. Prints a line per finished run, a Markdown table of the points with the chosen one
marked, comment lines for the config, and the path of ``DIR/selection.json``
(docs/hparam_selection.md).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent))  # tools/: tool_args, stdlib only
from tool_args import KeyValueAction, OneLineParser, _check_config  # noqa: E402


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = OneLineParser(prog='select_hparams.py', description=__doc__.splitlines()[0])
    parser.add_argument('config', help='a config with a top-level selection dict')
    parser.add_argument('--work-dir', type=Path, required=True,
                        help='point<NN>/seed<S> run dirs and selection.json')
    parser.add_argument('--jobs', type=int, default=2, help='runs trained at the same time')
    parser.add_argument('--force', action='store_true', help='retrain runs that finished')
    parser.add_argument('--seeds', nargs='+', type=int, help="instead of the config's seeds")
    parser.add_argument('--cfg-options', nargs='+', action=KeyValueAction, default={},
                        metavar='KEY=VALUE',
                        help='overrides for every run, e.g. a shorter train_cfg')
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f'--jobs must be >= 1, got {args.jobs}')
    _check_config(parser, args.config)
    return args


def select_hparams(args: argparse.Namespace) -> dict:
    """Run the selection, print its table and where it was written."""
    from mm_cl_addon.engine.config_checks import parse_override_values
    from mm_cl_addon.engine.hparam_selection import (
        SELECTION_FILE,
        format_selection_markdown,
        select,
        selection_comment,
    )

    result = select(args.config, args.work_dir, seeds=args.seeds,
                    options=parse_override_values(args.cfg_options), jobs=args.jobs,
                    force=args.force, report=lambda line: print(line, flush=True))
    print(format_selection_markdown(result))
    print(selection_comment(result))
    print(f'selection: {args.work_dir / SELECTION_FILE}')
    return result


def main(argv: Sequence[str] | None = None) -> dict:
    """Parse ``argv`` (default: the command line) and select; errors propagate."""
    return select_hparams(parse_args(argv))


if __name__ == '__main__':
    arguments = parse_args()
    from mm_cl_addon.engine.tool_main import run_tool
    run_tool(lambda: select_hparams(arguments))
