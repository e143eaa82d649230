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


def piggyback_weight(weight: torch.Tensor, own: torch.Tensor, earlier: torch.Tensor,
                     mask: torch.Tensor, threshold: float) -> torch.Tensor:
    """The weight a task trains with: its ``own`` entries, the ``earlier`` tasks' entries
    its mask picks, zeros elsewhere (free weights and later tasks')."""
    return torch.where(own | (earlier & binarize(mask, threshold)), weight, 0.0)


def straight_through_mask_grad(weight_grad: torch.Tensor,
                               earlier_values: torch.Tensor) -> torch.Tensor:
    """Gradient of the real mask: ``dL/dW_eff * W`` on earlier tasks' weights, 0 elsewhere.

    ``earlier_values`` holds the earlier tasks' true weights (not the masked
    ones) and zeros elsewhere, as in ``W_eff = W * binarize(m)`` with
    ``d binarize(m) / dm`` taken as 1.
    """
    return weight_grad * earlier_values
