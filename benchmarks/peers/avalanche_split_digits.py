"""The Avalanche 0.6 side of the Split-Digits head-to-head (``benchmarks/head_to_head.py``).

Everything but the library is mm_cl_addon's demo setting: the embedded digits' train and test
splits (``DigitsDataset``, uint8 8x8, normalised with the configs' mean 78 and std 96), the same
five tasks (``TaskSplitDataset``'s class order for ``tasks=5, seed=0``), ``SmallConvNet`` with
global average pooling and a linear head (initialised as mmpretrain's ``LinearClsHead``: normal,
std 0.01, zero bias), the optimizer of the mm_cl_addon config (``--optimizer``, ``--lr``,
``--momentum``, ``--weight-decay``; ``head_to_head.py`` reads them from the config, each
strategy's tuned on the val split), batch 32, 4 epochs per task and a per-iteration cosine
schedule (down to 1e-4) restarted, and the optimizer's state reset, at every task.
The strategy's own settings mirror the mm_cl_addon config it is compared with (see ``STRATEGIES``).

Prints one JSON line: the accuracy matrix on the test split (row 0 before any training, then
after each task), the seconds from the first training step to the last evaluation, and the
peak resident memory. Runs in ``.venv-peers`` (``make bench`` installs it).

usage: python benchmarks/peers/avalanche_split_digits.py STRATEGY --seed 0 [--ewc-lambda L]
           [--optimizer SGD|Adam] [--lr LR] [--momentum M] [--weight-decay WD]
"""
from __future__ import annotations

import argparse
import json
import resource
import time
import warnings

import numpy as np
import torch
from torch import nn
from torch.utils.data import TensorDataset

from mm_cl_addon.continual import TaskSplitDataset
from mm_cl_addon.datasets import DigitsDataset
from mm_cl_addon.models.backbones.small_convnet import SmallConvNet

warnings.filterwarnings('ignore')  # Avalanche's deprecation and solver notices

MEAN, STD = 78.0, 96.0
EPOCHS, BATCH, ETA_MIN = 4, 32, 1e-4
STRATEGIES = ('naive', 'er', 'agem', 'gdumb', 'mir', 'lwf', 'ewc', 'packnet')


class DigitsNet(nn.Module):
    """SmallConvNet (32, 64) -> global average pooling -> linear head, as the configs build."""

    def __init__(self, num_classes: int = 10, norm: bool = True) -> None:
        super().__init__()
        self.backbone = SmallConvNet(in_channels=1, widths=(32, 64), norm=norm)
        self.head = nn.Linear(64, num_classes)
        nn.init.normal_(self.head.weight, std=0.01)
        nn.init.zeros_(self.head.bias)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(x)[-1].mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def _tensors(split: str) -> TensorDataset:
    dataset = DigitsDataset(split=split, seed=0)
    images = np.stack([dataset.get_data_info(i)['img'] for i in range(len(dataset))])
    labels = [dataset.get_data_info(i)['gt_label'] for i in range(len(dataset))]
    inputs = (torch.from_numpy(images).float().unsqueeze(1) - MEAN) / STD
    tensors = TensorDataset(inputs, torch.tensor(labels))
    tensors.targets = labels
    return tensors


def class_order() -> list[int]:
    """The classes of the configs' five tasks, in task order."""
    split = TaskSplitDataset(dict(type='DigitsDataset', split='train'), tasks=5, seed=0)
    return [c for classes in split.task_classes for c in classes]


def build_benchmark(task_incremental: bool):
    from avalanche.benchmarks.scenarios.deprecated.generators import nc_benchmark
    return nc_benchmark(_tensors('train'), _tensors('test'), n_experiences=5,
                        task_labels=task_incremental, fixed_class_order=class_order(),
                        class_ids_from_zero_in_each_exp=task_incremental)


def make_optimizer(params, args: argparse.Namespace) -> torch.optim.Optimizer:
    """The config's optimizer: SGD with its momentum, or Adam."""
    if args.optimizer == 'Adam':
        return torch.optim.Adam(params, lr=args.lr, weight_decay=args.weight_decay)
    return torch.optim.SGD(params, lr=args.lr, momentum=args.momentum,
                           weight_decay=args.weight_decay)


