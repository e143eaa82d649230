"""Forward+backward time of MemoryLinear against nn.Linear(d, out) and nn.Linear(d, q*m).

The similarity step of a memory layer alone costs as much as a linear layer with one
output per key (q*m outputs), so that is the fair peer; nn.Linear(d, out) is what the
memory replaces. Cases: m in {8, 100}, delta in {2, 5}, d in {2, 512}, shared and
per-neuron keys, batch 128, out 10; the median of timed repeats, in one run.
Goal: at most 5x nn.Linear(d, q*m) at m = 100, d = 512.

usage: python benchmarks/memory_head.py [--repeats 20]
"""
from __future__ import annotations

import argparse
import itertools
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from mm_cl_addon.models import MemoryLinear

BATCH, OUT = 128, 10


def seconds(step: Callable[[], None], repeats: int) -> float:
    step()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def forward_backward(layer: nn.Module, inputs: torch.Tensor) -> Callable[[], None]:
    def step() -> None:
        layer.zero_grad(set_to_none=True)
        layer(inputs).sum().backward()
    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeats', type=int, default=20)
    args = parser.parse_args()
    torch.manual_seed(0)
    print(f'{"keys":10s} {"m":>4s} {"delta":>5s} {"d":>4s} {"memory ms":>10s} '
          f'{"x Linear(d,out)":>16s} {"x Linear(d,q*m)":>16s}')
    for shared, m, delta, d in itertools.product((True, False), (8, 100), (2, 5), (2, 512)):
        inputs = torch.randn(BATCH, d)
        memory = MemoryLinear(d, OUT, m, delta, shared_keys=shared)
        q = 1 if shared else OUT
        t_memory = seconds(forward_backward(memory, inputs), args.repeats)
        t_out = seconds(forward_backward(nn.Linear(d, OUT), inputs), args.repeats)
        t_keys = seconds(forward_backward(nn.Linear(d, q * m), inputs), args.repeats)
        keys = 'shared' if shared else 'per-neuron'
        print(f'{keys:10s} {m:4d} {delta:5d} {d:4d} {1000 * t_memory:10.3f} '
              f'{t_memory / t_out:16.1f} {t_memory / t_keys:16.1f}')
    print('goal: at most 5x nn.Linear(d, q*m) at m = 100, d = 512')


if __name__ == '__main__':
    main()
