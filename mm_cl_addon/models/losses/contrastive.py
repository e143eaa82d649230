"""Supervised contrastive loss (Khosla et al., NeurIPS 2020, the L_out variant).

It pulls together the embeddings of same-class samples in a batch, which helps when a
class has few or noisy examples. It takes embeddings or logits alike (both are L2
normalised first), so it can replace the loss of a stock mmpretrain classification head.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import nn

REDUCTIONS = ('none', 'mean', 'sum')


def supervised_contrastive(features: torch.Tensor, labels: torch.Tensor,
                           temperature: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-anchor losses and which anchors have a positive (the others get a connected 0).

    For anchor ``i`` with positives ``P(i)`` (same label, not ``i``) and all other samples
    ``A(i)``: ``-1/|P(i)| * sum_p log(exp(s_ip) / sum_{a in A(i)} exp(s_ia))`` with
    ``s = cos / temperature``.
    """
    embeddings = F.normalize(features, dim=1)
    similarity = embeddings @ embeddings.t() / temperature
    itself = torch.eye(len(labels), dtype=torch.bool, device=features.device)
    # A finite minimum (not -inf) leaves a lone sample's row, and its gradient, free of NaN.
    similarity = similarity.masked_fill(itself, torch.finfo(similarity.dtype).min)
    log_prob = similarity.log_softmax(dim=1)
    positives = (labels[:, None] == labels[None, :]) & ~itself
    num_positives = positives.sum(dim=1)
    summed = torch.where(positives, log_prob, torch.zeros_like(log_prob)).sum(dim=1)
    return -summed / num_positives.clamp(min=1), num_positives > 0


@MODELS.register_module()
class ContrastiveLoss(nn.Module):
    """Supervised contrastive loss with mmpretrain's loss calling convention.

    Args:
        temperature: divides the cosine similarities; must be > 0.
        reduction: ``'mean'`` (over the anchors that have a positive), ``'sum'`` or
            ``'none'`` (one value per sample, 0 for samples without a positive).
        loss_weight: multiplies the loss.

    ``label`` must hold class indices (shape ``N``); one-hot or soft labels from batch
    augmentations such as Mixup are refused, because "same class" is undefined for them.
    As in every mmpretrain loss, ``avg_factor`` replaces the mean's denominator; a
    ``ClsHead`` passes the batch size, so there anchors without a positive count as 0.
    """

    def __init__(self, temperature: float = 0.1, reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if not temperature > 0:
            raise ValueError(f'ContrastiveLoss: temperature={temperature!r}; expected > 0')
        self.temperature = float(temperature)
        self.reduction = self._check_reduction(reduction)
        self.loss_weight = loss_weight

    @staticmethod
    def _check_reduction(reduction: str) -> str:
        if reduction not in REDUCTIONS:
            raise ValueError(f'ContrastiveLoss: reduction={reduction!r}; expected one of '
                             f'{REDUCTIONS}')
        return reduction

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor,
                weight: torch.Tensor | None = None, avg_factor: float | None = None,
                reduction_override: str | None = None) -> torch.Tensor:
        """``cls_score``: N x D embeddings or logits; ``weight``: optional N per-anchor weights."""
        reduction = self._check_reduction(reduction_override or self.reduction)
        if cls_score.ndim != 2:
            raise ValueError(f'ContrastiveLoss: cls_score has shape {tuple(cls_score.shape)}; '
                             f'expected N x D')
        if label.shape != cls_score.shape[:1] or label.is_floating_point():
            raise ValueError(f'ContrastiveLoss: label has shape {tuple(label.shape)} and dtype '
                             f'{label.dtype}; expected {cls_score.shape[0]} integer class '
                             f'indices (one-hot or soft labels are not supported)')
        loss, has_positive = supervised_contrastive(cls_score, label, self.temperature)
        if weight is not None:
            if weight.shape != label.shape:
                raise ValueError(f'ContrastiveLoss: weight has shape {tuple(weight.shape)}; '
                                 f'expected one weight per sample, ({len(label)},)')
            loss = loss * weight
        if reduction == 'none':
            return self.loss_weight * loss
        if reduction == 'sum':
            if avg_factor is not None:
                raise ValueError('ContrastiveLoss: avg_factor cannot be used with '
                                 "reduction='sum'")
            return self.loss_weight * loss.sum()
        denominator = has_positive.sum().clamp(min=1) if avg_factor is None else avg_factor
        return self.loss_weight * loss.sum() / denominator
