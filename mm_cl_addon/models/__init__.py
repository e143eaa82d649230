"""Model parts; importing registers them in mmpretrain's MODELS."""
from .backbones import SmallConvNet
from .heads import MultiTaskClsHead

__all__ = ['MultiTaskClsHead', 'SmallConvNet']
