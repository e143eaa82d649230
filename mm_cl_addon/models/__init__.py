"""Model parts; importing registers them in mmpretrain's MODELS."""
from .backbones import Flatten, SmallConvNet
from .classifiers import MultiModalClassifier, ReferenceKDClassifier, ReferenceModel
from .heads import MaskedClsHead, MemoryHead, MultiTaskClsHead
from .layers import MemoryLinear
from .losses import ContrastiveLoss, SumOfLosses

__all__ = ['ContrastiveLoss', 'Flatten', 'MaskedClsHead', 'MemoryHead', 'MemoryLinear',
           'MultiModalClassifier', 'MultiTaskClsHead', 'ReferenceKDClassifier', 'ReferenceModel',
           'SmallConvNet', 'SumOfLosses']