def build_strategy(name: str, steps_per_epoch: list[int], args: argparse.Namespace):
    """The Avalanche strategy and the number of epochs it trains per task."""
    from avalanche.evaluation.metrics import accuracy_metrics
    from avalanche.models.packnet import PackNetModel
    from avalanche.training import supervised
    from avalanche.training.plugins import EvaluationPlugin, LRSchedulerPlugin

    # PackNet (task-incremental): one 2-way output shared by the tasks, each task using the
    # weights it and the earlier tasks own; Avalanche's PackNet refuses BatchNorm (both sides
    # run this comparison without it) and multi-head classifiers.
    model = (PackNetModel(DigitsNet(num_classes=2, norm=False)) if name == 'packnet'
             else DigitsNet())
    epochs = {'gdumb': 30, 'packnet': EPOCHS + 2}.get(name, EPOCHS)
    optimizer = make_optimizer(model.parameters(), args)
    steps = max(steps_per_epoch) * epochs
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps,
                                                           eta_min=ETA_MIN)
    common = dict(model=model, optimizer=optimizer, criterion=nn.CrossEntropyLoss(),
                  train_mb_size=BATCH, train_epochs=epochs,
                  eval_mb_size=128, device='cpu',
                  plugins=[LRSchedulerPlugin(scheduler, step_granularity='iteration')],
                  evaluator=EvaluationPlugin(accuracy_metrics(experience=True), loggers=[]))
    settings = {
        'naive': (supervised.Naive, {}),
        'er': (supervised.Replay, dict(mem_size=200)),
        'agem': (supervised.AGEM, dict(patterns_per_exp=40, sample_size=64)),
        'gdumb': (supervised.GDumb, dict(mem_size=200)),
        'mir': (supervised.MIR, dict(mem_size=200, subsample=96, batch_size_mem=32)),
        'lwf': (supervised.LwF, dict(alpha=1.0, temperature=2.0)),
        'ewc': (supervised.EWC, dict(ewc_lambda=args.ewc_lambda, mode='separate')),
        'packnet': (supervised.PackNet, dict(post_prune_epochs=2, prune_proportion=0.5)),
    }
    cls, kwargs = settings[name]
    return cls(**common, **kwargs)


def accuracy_row(strategy, test_stream) -> list[float]:
    metrics = strategy.eval(test_stream)
    row = []
    for exp in test_stream:
        key = next(k for k in metrics if k.startswith('Top1_Acc_Exp/eval_phase/test_stream')
                   and k.endswith(f'Exp{exp.current_experience:03d}'))
        row.append(float(metrics[key]))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('strategy', choices=STRATEGIES)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--ewc-lambda', type=float, default=100.0)
    parser.add_argument('--optimizer', choices=('SGD', 'Adam'), default='SGD')
    parser.add_argument('--lr', type=float, default=0.05)
    parser.add_argument('--momentum', type=float, default=0.9)
    parser.add_argument('--weight-decay', type=float, default=5e-4)
    args = parser.parse_args()
    torch.set_num_threads(1)  # as mm_cl_addon's tools run
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    benchmark = build_benchmark(task_incremental=args.strategy == 'packnet')
    steps = [-(-len(exp.dataset) // BATCH) for exp in benchmark.train_stream]
    strategy = build_strategy(args.strategy, steps, args)
    start = time.perf_counter()
    matrix = [accuracy_row(strategy, benchmark.test_stream)]
    for experience in benchmark.train_stream:
        # Avalanche keeps the optimizer's state (momentum, Adam's moments) from one experience
        # to the next unless told; mm_cl_addon's loop builds it afresh for every task.
        strategy.train(experience, reset_optimizer_state=True)
        matrix.append(accuracy_row(strategy, benchmark.test_stream))
    seconds = time.perf_counter() - start
    print(json.dumps(dict(strategy=args.strategy, seed=args.seed, accuracy_matrix=matrix,
                          seconds=seconds,
                          peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))


if __name__ == '__main__':
    main()
