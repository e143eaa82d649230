"""Minibatch CKA (Nguyen, Raghu & Kornblith, ICLR 2021): CKA over more samples than fit at once.

Each batch adds its debiased (unbiased) linear HSIC for every layer pair and every layer with
itself; :meth:`MinibatchCKA.compute` returns mean HSIC_xy / sqrt(mean HSIC_xx * mean HSIC_yy).
The unbiased estimator keeps the batch average from the bias a per-batch biased HSIC carries.

``dtype=torch.float32`` computes each batch's kernels and products in float32 (about twice as
fast on CPU) and still accumulates the HSICs in float64. Each batch's HSIC then carries a
relative rounding error of order ``n * eps32`` (``eps32 = 1.2e-7``; about 3e-5 for batches of
256), which averaging over batches does not grow: on the 6 x 6 benchmark of
``benchmarks/cka_peer.py`` the CKA values moved by under 1e-5 (docs/benchmarks.md).
"""
from __future__ import annotations

from collections.abc import Sequence
from itertools import product
from typing import Any

import torch
from torch import Tensor

from .cka import hsic, linear_stats, uses_features
from .representations import as_layers, check_layers


class MinibatchCKA:
    """Accumulates linear debiased HSIC between ``num_x`` and ``num_y`` layers over batches."""

    def __init__(self, num_x: int, num_y: int, dtype: torch.dtype = torch.float64) -> None:
        for name, value in (('num_x', num_x), ('num_y', num_y)):
            if value < 1:
                raise ValueError(f'{name} must be >= 1, got {value}')
        if dtype not in (torch.float32, torch.float64):
            raise ValueError(f'dtype must be torch.float32 or torch.float64, got {dtype}')
        self.num_x, self.num_y = num_x, num_y
        self.dtype = dtype
        self.batches = 0
        self._xy = torch.zeros(num_x, num_y, dtype=torch.float64)
        self._xx = torch.zeros(num_x, dtype=torch.float64)
        self._yy = torch.zeros(num_y, dtype=torch.float64)

    def update(self, xs: Sequence[Any], ys: Sequence[Any]) -> None:
        """Add one batch: a [b, d] feature matrix per layer, the same b >= 4 samples for all."""
        if len(xs) != self.num_x or len(ys) != self.num_y:
            raise ValueError(f'expected {self.num_x} xs and {self.num_y} ys layers, got '
                             f'{len(xs)} and {len(ys)}')
        xs, ys = as_layers(xs, 'xs', self.dtype), as_layers(ys, 'ys', self.dtype)
        n = check_layers(xs, ys, debiased=True)
        features = uses_features([m.shape[1] for m in xs + ys], n, 'auto')
        a = [linear_stats(x, True, features) for x in xs]
        b = [linear_stats(y, True, features) for y in ys]
        self._xx += torch.stack([hsic(s, s) for s in a]).double()
        self._yy += torch.stack([hsic(s, s) for s in b]).double()
        for i, j in product(range(self.num_x), range(self.num_y)):
            self._xy[i, j] += hsic(a[i], b[j]).double()
        self.batches += 1

    def compute(self) -> Tensor:
        """CKA from the accumulated HSICs: float64 [num_x, num_y] (the batch count cancels)."""
        if self.batches == 0:
            raise RuntimeError('compute() called before any update()')
        denominator = torch.sqrt(torch.outer(self._xx, self._yy).clamp_min(0.0))
        return torch.where(denominator > 0, self._xy / denominator, torch.zeros_like(self._xy))
