"""How the package's costs grow with the work: five curves, each a table, a PNG and a fitted
growth exponent (the slope of log cost against log size; 0 is flat, 1 linear).

* ``tasks``: the continual loop on a class-incremental stream of 100 classes of 32x32 PNG
  images (written once under ``--out-dir``, 20 training and 5 validation images a class), cut
  into 5, 10, 20 and 50 tasks, one epoch a task, validation after each: ``tools/train.py``'s
  loop time (start-up excluded). The training work is the same for every split; the evaluation
  after each task covers every task, so the loop grows with the number of tasks.
* ``replay``: one ER step's buffer work (store the batch of 32, draw 32) against the buffer's
  size, 100 to 50,000 samples of 3x32x32, with the buffer full.
* ``reassembly``: DeRy's integer program (``solve_reassembly``, 4 positions) against the zoo
  size, 10 to 200 models, on ``benchmarks/reassembly.py``'s synthetic zoo with budgets at the
  0.3 quantile of sampled chains (goal: 200 models in under 60 s).
* ``soups``: the uniform and greedy soups' peak memory, in state dicts, against the number of
  ingredients, 4 to 64 (``benchmarks/soups.py``'s ResNet-18 cases; goal: flat).
* ``memory``: ``MemoryLinear`` forward and backward against the number of memories (10 to
  1,000; batch 128) and the batch size (1 to 512; 100 memories), d = 512, 10 outputs.

usage: python benchmarks/scaling.py [--curves tasks replay reassembly soups memory]
           [--out-dir work_dirs/bench/scaling]
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / 'benchmarks'))

NUM_CLASSES, TRAIN_PER_CLASS, VAL_PER_CLASS, SIDE = 100, 20, 5, 32


def fitted_exponent(sizes: Sequence[float], costs: Sequence[float]) -> float:
    """Slope of log(cost) on log(size), least squares."""
    return float(np.polyfit(np.log(sizes), np.log(costs), 1)[0])


def write_image_stream(root: Path) -> Path:
    """100 classes of 32x32 RGB PNGs in mmpretrain's folder-per-class layout (train/, val/);
    a class is a random pattern, each image that pattern plus noise. Written once."""
    from PIL import Image

    if (root / 'done').exists():
        return root
    rng = np.random.default_rng(0)
    for c in range(NUM_CLASSES):
        pattern = rng.uniform(0, 255, size=(SIDE, SIDE, 3))
        for split, count in (('train', TRAIN_PER_CLASS), ('val', VAL_PER_CLASS)):
            folder = root / split / f'class{c:03d}'
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(count):
                image = np.clip(pattern + rng.normal(0, 40, size=pattern.shape), 0, 255)
                Image.fromarray(image.astype(np.uint8)).save(folder / f'{i}.png')
    (root / 'done').touch()
    return root


STREAM_CONFIG = """_base_ = [{base!r}]
data_root = {root!r}
pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
split = dict(type='TaskSplitDataset', tasks={tasks}, seed=0, dataset=dict(
    _delete_=True, type='CustomDataset', data_root=data_root, data_prefix='train',
    pipeline=pipeline))
