"""Node similarity of every pair of models (a model with itself too) from get_rep's features.

DeRy's compute_sim: python tools/dery/compute_sim.py FEAT_DIR --out-dir DIR --sim-func cka.
Writes <a>__<b>.npy ([L_a, L_b], nodes 1..L, for partition_zoo), <a>__<b>.png and index.json;
load them with mm_cl_addon.reassembly.load_similarity (tools/dery/partition.py does). Launched with
tools/dist_launch.sh, the pairs are split across the ranks.
"""
from __future__ import annotations

import argparse
import sys
from itertools import combinations_with_replacement
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tools/: tool_args, stdlib only
from tool_args import OneLineParser, add_launcher_arguments, parse_launched  # noqa: E402

if TYPE_CHECKING:
    import numpy as np

# mm_cl_addon.reassembly.SIM_FUNCS' names, here so that the command line is checked before the
# package loads (tests/tools/test_fast_feedback.py checks that they agree)
SIM_FUNCS = ('cka', 'lr', 'rbf_cka')


def parse_args() -> argparse.Namespace:
    parser = OneLineParser(description='Similarity tables of every model pair')
    parser.add_argument('feat_dir', help='folder of get_rep.py <name>.safetensors files')
    parser.add_argument('--out-dir', required=True, help='where the tables and PNGs go')
    parser.add_argument('--sim-func', choices=SIM_FUNCS, default='cka')
    add_launcher_arguments(parser)
    return parse_launched(parser)


def save_heatmap(path: Path, matrix: np.ndarray, a: str, b: str, sim_func: str) -> None:
    """Draw without pyplot, so no global backend or figure state is touched."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from mm_cl_addon.utils import atomic_write

    figure = Figure(figsize=(2.0 + 0.25 * matrix.shape[1], 1.5 + 0.25 * matrix.shape[0]),
                    dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    image = axes.imshow(matrix, cmap='viridis', vmin=0.0, vmax=1.0, origin='lower')
    ticks_a, ticks_b = range(matrix.shape[0]), range(matrix.shape[1])
    axes.set_yticks(ticks_a, [str(i + 1) for i in ticks_a], fontsize=6)
    axes.set_xticks(ticks_b, [str(j + 1) for j in ticks_b], fontsize=6)
    axes.set_ylabel(f'{a} node')
    axes.set_xlabel(f'{b} node')
    axes.set_title(f'{a} vs {b}', fontsize=9)
    figure.colorbar(image, ax=axes, fraction=0.05, label=sim_func)
    figure.tight_layout()
    with atomic_write(path, 'wb') as handle:
        figure.savefig(handle, format='png')


def compute_sim(args: argparse.Namespace) -> None:
    from mmengine.dist import barrier, get_dist_info, init_dist

    import mm_cl_addon  # noqa: F401  (registers our classes, applies the compat fixes)
    from mm_cl_addon.reassembly.features import read_features, read_meta
    from mm_cl_addon.reassembly.sim_tables import node_similarity, save_index, save_pair

    if args.launcher != 'none':
        init_dist(args.launcher)
    rank, world = get_dist_info()
    paths = {path.stem: path for path in sorted(Path(args.feat_dir).glob('*.safetensors'))}
    if not paths:
        raise FileNotFoundError(f'no *.safetensors feature files in {args.feat_dir}')
    pairs = list(combinations_with_replacement(paths, 2))
    loaded: dict = {}

    def features(name: str) -> tuple:
        if name not in loaded:
            loaded[name] = read_features(paths[name])
        return loaded[name]

    for a, b in pairs[rank::world]:
        matrix = node_similarity(features(a)[0], features(b)[0], args.sim_func)
        path = save_pair(args.out_dir, a, b, matrix)
        save_heatmap(path.with_suffix('.png'), matrix, a, b, args.sim_func)
        print(f'{a} vs {b}: {matrix.shape[0]} x {matrix.shape[1]} -> {path}', flush=True)
    barrier()
    if rank == 0:
        metas = {name: read_meta(path) for name, path in paths.items()}
        save_index(args.out_dir, args.sim_func, metas, pairs)


def main() -> None:
    args = parse_args()
    from mm_cl_addon.compat import exit_after_distributed_run
    from mm_cl_addon.engine.tool_main import run_tool
    run_tool(lambda: compute_sim(args))
    exit_after_distributed_run()  # a finished CPU distributed job must not abort in teardown


if __name__ == '__main__':
    main()
