"""Write the 2D MODES/MOONS continual streams: one .npz and one scatter PNG per (data set, order).

usage: python tools/data/gen_2d_datasets.py --out-dir data/points2d [--dataset modes|moons|all]
           [--order iid|ci|cdi|cdid|all] [--seed 0]
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tools/: tool_args, stdlib only
from tool_args import OneLineParser  # noqa: E402

if TYPE_CHECKING:
    from mm_cl_addon.datasets.points2d import StreamSplit

# mm_cl_addon.datasets.points2d's names, here so that the command line is checked before the
# package loads (tests/tools/test_fast_feedback.py checks that they agree)
DATASET_NAMES = ('modes', 'moons')
ORDERS = ('iid', 'ci', 'cdi', 'cdid')
MODE_MARKERS = ('o', '^')


def plot_streams(path: Path, title: str, streams: Mapping[str, StreamSplit],
                 num_classes: int) -> None:
    """One panel per split: colour = class, marker = generating mode (domain)."""
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from mm_cl_addon.datasets.points2d import SPLITS
    from mm_cl_addon.utils.io import atomic_write

    colours = colormaps['tab10'].colors
    figure = Figure(figsize=(4 * len(SPLITS), 4.6), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, len(SPLITS))
    for axis, name in zip(axes, SPLITS):
        stream = streams[name]
        for mode, marker in enumerate(MODE_MARKERS):
            chosen = stream.mode == mode
            axis.scatter(stream.x[chosen, 0], stream.x[chosen, 1], s=8, marker=marker,
                         color=[colours[label] for label in stream.y[chosen]])
        axis.set_title(f'{name}: {len(stream)} points, {int(stream.segment.max()) + 1} segments')
        axis.set(xlim=(-1.1, 1.1), ylim=(-1.1, 1.1), aspect='equal')
    handles = [Line2D([], [], linestyle='', marker='s', color=colours[label],
                      label=f'class {label}') for label in range(num_classes)]
    handles += [Line2D([], [], linestyle='', marker=marker, color='grey', label=f'mode {mode}')
                for mode, marker in enumerate(MODE_MARKERS)]
    figure.legend(handles=handles, loc='lower center', ncol=len(handles), frameon=False)
    figure.suptitle(title)
    figure.subplots_adjust(bottom=0.15)
    with atomic_write(path, 'wb') as handle:
        figure.savefig(handle, format='png')


def _expand(value: str, choices: Sequence[str]) -> list[str]:
    return list(choices) if value == 'all' else [value]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = OneLineParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out-dir', required=True, type=Path)
    parser.add_argument('--dataset', default='all', choices=(*DATASET_NAMES, 'all'))
    parser.add_argument('--order', default='all', choices=(*ORDERS, 'all'))
    parser.add_argument('--seed', default=0, type=int,
                        help='0 gives the published streams; others shift every generator seed')
    args = parser.parse_args(argv)
    if not 0 <= args.seed < 2**32:  # mm_cl_addon.utils.arguments.check_seed's range
        parser.error(f'seed must be an int in [0, 2**32), got {args.seed!r}')
    return args


def write_streams(args: argparse.Namespace) -> list[Path]:
    """Every stream asked for, as .npz and .png; the files written."""
    from mm_cl_addon.datasets.points2d import SPECS, SPLITS, make_stream, save_stream

    written = []
    for dataset in _expand(args.dataset, DATASET_NAMES):
        for order in _expand(args.order, ORDERS):
            streams = make_stream(dataset, order, args.seed)
            stem = args.out_dir / f'{dataset}_{order}'
            save_stream(stem.with_suffix('.npz'), dataset, order, args.seed, streams)
            plot_streams(stem.with_suffix('.png'), f'{dataset.upper()} {order.upper()} '
                         f'(seed {args.seed})', streams, SPECS[dataset].num_classes)
            sizes = ', '.join(f'{name} {len(streams[name])}' for name in SPLITS)
            print(f'wrote {stem}.npz ({sizes}) and {stem}.png')
            written += [stem.with_suffix('.npz'), stem.with_suffix('.png')]
    return written


def main(argv: Sequence[str] | None = None) -> list[Path]:
    """Parse ``argv`` (default: the command line) and write its streams, errors unwrapped."""
    return write_streams(parse_args(argv))


if __name__ == '__main__':
    arguments = parse_args()
    from mm_cl_addon.engine.tool_main import run_tool
    run_tool(lambda: write_streams(arguments))
