"""mm_cl_addon against Avalanche 0.6 on class-incremental Split-Digits, strategy by strategy.

Each run is its own process: ours is ``tools/train.py`` on a config inheriting the strategy's
shipped config, evaluated on the test split (``val_dataloader`` pointed at it; the configs'
hyper-parameters were chosen on the validation split), without checkpoints and with local
logs only (Avalanche writes no checkpoint and, here, no log; TensorBoard alone added 0.4 s to
our loop and 2 s to our process); the peer is ``benchmarks/peers/avalanche_split_digits.py``
in ``.venv-peers``, on the same data, tasks, network, optimizer, schedule, epochs and batch
size. Both sides' accuracy matrices go
through the same ``mm_cl_addon.continual.metrics.summarize``. Reported per strategy over the
seeds: ACC and forgetting (mean +- std), the process wall time (start-up included: what a user
waits), the loop time (first training step to last evaluation), peak RSS, and our time over
Avalanche's.

usage: python benchmarks/head_to_head.py [--seeds 0 1 2] [--strategies naive er ...]
           [--out-dir work_dirs/bench/head_to_head]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from mmengine.config import Config

from mm_cl_addon.continual.metrics import summarize
from mm_cl_addon.utils import atomic_write_json, atomic_write_text

REPO = Path(__file__).resolve().parents[1]
PEER_PYTHON = REPO / '.venv-peers' / 'bin' / 'python'
PEER_SCRIPT = REPO / 'benchmarks' / 'peers' / 'avalanche_split_digits.py'
# strategy -> (our config, the scenario it is scored in[, config lines]); Avalanche's PackNet
# refuses BatchNorm, so both sides run that comparison without it.
STRATEGIES = {
    'naive': ('configs/continual/finetune_cnn_split-digits.py', 'class-IL'),
    'er': ('configs/memory_head/er_cnn_split-digits.py', 'class-IL'),
    'agem': ('configs/memory_head/agem_cnn_split-digits.py', 'class-IL'),
    'gdumb': ('configs/memory_head/gdumb_cnn_split-digits.py', 'class-IL'),
    'mir': ('configs/memory_head/mir_cnn_split-digits.py', 'class-IL'),
    'lwf': ('configs/strategies/lwf_cnn_split-digits.py', 'class-IL'),
    'ewc': ('configs/strategies/ewc_cnn_split-digits.py', 'class-IL'),
    'packnet': ('configs/pickaback/packnet_cnn_split-digits.py', 'task-IL',
                'model = dict(backbone=dict(norm=False))'),
}
BENCH_CONFIG = '''_base_ = [{base!r}]
val_dataloader = dict(dataset=dict(dataset=dict(split='test')))
default_hooks = dict(checkpoint=None)
visualizer = dict(vis_backends=[dict(type='LocalVisBackend')])
{extra}
'''


def _timed(command: list[str]) -> tuple[subprocess.CompletedProcess, float]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f'{command} exited {done.returncode}:\n{done.stderr[-3000:]}')
    return done, time.perf_counter() - start


def run_ours(strategy: str, seed: int, out_dir: Path) -> dict:
    work_dir = out_dir / 'ours' / f'{strategy}_seed{seed}'
    base, _, *extra = STRATEGIES[strategy]
    config = out_dir / 'configs' / f'{strategy}.py'
    atomic_write_text(config, BENCH_CONFIG.format(base=str(REPO / base),
                                                  extra=extra[0] if extra else ''))
    _, seconds = _timed([sys.executable, 'tools/train.py', str(config), '--work-dir',
                         str(work_dir), '--cfg-options', f'randomness.seed={seed}'])
    report = json.loads((work_dir / 'continual_accuracy.json').read_text())
    return dict(accuracy_matrix=report['accuracy_matrix'], process_s=seconds,
                loop_s=report['run']['loop_time_s'], peak_rss_mb=report['run']['peak_rss_mb'])


def peer_optimizer_args(strategy: str) -> list[str]:
    """Our config's optimizer (each strategy's own, tuned on the val split) for the peer side."""
    optimizer = Config.fromfile(str(REPO / STRATEGIES[strategy][0])).optim_wrapper.optimizer
    if optimizer['type'] not in ('SGD', 'Adam'):
        raise ValueError(f"{STRATEGIES[strategy][0]}: the peer script knows SGD and Adam, not "
                         f"{optimizer['type']!r}")
    args = ['--optimizer', optimizer['type'], '--lr', str(optimizer['lr']),
            '--weight-decay', str(optimizer.get('weight_decay', 0.0))]
    return args + (['--momentum', str(optimizer.get('momentum', 0.0))]
                   if optimizer['type'] == 'SGD' else [])


def run_peer(strategy: str, seed: int) -> dict:
    done, seconds = _timed([str(PEER_PYTHON), str(PEER_SCRIPT), strategy, '--seed', str(seed),
                            *peer_optimizer_args(strategy)])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return dict(accuracy_matrix=result['accuracy_matrix'], process_s=seconds,
                loop_s=result['seconds'], peak_rss_mb=result['peak_rss_mb'])


def _mean_std(values: list[float]) -> str:
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f'{statistics.mean(values):.2f} +- {spread:.2f}'


def summarise(runs: list[dict]) -> dict:
    scores = [summarize(run['accuracy_matrix']) for run in runs]
    return dict(acc=[100 * s['average_accuracy'] for s in scores],
                forgetting=[100 * s['average_forgetting'] for s in scores],
                process_s=[run['process_s'] for run in runs],
                loop_s=[run['loop_s'] for run in runs],
                peak_rss_mb=[run['peak_rss_mb'] for run in runs])


def verdict(ours: dict, peer: dict) -> str:
    """The goals: ACC equal within one standard deviation (the larger side's) or better, and
    the time (process and loop) at most Avalanche's."""
    gap = statistics.mean(ours['acc']) - statistics.mean(peer['acc'])
    spread = max(statistics.stdev(ours['acc']), statistics.stdev(peer['acc'])) if len(
        ours['acc']) > 1 else 0.0
    acc = 'better' if gap > spread else ('equal' if gap >= -spread else 'WORSE')
    times = [statistics.mean(ours[key]) / statistics.mean(peer[key])
             for key in ('process_s', 'loop_s')]
    return (f'ACC {acc} ({gap:+.2f}); time process {"met" if times[0] <= 1 else "MISSED"}, '
            f'loop {"met" if times[1] <= 1 else "MISSED"}')


def table(results: dict) -> str:
    lines = ['| strategy | scenario | ACC ours | ACC Avalanche | forgetting ours | forgetting '
             'Avalanche | process s ours / Avalanche (ratio) | loop s ours / Avalanche (ratio) '
             '| peak RSS MB ours / Avalanche | verdict |', '|' + '---|' * 10]
    for strategy, sides in results.items():
        ours, peer = sides['ours'], sides['avalanche']
        process = statistics.mean(ours['process_s']), statistics.mean(peer['process_s'])
        loop = statistics.mean(ours['loop_s']), statistics.mean(peer['loop_s'])
        lines.append(
            f"| {strategy} | {STRATEGIES[strategy][1]} | {_mean_std(ours['acc'])} | "
            f"{_mean_std(peer['acc'])} | {_mean_std(ours['forgetting'])} | "
            f"{_mean_std(peer['forgetting'])} | {process[0]:.1f} / {process[1]:.1f} "
            f"({process[0] / process[1]:.2f}) | {loop[0]:.2f} / {loop[1]:.2f} "
            f"({loop[0] / loop[1]:.2f}) | {statistics.mean(ours['peak_rss_mb']):.0f} / "
            f"{statistics.mean(peer['peak_rss_mb']):.0f} | {verdict(ours, peer)} |")
    return '\n'.join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--strategies', nargs='+', default=list(STRATEGIES), choices=STRATEGIES)
    parser.add_argument('--out-dir', type=Path, default=REPO / 'work_dirs/bench/head_to_head')
    args = parser.parse_args()
    if not PEER_PYTHON.exists():
        raise SystemExit(f'{PEER_PYTHON} is missing: run `make bench` (it installs the peers)')
    results = {}
    for strategy in args.strategies:
        ours = [run_ours(strategy, seed, args.out_dir) for seed in args.seeds]
        peer = [run_peer(strategy, seed) for seed in args.seeds]
        results[strategy] = dict(ours=summarise(ours), avalanche=summarise(peer))
        print(f'{strategy}: ours ACC {_mean_std(results[strategy]["ours"]["acc"])}, Avalanche '
              f'{_mean_std(results[strategy]["avalanche"]["acc"])}', flush=True)
    atomic_write_json(args.out_dir / 'results.json', results)
    markdown = table(results)
    atomic_write_text(args.out_dir / 'table.md', markdown + '\n')
    print(markdown)


if __name__ == '__main__':
    main()
