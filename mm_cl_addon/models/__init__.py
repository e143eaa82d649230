"""Model parts; importing registers them in mmpretrain's MODELS."""
from .backbones import SmallConvNet
from .heads import MultiTaskClsHead
from .losses import ContrastiveLoss

__all__ = ['ContrastiveLoss', 'MultiTaskClsHead', 'SmallConvNet']
