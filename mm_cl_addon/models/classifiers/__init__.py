"""Classifiers (registered in mmpretrain's MODELS)."""
from .reference_kd import ReferenceKDClassifier
from .reference_model import KINDS, ReferenceModel

__all__ = ['KINDS', 'ReferenceKDClassifier', 'ReferenceModel']
