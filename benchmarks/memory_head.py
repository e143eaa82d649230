"""Forward+backward time of MemoryLinear against nn.Linear(d, out) and nn.Linear(d, q*m).

The similarity step of a memory layer alone costs as much as a linear layer with one
output per key (q*m outputs), so that is the fair peer; nn.Linear(d, out) is what the
memory replaces. Cases: m in {8, 100}, delta in {2, 5}, d in {2, 512}, shared and
per-neuron keys, batch 128, out 10, cosine similarity. ``--options defaults``: the layer's
defaults (vanilla memory update, gradient-trained keys); ``--options papers``: the Memory
Head papers' (and our mh configs') choice, WTA memory update and ad hoc WTA keys, the step
then including ``update_keys()`` (the key rule, counters and scrambling's test), as
``MemoryKeyUpdateHook`` runs it after every iteration.

The three layers of a case run in the same process under the same thread setting,
each warmed up first, then interleaved step by step (the order rotating every
round), so that a load change on a shared machine hits all three alike. Each
ratio is the median over rounds of (memory step / peer step of the same round);
times are medians too. Goal: at most 5x nn.Linear(d, q*m) at m = 100, d = 512.

usage: python benchmarks/memory_head.py [--repeats 20] [--warmup 5] [--threads N]
                                        [--options defaults|papers]
"""
from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from mm_cl_addon.models import MemoryLinear

BATCH, OUT = 128, 10
GOAL = 5.0
OPTIONS = {'defaults': {}, 'papers': dict(memory_update='WTA', key_update='ad_hoc_WTA')}


def forward_backward(layer: nn.Module, inputs: torch.Tensor) -> Callable[[], None]:
    update_keys = getattr(layer, 'update_keys', None)

    def step() -> None:
        layer.zero_grad(set_to_none=True)
        layer(inputs).sum().backward()
        if update_keys is not None:
            update_keys()
    return step


def interleaved(steps: list[Callable[[], None]], repeats: int, warmup: int) -> list[list[float]]:
    """Seconds of every step in every round; rounds run the steps in rotating order."""
    for step in steps:
        for _ in range(warmup):
            step()
    times: list[list[float]] = [[] for _ in steps]
    for r in range(repeats):
        for i in [(r + k) % len(steps) for k in range(len(steps))]:
            start = time.perf_counter()
            steps[i]()
            times[i].append(time.perf_counter() - start)
    return times


def ratio(times: list[float], peer: list[float]) -> float:
    return statistics.median(t / p for t, p in zip(times, peer))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeats', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--threads', type=int, default=None,
                        help="torch threads for all layers (default: torch's own)")
    parser.add_argument('--options', choices=sorted(OPTIONS), default='defaults',
                        help="MemoryLinear's update rules (see the module docstring)")
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    load = ', '.join(f'{v:.1f}' for v in os.getloadavg())
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads (all layers), '
          f'{os.cpu_count()} CPUs, load average {load}; batch {BATCH}, out {OUT}, '
          f'{args.repeats} interleaved rounds after {args.warmup} warm-up steps each; '
          f'options {args.options}: {OPTIONS[args.options] or "the layer defaults"}')
    print(f'{"keys":10s} {"m":>4s} {"delta":>5s} {"d":>4s} {"memory ms":>10s} '
          f'{"x Linear(d,out)":>16s} {"x Linear(d,q*m)":>16s}')
    peer_ratio = {}
    for shared, m, delta, d in itertools.product((True, False), (8, 100), (2, 5), (2, 512)):
        inputs = torch.randn(BATCH, d)
        memory = MemoryLinear(d, OUT, m, delta, shared_keys=shared, **OPTIONS[args.options])
        q = 1 if shared else OUT
        layers = (memory, nn.Linear(d, OUT), nn.Linear(d, q * m))
        t_memory, t_out, t_keys = interleaved(
            [forward_backward(layer, inputs) for layer in layers], args.repeats, args.warmup)
        keys = 'shared' if shared else 'per-neuron'
        peer_ratio[keys, m, delta, d] = ratio(t_memory, t_keys)
        print(f'{keys:10s} {m:4d} {delta:5d} {d:4d} {1000 * statistics.median(t_memory):10.3f} '
              f'{ratio(t_memory, t_out):16.1f} {peer_ratio[keys, m, delta, d]:16.1f}')
    print('\ngrowth with m of x Linear(d,q*m) (m = 8 -> m = 100):')
    for keys, delta, d in itertools.product(('shared', 'per-neuron'), (2, 5), (2, 512)):
        small, large = peer_ratio[keys, 8, delta, d], peer_ratio[keys, 100, delta, d]
        print(f'  {keys:10s} delta {delta} d {d:3d}: {small:5.1f} -> {large:5.1f} '
              f'(x{large / small:.2f})')
    print(f'\ngoal: at most {GOAL:g}x nn.Linear(d, q*m) at m = 100, d = 512')
    for keys, delta in itertools.product(('shared', 'per-neuron'), (2, 5)):
        value = peer_ratio[keys, 100, delta, 512]
        verdict = 'met' if value <= GOAL else 'NOT met'
        print(f'  {keys:10s} delta {delta}: {value:5.1f}x  {verdict}')


if __name__ == '__main__':
    main()
