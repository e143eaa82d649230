"""Training iteration time with PackNetHook and CPGHook against plain training.

Both hooks add work to every iteration of a task: they mask each weight's
gradient to the task's own entries and put the other tasks' weights back after
the step; CPG also writes the piggyback-masked weights before the step and
hands the masks their straight-through gradients, and in a compaction stage it
prunes along the ramp. Same ResNet-18 (CIFAR variant), same random batch, same
SGD step. The hooks are driven as ContinualTrainLoop drives them, at task 2
(task 1 owns the half of the backbone it kept after pruning; its values, the
initial ones, do not change the cost): ``before_run``, ``before_train``, task
1's ``before_task``, pruning and ``after_task``, task 2's ``before_task``, then
per iteration ``before_train_iter``, ``model.train_step`` and
``after_train_iter``. A CPG compaction stage (``compact@0.25``) lasts the
``--iters`` timed iterations, restarting from the same state each repeat.
Variants alternate iteration by iteration; prints each one's median time per
iteration and the median of its ratios to the plain iteration timed next to it
(goals: PackNet < 1.10, CPG < 1.35).

usage: python benchmarks/packnet_cpg.py [--iters 4] [--repeats 5] [--threads 2]
"""
from __future__ import annotations

import argparse
import copy
import statistics
import tempfile
import time
from collections.abc import Callable
from types import SimpleNamespace

import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import OptimWrapper
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mm_cl_addon  # noqa: F401
from mm_cl_addon.continual.train_loop import Phase
from mm_cl_addon.engine.hooks.cpg_hook import CPGHook
from mm_cl_addon.engine.hooks.packnet_hook import PackNetHook
from mm_cl_addon.engine.hooks.weight_ownership import TaskOwnedWeightsHook
from mm_cl_addon.models.layers.owner_masks import owned_count, prune_smallest

MODEL = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet_CIFAR', depth=18, num_stages=4, out_indices=(3, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=512),
    data_preprocessor=dict(num_classes=10, mean=[125.3, 123.0, 113.9], std=[51.6, 50.8, 51.3],
                           to_rgb=False))
PREFIXES = ['backbone']
STAGES = (0.25, 0.5, 0.75)
VARIANTS = ('plain', 'PackNet', 'CPG pick', 'CPG compact')
GOALS = {'PackNet': 1.10, 'CPG pick': 1.35, 'CPG compact': 1.35}


class StubLoop(SimpleNamespace):
    """What the hooks read of ContinualTrainLoop (iteration-based): task, phases, progress."""

    def add_phase(self, name: str, length: int) -> None:
        self.phases.append(Phase(name, length))


def start_task_2(hook: TaskOwnedWeightsHook, runner: SimpleNamespace) -> None:
    """Task 1 takes every weight and frees half; task 2 takes the free ones."""
    hook.before_run(runner)
    hook.before_train(runner)
    hook.before_task(runner, 0)
    if isinstance(hook, PackNetHook):
        hook.after_phase(runner, 0, 'train')
    else:  # what CPG's compaction to 0.5 leaves, without the evaluations around it
        for module in hook.modules.values():
            prune_smallest(module, hook.owner_id(0), 0.5)
    hook.after_task(runner, 0)
    runner.train_loop.task_id = 1
    runner.train_loop.phases = [Phase('train', 1)]
    hook.before_task(runner, 1)


def build(name: str, batch: dict, iters: int,
          work_dir: str) -> tuple[Callable[[int], object], Callable[[], None]]:
    """A step taking the iteration's index in its phase, and what to run before a timed block."""
    torch.manual_seed(0)
    model = MODELS.build(MODEL).train()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9,
                                           weight_decay=5e-4))
    if name == 'plain':
        return lambda _: model.train_step(batch, optim_wrapper=wrapper), lambda: None
    hook: TaskOwnedWeightsHook = (
        PackNetHook(prune_ratio=0.5, prefixes=PREFIXES) if name == 'PackNet' else
        CPGHook(prefixes=PREFIXES, sparsity_stages=STAGES, mask_lr=0.01))
    loop = StubLoop(task_id=0, phases=[Phase('train', 1)], phase_index=0, phase_progress=0,
                    by_epoch=False)
    runner = SimpleNamespace(model=model, optim_wrapper=wrapper, train_loop=loop,
                             cfg=Config(dict(model=MODEL)), work_dir=work_dir,
                             logger=MMLogger.get_current_instance())
    start_task_2(hook, runner)

    def step(index: int) -> None:
        loop.phase_progress = index
        hook.before_train_iter(runner, index, batch)
        outputs = model.train_step(batch, optim_wrapper=wrapper)
        hook.after_train_iter(runner, index, batch, outputs)

    if name != 'CPG compact':
        return step, lambda: None
    loop.phases.append(Phase(f'compact@{STAGES[0]:g}', iters))
    loop.phase_index = 1
    hook.initial_owned = {key: owned_count(module, hook.owner_id(1))
                          for key, module in hook.modules.items()}
    snapshot = copy.deepcopy(model.state_dict())  # weights and owners at the stage's start

    def restart_stage() -> None:
        model.load_state_dict(snapshot)
        hook.refresh_held()
    return step, restart_stage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--iters', type=int, default=4)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    batch = dict(inputs=list(torch.randint(0, 256, (64, 3, 32, 32), dtype=torch.uint8)),
                 data_samples=[DataSample().set_gt_label(i % 10) for i in range(64)])
    with tempfile.TemporaryDirectory() as work_dir:
        variants = {name: build(name, batch, args.iters, work_dir) for name in VARIANTS}
        times: dict[str, list[float]] = {name: [] for name in VARIANTS}
        for step, restart in variants.values():  # warm-up
            restart()
            step(0)
        for _ in range(args.repeats):
            for _, restart in variants.values():
                restart()
            for index in range(args.iters):  # one iteration of each in turn: same machine state
                for name, (step, _) in variants.items():
                    start = time.perf_counter()
                    step(index)
                    times[name].append(time.perf_counter() - start)
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, batch 64, '
          f'{args.iters} iters x {args.repeats} repeats')
    for name, values in times.items():
        ratio = statistics.median(t / plain for t, plain in zip(values, times['plain']))
        line = f'{name:12s} {1000 * statistics.median(values):8.1f} ms/iter   x{ratio:.3f} of plain'
        if name in GOALS:
            line += (f' (overhead {100 * (ratio - 1):+.1f}%, goal < {GOALS[name]:.2f}: '
                     f'{"met" if ratio < GOALS[name] else "missed"})')
        print(line)


if __name__ == '__main__':
    main()
