"""Losses (registered in mmpretrain's MODELS)."""
from .contrastive import ContrastiveLoss
from .sum_of_losses import SumOfLosses

__all__ = ['ContrastiveLoss', 'SumOfLosses']