train_dataloader = dict(dataset=split)
val_dataloader = dict(dataset=dict(split, dataset=dict(split['dataset'], data_prefix='val')))
test_dataloader = val_dataloader
data_preprocessor = dict(num_classes=100, mean=[127.5] * 3, std=[64.0] * 3)
model = dict(backbone=dict(in_channels=3), head=dict(num_classes=100))
train_cfg = dict(epochs_per_task=1)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True)]
default_hooks = dict(checkpoint=None, logger=dict(interval=1000))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(vis_backends=vis_backends)
"""


def tasks_curve(out_dir: Path) -> dict:
    root = write_image_stream(out_dir / 'stream100')
    base = REPO / 'configs' / 'continual' / 'finetune_cnn_split-digits.py'
    sizes, costs = [5, 10, 20, 50], []
    for tasks in sizes:
        config = out_dir / f'tasks{tasks}.py'
        config.write_text(STREAM_CONFIG.format(base=str(base), root=str(root), tasks=tasks))
        work_dir = out_dir / f'tasks{tasks}'
        subprocess.run([sys.executable, 'tools/train.py', str(config), '--work-dir',
                        str(work_dir)], cwd=REPO, check=True, capture_output=True, timeout=3600)
        record = json.loads((work_dir / 'continual_accuracy.json').read_text())['run']
        costs.append(record['loop_time_s'])
    return dict(x='tasks', y='loop seconds', sizes=sizes, costs=costs)


def _median_seconds(step: Callable[[], None], repeats: int) -> float:
    step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def replay_curve(out_dir: Path) -> dict:
    from mmpretrain.structures import DataSample

    from mm_cl_addon.continual.replay_buffer import ReplayBuffer

    sizes, costs = [100, 1_000, 10_000, 50_000], []
    batch = torch.zeros(32, 3, SIDE, SIDE, dtype=torch.uint8)
    samples = [DataSample().set_gt_label(i % 10) for i in range(32)]
    for size in sizes:
        buffer = ReplayBuffer(size)
        while len(buffer) < size:
            buffer.add_batch(batch, samples)

        def step(buffer=buffer) -> None:
            buffer.add_batch(batch, samples)
            buffer.sample(32)
        costs.append(1000 * _median_seconds(step, 200))
    return dict(x='buffer size', y='ms per step', sizes=sizes, costs=costs)


def reassembly_curve(out_dir: Path) -> dict:
    import reassembly as bench  # benchmarks/reassembly.py

    sizes, costs = [10, 25, 50, 100, 200], []
    for models in sizes:
        groups = bench.make_groups(4, seed=0, num_models=models)
        max_params, max_flops, _ = bench.budgets(bench.sampled_tables(groups, 200_000, 0), 0.3)
        seconds, _ = bench.timed(
            lambda g=groups, p=max_params, f=max_flops: bench.ip_chains(g, p, f, 1), 1)
        costs.append(seconds)
    return dict(x='zoo models', y='solve seconds', sizes=sizes, costs=costs, goal='200 in < 60 s',
                met=costs[-1] < 60)


def soups_curve(out_dir: Path) -> dict:
    import soups as bench  # benchmarks/soups.py

    sizes = [4, 8, 16, 32, 64]
    folder = out_dir / 'soup_ingredients'
    folder.mkdir(parents=True, exist_ok=True)
    bench.make_ingredients(str(folder), max(sizes))
    try:
        curves = {case: [bench.spawn(case, n, str(folder), 1)['memory_ratio'] for n in sizes]
                  for case in ('uniform', 'greedy')}
    finally:
        shutil.rmtree(folder)  # 64 ResNet-18 checkpoints: 3 GB no one needs afterwards
    return dict(x='ingredients', y='peak memory (state dicts)', sizes=sizes,
                costs=curves['uniform'], greedy=curves['greedy'])


def memory_curve(out_dir: Path) -> dict:
    from mm_cl_addon.models import MemoryLinear

    def step_ms(memories: int, batch: int) -> float:
        layer = MemoryLinear(512, 10, memories)
        inputs = torch.randn(batch, 512)

        def step() -> None:
            layer.zero_grad(set_to_none=True)
            layer(inputs).sum().backward()
        return 1000 * _median_seconds(step, 30)

    memories = [10, 30, 100, 300, 1000]
    batches = [1, 8, 64, 512]
    return dict(x='memories', y='ms per step (batch 128)', sizes=memories,
                costs=[step_ms(m, 128) for m in memories], batch_sizes=batches,
                batch_costs=[step_ms(100, b) for b in batches])


CURVES = {'tasks': tasks_curve, 'replay': replay_curve, 'reassembly': reassembly_curve,
          'soups': soups_curve, 'memory': memory_curve}


def plot(name: str, curve: dict, path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4.5, 3.2), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.loglog(curve['sizes'], curve['costs'], 'o-', label=f"fit exponent {curve['exponent']:.2f}")
    if 'greedy' in curve:
        axes.loglog(curve['sizes'], curve['greedy'], 's--', label='greedy')
    axes.set_xlabel(curve['x'])
    axes.set_ylabel(curve['y'])
    axes.set_title(name)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path)


def markdown(name: str, curve: dict) -> str:
    rows = [f"| {curve['x']} | " + ' | '.join(str(s) for s in curve['sizes']) + ' |',
            '|---|' + '---|' * len(curve['sizes']),
            f"| {curve['y']} | " + ' | '.join(f'{c:.3g}' for c in curve['costs']) + ' |']
    if 'greedy' in curve:
        rows.append('| greedy | ' + ' | '.join(f'{c:.3g}' for c in curve['greedy']) + ' |')
    if 'batch_costs' in curve:
        rows.append('| batch size | ' + ' | '.join(str(b) for b in curve['batch_sizes']) + ' |')
        rows.append('| ms per step (100 memories) | '
                    + ' | '.join(f'{c:.3g}' for c in curve['batch_costs']) + ' |')
    return (f"### {name}\n\nfitted growth exponent {curve['exponent']:.2f}"
            + (f"; goal {curve['goal']}: {'met' if curve['met'] else 'MISSED'}"
               if 'goal' in curve else '') + '\n\n' + '\n'.join(rows) + '\n')


def main() -> None:
    from mm_cl_addon.utils import atomic_write_json, atomic_write_text

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--curves', nargs='+', default=list(CURVES), choices=CURVES)
    parser.add_argument('--out-dir', type=Path, default=REPO / 'work_dirs/bench/scaling')
    args = parser.parse_args()
    torch.set_num_threads(1)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    sections = []
    for name in args.curves:
        curve = CURVES[name](args.out_dir)
        curve['exponent'] = fitted_exponent(curve['sizes'], curve['costs'])
        atomic_write_json(args.out_dir / f'{name}.json', curve)
        plot(name, curve, args.out_dir / f'{name}.png')
        sections.append(markdown(name, curve))
        print(sections[-1], flush=True)
    atomic_write_text(args.out_dir / 'scaling.md', '\n'.join(sections))


if __name__ == '__main__':
    main()
