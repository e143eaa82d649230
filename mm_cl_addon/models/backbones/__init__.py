"""Backbones (registered in mmpretrain's MODELS)."""
from .small_convnet import SmallConvNet

__all__ = ['SmallConvNet']
