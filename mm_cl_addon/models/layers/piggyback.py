"""Piggyback masks (Mallya et al. 2018) as CPG uses them over earlier tasks' weights.

A task learns a real-valued mask over the frozen weights of earlier tasks; the
forward pass uses them multiplied by the mask binarised at a threshold, and the
binariser is treated as the identity in the backward pass (straight-through
estimator), so the mask receives ``dL/dW_eff * W`` wherever it applies.
"""
from __future__ import annotations

import torch


def binarize(mask: torch.Tensor, threshold: float) -> torch.Tensor:
    """The hard mask: True where the real-valued mask exceeds ``threshold``."""
    return mask > threshold


def earlier_weights(owner: torch.Tensor, task: int) -> torch.Tensor:
    """True on the weights of tasks 1..task-1, the ones a piggyback mask selects from."""
    return (owner >= 1) & (owner < task)


def piggyback_weight(weight: torch.Tensor, owner: torch.Tensor, mask: torch.Tensor, task: int,
                     threshold: float) -> torch.Tensor:
    """The weight task ``task`` trains with: its own entries, picked earlier ones, zeros else."""
    picked = earlier_weights(owner, task) & binarize(mask, threshold)
    return torch.where((owner == task) | picked, weight, torch.zeros_like(weight))


def straight_through_mask_grad(weight_grad: torch.Tensor, weight: torch.Tensor,
                               owner: torch.Tensor, task: int) -> torch.Tensor:
    """Gradient of the real mask: ``dL/dW_eff * W`` on earlier tasks' weights, 0 elsewhere.

    ``weight`` holds the earlier tasks' true values (not the masked ones), as in
    ``W_eff = W * binarize(m)`` with ``d binarize(m) / dm`` taken as 1.
    """
    scaled = weight_grad * weight
    return torch.where(earlier_weights(owner, task), scaled, torch.zeros_like(scaled))
