"""Hooks (registered in mmpretrain's HOOKS)."""
from .cpg_hook import CPGHook
from .memory_key_hook import MemoryKeyUpdateHook
from .packnet_hook import PackNetHook
from .reference_model_hook import ReferenceModelHook
from .replay_hook import ReplayHook

__all__ = ['CPGHook', 'MemoryKeyUpdateHook', 'PackNetHook', 'ReferenceModelHook', 'ReplayHook']
