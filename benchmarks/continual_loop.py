"""Overhead of ContinualTrainLoop against mmengine's EpochBasedTrainLoop.

Both loops train the same model on the same single task (all ten digits
classes) with the same optimizer, schedule and hooks, without validation; runs
alternate so that both see the same machine state. Prints the time per
training iteration of each loop and the median of the back-to-back pairs'
ratios, each loop first in every other pair (goal: overhead under 5%).

usage: python benchmarks/continual_loop.py [--epochs 6] [--repeats 9]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

import mm_cl_addon  # noqa: F401

CONFIG = Path(__file__).resolve().parents[1] / 'configs/continual/finetune_cnn_split-digits.py'


class TrainTimer(Hook):
    """Wall time from the first to the last training iteration, and their count."""

    priority = 'LOWEST'

    def before_train(self, runner) -> None:
        self.start, self.iterations = time.perf_counter(), 0

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self.iterations += 1

    def after_train(self, runner) -> None:
        self.seconds = time.perf_counter() - self.start


def build_config(loop: str, epochs: int, work_dir: str) -> Config:
    cfg = Config.fromfile(str(CONFIG))
    cfg.train_dataloader.dataset.tasks = [list(range(10))]
    if loop == 'continual':
        cfg.train_cfg = dict(type='ContinualTrainLoop', epochs_per_task=epochs)
    else:
        cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=epochs)
    cfg.param_scheduler = [dict(type='CosineAnnealingLR', T_max=epochs, by_epoch=True,
                                convert_to_iter_based=True)]
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1000)
    cfg.work_dir = work_dir
    cfg.experiment_name = f'bench_{loop}_{uuid.uuid4().hex[:8]}'
    cfg.visualizer = dict(type='UniversalVisualizer', name=cfg.experiment_name,
                          vis_backends=[dict(type='LocalVisBackend')])
    cfg.log_level = 'WARNING'
    return cfg


def time_per_iteration(loop: str, epochs: int) -> float:
    with tempfile.TemporaryDirectory() as work_dir:
        runner = Runner.from_cfg(build_config(loop, epochs, work_dir))
        timer = TrainTimer()
        runner.register_hook(timer)
        runner.train()
    return timer.seconds / timer.iterations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--epochs', type=int, default=6)
    parser.add_argument('--repeats', type=int, default=9)
    args = parser.parse_args()
    time_per_iteration('continual', 1)  # warm-up: imports, allocator, data caching
    times: dict[str, list[float]] = {'epoch_based': [], 'continual': []}
    for repeat in range(args.repeats):
        # Each loop goes first in every other pair: whatever the first run leaves behind
        # (garbage, a warm allocator) then falls on both loops alike.
        for loop in sorted(times, reverse=repeat % 2 == 1):
            times[loop].append(time_per_iteration(loop, args.epochs))
    medians = {loop: statistics.median(values) for loop, values in times.items()}
    for loop, value in medians.items():
        print(f'{loop:12s} median {1000 * value:.3f} ms/iter over {args.repeats} runs')
    # Each pair ran back to back, so its ratio cancels the machine's slow spells.
    ratios = sorted(c / e for c, e in zip(times['continual'], times['epoch_based']))
    ratio = statistics.median(ratios)
    print(f'ContinualTrainLoop / EpochBasedTrainLoop time per iteration: {ratio:.3f} '
          f'(median of {len(ratios)} back-to-back pairs, range {ratios[0]:.3f}-{ratios[-1]:.3f}; '
          f'overhead {100 * (ratio - 1):+.1f}%, goal < +5%)')

if __name__ == '__main__':
    main()
