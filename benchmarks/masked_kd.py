"""Iteration time of KD, EMA-KD and masked KD against the CE baseline.

Same ResNet-18 (CIFAR variant), same random batch, same SGD step; KD adds a
forward pass of the frozen reference, EMA-KD also an averaging step per
iteration (what ReferenceModelHook does after each iteration), masked KD the
masked and inverse-masked passes through the head. Prints the median time per
iteration and each variant's ratio to CE (goals: EMA-KD < 1.6x, masked KD < 2.2x).

usage: python benchmarks/masked_kd.py [--batch-size 64] [--iters 10] [--repeats 3]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
from mmengine.optim import OptimWrapper
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mm_cl_addon  # noqa: F401
from mm_cl_addon.models import ReferenceModel

VARIANTS = {
    'CE': dict(head=None, kind=None),
    'KD (frozen)': dict(head=None, kind='frozen'),
    'EMA-KD': dict(head=None, kind='ema'),
    'masked KD': dict(head=dict(type='MaskedClsHead', num_classes=10, in_channels=512,
                                mask_ratio=0.5, mask_mode='s', inv_mode='v1'), kind='frozen'),
}


def build(head: dict | None, kind: str | None) -> torch.nn.Module:
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='ReferenceKDClassifier',
        backbone=dict(type='ResNet_CIFAR', depth=18, num_stages=4, out_indices=(3, )),
        neck=dict(type='GlobalAveragePooling'),
        head=head or dict(type='LinearClsHead', num_classes=10, in_channels=512),
        data_preprocessor=dict(num_classes=10, mean=[125.3, 123.0, 113.9],
                               std=[51.6, 50.8, 51.3], to_rgb=False)))
    if kind is not None:
        model.reference = ReferenceModel(model.reference_source(), kind=kind, momentum=0.001)
    return model.train()


def seconds_per_iteration(name: str, batch: dict, iters: int) -> float:
    model = build(**VARIANTS[name])
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))

    def step() -> None:
        model.train_step(batch, optim_wrapper=wrapper)
        if model.reference is not None:
            model.reference.update(model.reference_source())

    step()  # warm-up
    start = time.perf_counter()
    for _ in range(iters):
        step()
    return (time.perf_counter() - start) / iters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--iters', type=int, default=10)
    parser.add_argument('--repeats', type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(1)
    batch = dict(
        inputs=list(torch.randint(0, 256, (args.batch_size, 3, 32, 32), dtype=torch.uint8)),
        data_samples=[DataSample().set_gt_label(i % 10) for i in range(args.batch_size)])
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for _ in range(args.repeats):  # interleaved, so all variants see the same machine state
        for name in VARIANTS:
            times[name].append(seconds_per_iteration(name, batch, args.iters))
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, value in medians.items():
        print(f'{name:12s} {1000 * value:8.1f} ms/iter   x{value / medians["CE"]:.2f} of CE')
    print('goals: EMA-KD < 1.6x CE, masked KD < 2.2x CE')


if __name__ == '__main__':
    main()
