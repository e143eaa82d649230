"""Model parts; importing registers them in mmpretrain's MODELS."""
from .backbones import SmallConvNet
from .classifiers import ReferenceKDClassifier, ReferenceModel
from .heads import MaskedClsHead, MultiTaskClsHead
from .layers import MemoryLinear
from .losses import ContrastiveLoss, SumOfLosses

__all__ = ['ContrastiveLoss', 'MaskedClsHead', 'MemoryLinear', 'MultiTaskClsHead',
           'ReferenceKDClassifier', 'ReferenceModel', 'SmallConvNet', 'SumOfLosses']
