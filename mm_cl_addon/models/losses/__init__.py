"""Losses (registered in mmpretrain's MODELS)."""
from .contrastive import ContrastiveLoss

__all__ = ['ContrastiveLoss']
