"""Classifiers (registered in mmpretrain's MODELS)."""
from .ensemble import EnsembleClassifier, EnsembleOptimWrapperConstructor
from .multimodal import MultiModalClassifier
from .reference_kd import ReferenceKDClassifier
from .reference_model import KINDS, ReferenceModel

__all__ = ['EnsembleClassifier', 'EnsembleOptimWrapperConstructor', 'KINDS',
           'MultiModalClassifier', 'ReferenceKDClassifier', 'ReferenceModel']
