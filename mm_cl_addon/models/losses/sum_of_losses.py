"""Several classification losses on the same scores, added up."""
from __future__ import annotations

from collections.abc import Sequence

import torch
from mmpretrain.registry import MODELS
from torch import nn


@MODELS.register_module()
class SumOfLosses(nn.Module):
    """``loss=dict(type='SumOfLosses', losses=[...])`` gives a head more than one loss.

    mmpretrain heads build a single ``loss`` module and call it as
    ``loss(cls_score, target, avg_factor=...)``; this passes the call to each
    member (each keeps its own ``loss_weight``) and returns the sum, e.g.
    cross-entropy plus ``ContrastiveLoss`` on the same logits.
    """

    def __init__(self, losses: Sequence[dict]) -> None:
        super().__init__()
        if not losses:
            raise ValueError('SumOfLosses: losses must list at least one loss config')
        self.losses = nn.ModuleList(MODELS.build(loss) for loss in losses)

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor,
                weight: torch.Tensor | None = None, avg_factor: int | None = None,
                reduction_override: str | None = None) -> torch.Tensor:
        return sum(loss(cls_score, label, weight=weight, avg_factor=avg_factor,
                        reduction_override=reduction_override) for loss in self.losses)
