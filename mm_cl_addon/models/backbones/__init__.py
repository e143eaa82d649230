"""Backbones (registered in mmpretrain's MODELS)."""
from .dery import DeRy
from .flatten import Flatten
from .mlp import MLP
from .perceiver_io import PerceiverIOBackbone
from .small_convnet import SmallConvNet

__all__ = ['DeRy', 'Flatten', 'MLP', 'PerceiverIOBackbone', 'SmallConvNet']
