"""Recompute the BatchNorm statistics of a soup on training data.

Averaging weights does not average the activations they produce, so the running statistics a
soup inherits from its ingredients no longer describe its own activations, and accuracy can
collapse. Running training batches through the soup gives it statistics of its own.

The statistics are the exact per-channel mean and unbiased variance of every input each BatchNorm
layer saw, accumulated in float64 across batches. The usual shortcut (momentum ``None``) averages
per-batch variances instead, which misses the spread between batch means. Under data parallelism
each process gets the statistics of its own batches.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm


class _Moments:
    """Count, mean and sum of squared deviations per channel, merged batch by batch (Chan et al.)
    so that neither precision nor memory depends on how many batches there are."""

    def __init__(self) -> None:
        self.batches = 0
        self.count = 0
        self.mean: Tensor | None = None
        self.m2: Tensor | None = None

    def __call__(self, module: nn.Module, inputs: tuple[Any, ...]) -> None:
        """Forward pre-hook: take in the input of one call of a BatchNorm layer."""
        x = inputs[0].detach().to(torch.float64)
        dims = [dim for dim in range(x.dim()) if dim != 1]
        count = x.numel() // x.shape[1]
        mean = x.mean(dim=dims)
        broadcast = [1, x.shape[1]] + [1] * (x.dim() - 2)
        m2 = (x - mean.view(broadcast)).square().sum(dim=dims)
        self.batches += 1
        if self.mean is None or self.m2 is None:
            self.count, self.mean, self.m2 = count, mean, m2
            return
        total = self.count + count
        delta = mean - self.mean
        self.mean = self.mean + delta * (count / total)
        self.m2 = self.m2 + m2 + delta.square() * (self.count * count / total)
        self.count = total

    def write_to(self, bn: _BatchNorm) -> None:
        """Replace the layer's running statistics with the ones seen (needs two values each)."""
        if self.mean is None or self.m2 is None or self.count < 2:
            return
        bn.running_mean.copy_(self.mean)
        bn.running_var.copy_(self.m2 / (self.count - 1))
        if bn.num_batches_tracked is not None:
            bn.num_batches_tracked.fill_(self.batches)


def _batchnorms(model: nn.Module) -> list[_BatchNorm]:
    """BatchNorm layers (SyncBatchNorm and mmcv's included) that keep running statistics."""
    return [module for module in model.modules()
            if isinstance(module, _BatchNorm) and module.running_mean is not None]


def reestimate_batchnorm(model: nn.Module, batches: Iterable[Any],
                         forward: Callable[[nn.Module, Any], Any],
                         num_batches: int | None = None) -> int:
    """Set every BatchNorm's running mean and variance to those of the data ``forward`` feeds it.

    ``forward(model, batch)`` runs under ``torch.no_grad()`` with the model in train mode, for the
    first ``num_batches`` batches (all when None). Afterwards every module is back in its
    previous train/eval mode and momentum is untouched. A layer no batch reached keeps its old
    statistics; if ``forward`` raises, every layer does. Returns the number of batches used:
    0, without iterating, for a model with no BatchNorm.
    """
    if num_batches is not None and num_batches < 1:
        raise ValueError(f'num_batches={num_batches}; expected None (all) or at least 1')
    layers = _batchnorms(model)
    if not layers:
        return 0
    modes = [(module, module.training) for module in model.modules()]
    moments = [_Moments() for _ in layers]
    handles = [bn.register_forward_pre_hook(moment) for bn, moment in zip(layers, moments)]
    saved = [{name: buffer.clone() for name, buffer in bn.named_buffers(recurse=False)}
             for bn in layers]
    used = 0
    try:
        model.train()
        for bn in layers:  # even where a train() override keeps norms frozen (norm_eval)
            bn.train()
        with torch.no_grad():
            for batch in itertools.islice(batches, num_batches):
                forward(model, batch)
                used += 1
    finally:
        for handle in handles:
            handle.remove()
        for module, training in modes:  # the flags as they were, past any train() override
            module.training = training
        with torch.no_grad():
            for bn, buffers in zip(layers, saved):
                for name, value in buffers.items():
                    getattr(bn, name).copy_(value)
    if used == 0:
        raise ValueError('batches yielded no batch; expected at least one to estimate '
                         'BatchNorm statistics from (the statistics were left unchanged)')
    with torch.no_grad():
        for bn, moment in zip(layers, moments):
            moment.write_to(bn)
    return used
