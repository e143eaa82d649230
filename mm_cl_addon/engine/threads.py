"""The tools' thread policy: one intra-op thread per process unless the user or config chose.

torch starts one intra-op thread per core. ``benchmarks/threads.py`` timed training steps of the
shipped configs' models at one and two threads on this package's 2-core reference machine, idle
and with both cores busy (docs/benchmarks.md): with a second thread the small models (the
digits CNN, the Memory Head at batch size 1, the MM-Pick-a-back Perceiver IO) take 0.59-1.20x
the single-thread step time on an idle machine but 1.5-7.7x on a busy one, where threads wait
on each other; ResNet-18 on CIFAR is faster on both (0.55x idle, 0.63x busy). So every tool
runs with one thread, except where ``OMP_NUM_THREADS`` is set (torch reads it itself) or the
config sets ``env_cfg = dict(num_threads=N)``; ``num_threads='auto'`` (the ResNet-18 CIFAR
configs) takes this process's share of the cores, unless ``OMP_NUM_THREADS`` is set.
"""
from __future__ import annotations

import os
from collections.abc import Mapping

import torch

THREADS_VARIABLE = 'OMP_NUM_THREADS'
CONFIG_KEY = 'num_threads'
AUTO = 'auto'
DEFAULT_THREADS = 1


def _cores_per_process() -> int:
    local_processes = int(os.environ.get('LOCAL_WORLD_SIZE', '1'))
    return max(1, (os.cpu_count() or 1) // max(1, local_processes))


def chosen_threads(env_cfg: Mapping | None = None) -> tuple[int | None, str]:
    """The thread count to set and why (``None``: keep what torch took from the environment)."""
    configured = (env_cfg or {}).get(CONFIG_KEY)
    if configured is not None and configured != AUTO and (
            isinstance(configured, bool) or not isinstance(configured, int) or configured < 1):
        raise ValueError(f'env_cfg.{CONFIG_KEY}={configured!r} must be an integer >= 1 or '
                         f'{AUTO!r}')
    if configured not in (None, AUTO):
        return configured, f'env_cfg.{CONFIG_KEY}'
    if os.environ.get(THREADS_VARIABLE):
        return None, THREADS_VARIABLE
    if configured == AUTO:
        return _cores_per_process(), f'env_cfg.{CONFIG_KEY}={AUTO!r}'
    return DEFAULT_THREADS, 'default'


def apply_thread_policy(env_cfg: Mapping | None = None) -> int:
    """Set torch's intra-op threads by the policy; return the number in use."""
    threads, _ = chosen_threads(env_cfg)
    if threads is not None:
        torch.set_num_threads(threads)
    return torch.get_num_threads()
