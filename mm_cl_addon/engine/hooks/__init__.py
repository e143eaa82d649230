"""Hooks (registered in mmpretrain's HOOKS)."""
from .reference_model_hook import ReferenceModelHook

__all__ = ['ReferenceModelHook']
