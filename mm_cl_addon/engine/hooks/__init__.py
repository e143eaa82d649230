"""Hooks (registered in mmpretrain's HOOKS)."""
from .packnet_hook import PackNetHook
from .reference_model_hook import ReferenceModelHook

__all__ = ['PackNetHook', 'ReferenceModelHook']
