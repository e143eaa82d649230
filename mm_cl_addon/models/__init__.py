"""Model parts; importing registers them in mmpretrain's MODELS."""
from .backbones import SmallConvNet
from .heads import MultiTaskClsHead
from .losses import ContrastiveLoss, SumOfLosses

__all__ = ['ContrastiveLoss', 'SumOfLosses', 'MultiTaskClsHead', 'SmallConvNet']
