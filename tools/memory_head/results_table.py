"""Train (or read) lp, mlp, mh and the competitors on MODES-CDI and MOONS-CDI over seeds; write
a Markdown table of the mean and std of the test average accuracy and forgetting.

usage: python tools/memory_head/results_table.py [--methods lp mlp mh er ...]
           [--datasets modes moons] [--seeds 1234 123456 12346578] [--work-root DIR]
           [--jobs 2] [--read-only | --force] [--out FILE] [--cfg-options KEY=VALUE ...]

Every run is ``configs/memory_head/2d/<config>`` trained in-process (``--jobs`` worker
processes, each importing the stack once) into ``<work-root>/<method>/<dataset>-cdi/seed<S>``
with ``randomness.seed=S`` (also the ``seed`` of every custom hook that takes one: replay
buffers, GDumb's re-initialisation); a run whose work dir already holds its results is read, not
retrained, unless ``--force``. Table runs skip checkpoints and decision-region PNGs.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tools/: tool_args, stdlib only
from tool_args import KeyValueAction, OneLineParser  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO / 'configs' / 'memory_head' / '2d'
# method -> config name pattern; the competitors run on the mlp model
METHODS = {
    'lp': 'lp_{dataset}-cdi.py', 'mlp': 'mlp_{dataset}-cdi.py', 'mh': 'mh_{dataset}-cdi.py',
    'er': 'er_mlp_{dataset}-cdi.py', 'er-random': 'er-random_mlp_{dataset}-cdi.py',
    'mir': 'mir_mlp_{dataset}-cdi.py', 'agem': 'agem_mlp_{dataset}-cdi.py',
    'gdumb': 'gdumb_mlp_{dataset}-cdi.py', 'ensemble': 'ensemble_mlp_{dataset}-cdi.py',
}
DATASETS = ('modes', 'moons')
SEEDS = (1234, 123456, 12346578)  # Continual Neural Computation supplement, App. E


@dataclass(frozen=True)
class Run:
    method: str
    dataset: str
    seed: int
    config: Path
    work_dir: Path


def plan_runs(methods: Sequence[str], datasets: Sequence[str], seeds: Sequence[int],
              work_root: Path, config_dir: Path = CONFIG_DIR) -> list[Run]:
    """Every (method, dataset, seed) with its config file and work dir."""
    runs = []
    for method in methods:
        for dataset in datasets:
            config = config_dir / METHODS[method].format(dataset=dataset)
            if not config.is_file():
                raise FileNotFoundError(f'config {config} of method {method!r} does not exist')
            for seed in seeds:
                runs.append(Run(method, dataset, seed, config,
                                work_root / method / f'{dataset}-cdi' / f'seed{seed}'))
    return runs


def _train_runs(todo: list[Run], jobs: int, options: dict) -> Iterator[Run]:
    """Train the runs (:func:`mm_cl_addon.engine.run_batch.train_runs`), yielding each when
    done, in order."""
    from mm_cl_addon.engine.run_batch import TrainRun, train_runs

    items = tuple(options.items())
    batch = [TrainRun(run.config, run.work_dir, run.seed, items) for run in todo]
    for run, _ in zip(todo, train_runs(batch, jobs)):
        yield run


def _has_results(run: Run) -> bool:
    from mm_cl_addon.continual.online_report import RESULTS_FILE

    return (run.work_dir / RESULTS_FILE).is_file()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = OneLineParser(description=__doc__.splitlines()[0])
    parser.add_argument('--methods', nargs='+', default=list(METHODS), choices=list(METHODS))
    parser.add_argument('--datasets', nargs='+', default=list(DATASETS), choices=DATASETS)
    parser.add_argument('--seeds', nargs='+', type=int, default=list(SEEDS))
    parser.add_argument('--work-root', type=Path, default=Path('work_dirs/memory_head_2d'))
    parser.add_argument('--config-dir', type=Path, default=CONFIG_DIR)
    parser.add_argument('--jobs', type=int, default=2, help='runs trained at the same time')
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument('--read-only', action='store_true', help='never train; read work dirs')
    mode.add_argument('--force', action='store_true', help='retrain runs that have results')
    parser.add_argument('--out', type=Path, help='also write the Markdown table here')
    parser.add_argument('--cfg-options', nargs='+', action=KeyValueAction, default={},
                        help='overrides for every run, e.g. a shorter train_cfg')
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f'--jobs must be >= 1, got {args.jobs}')
    return args


def results_table(args: argparse.Namespace) -> str:
    """Train the runs that lack results (unless --read-only), then the Markdown table."""
    from mm_cl_addon.continual.online_report import format_results_markdown, read_final_scores
    from mm_cl_addon.engine.config_checks import parse_override_values
    from mm_cl_addon.utils import atomic_write_text

    runs = plan_runs(args.methods, args.datasets, args.seeds, args.work_root, args.config_dir)
    todo = [] if args.read_only else [run for run in runs if args.force or not _has_results(run)]
    if todo:
        print(f'training {len(todo)} of {len(runs)} runs with {args.jobs} job(s)', flush=True)
        options = parse_override_values(args.cfg_options)
        for done, run in enumerate(_train_runs(todo, args.jobs, options or {}), start=1):
            final = read_final_scores(run.work_dir)
            print(f'[{done}/{len(todo)}] {run.method} {run.dataset}-cdi seed {run.seed}: test '
                  f"ACC {100 * final['avg_accuracy']:.2f}, forgetting "
                  f"{100 * final['avg_forgetting']:.2f}", flush=True)
    results: dict[str, dict[str, list]] = {method: {} for method in args.methods}
    for run in runs:
        results[run.method].setdefault(f'{run.dataset.upper()}-CDI', []).append(
            read_final_scores(run.work_dir))
    table = format_results_markdown(results, [f'{d.upper()}-CDI' for d in args.datasets])
    print(table)
    if args.out is not None:
        atomic_write_text(args.out, table + '\n')
    return table


def main(argv: Sequence[str] | None = None) -> str:
    """Parse ``argv`` (default: the command line) and make the table; errors propagate."""
    return results_table(parse_args(argv))


if __name__ == '__main__':
    arguments = parse_args()
    from mm_cl_addon.engine.tool_main import run_tool
    run_tool(lambda: results_table(arguments))
