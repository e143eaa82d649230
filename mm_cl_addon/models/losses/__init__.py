"""Losses (registered in mmpretrain's MODELS) and distillation functions (not registered)."""
from .contrastive import ContrastiveLoss
from .distillation import MASK_LOSSES, cosine_loss, kd_loss, l2_loss
from .sum_of_losses import SumOfLosses

__all__ = ['ContrastiveLoss', 'MASK_LOSSES', 'SumOfLosses', 'cosine_loss', 'kd_loss', 'l2_loss']
