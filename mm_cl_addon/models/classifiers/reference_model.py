"""A reference (teacher) copy of a model: a frozen snapshot or a weight average.

The averaging kinds are mmengine's own averaged models (``ExponentialMovingAverage``,
``MomentumAnnealingEMA``, ``StochasticWeightAverage``), fed by ``update`` every
iteration; the frozen kind is a snapshot that only ``refresh`` changes. The copy is
never a registered sub-module of the student, so ``model.train()``, the optimizer,
DDP and the student's state dict never see it; it always runs in eval mode.
"""
from __future__ import annotations

import copy

import torch
from mmengine.model import (
    BaseAveragedModel,
    ExponentialMovingAverage,
    MomentumAnnealingEMA,
    StochasticWeightAverage,
)
from torch import nn

KINDS = ('frozen', 'ema', 'anneal', 'swa')


class ReferenceModel:
    """Holds the reference copy of ``source`` (a module, e.g. backbone+neck+head).

    Args:
        source: the student's modules to copy.
        kind: ``'frozen'``, ``'ema'``, ``'anneal'`` or ``'swa'``.
        momentum: weight of the student in each EMA step (mmengine's convention:
            ``avg = (1 - momentum) * avg + momentum * student``); for ``anneal`` the
            floor of the annealed momentum.
        gamma: ``anneal``'s decay of the momentum, ``max(momentum, gamma / (gamma + steps))``.
        interval: update every ``interval`` calls of :meth:`update`.
    """

    def __init__(self, source: nn.Module, kind: str = 'frozen', momentum: float = 0.0002,
                 gamma: int = 100, interval: int = 1) -> None:
        if kind not in KINDS:
            raise ValueError(f'ReferenceModel: kind={kind!r} is not one of {KINDS}')
        self.kind = kind
        self.averaged: BaseAveragedModel | None = None
        if kind == 'frozen':
            self.module = copy.deepcopy(source)
        else:
            if kind == 'ema':
                self.averaged = ExponentialMovingAverage(source, momentum=momentum,
                                                         interval=interval)
            elif kind == 'anneal':
                self.averaged = MomentumAnnealingEMA(source, momentum=momentum, gamma=gamma,
                                                     interval=interval)
            else:
                self.averaged = StochasticWeightAverage(source, interval=interval)
            self.averaged.update_parameters(source)  # step 0 copies the student
            self.module = self.averaged.module
        self.module.requires_grad_(False).eval()

    def refresh(self, source: nn.Module) -> None:
        """Copy the student's current weights (frozen snapshots are refreshed so)."""
        self.module.load_state_dict(source.state_dict())

    def update(self, source: nn.Module) -> None:
        """One averaging step towards ``source``; a frozen reference ignores it."""
        if self.averaged is not None:
            self.averaged.update_parameters(source)

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Weights (and the averaging step count) as tensors, for checkpoints."""
        holder = self.averaged if self.averaged is not None else self.module
        return {key: value.detach().clone() for key, value in holder.state_dict().items()}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        holder = self.averaged if self.averaged is not None else self.module
        holder.load_state_dict(state)
        self.module.requires_grad_(False).eval()
