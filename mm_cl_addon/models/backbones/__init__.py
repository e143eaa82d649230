"""Backbones (registered in mmpretrain's MODELS)."""
from .flatten import Flatten
from .small_convnet import SmallConvNet

__all__ = ['Flatten', 'SmallConvNet']
