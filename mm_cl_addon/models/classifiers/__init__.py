"""Classifiers (registered in mmpretrain's MODELS)."""
from .ensemble import EnsembleClassifier, EnsembleOptimWrapperConstructor
from .reference_kd import ReferenceKDClassifier
from .reference_model import KINDS, ReferenceModel

__all__ = ['EnsembleClassifier', 'EnsembleOptimWrapperConstructor', 'KINDS',
           'ReferenceKDClassifier', 'ReferenceModel']
