"""Classification heads (registered in mmpretrain's MODELS)."""
from .masked_head import MaskedClsHead
from .memory_head import MemoryHead
from .multi_task_head import MultiTaskClsHead

__all__ = ['MaskedClsHead', 'MemoryHead', 'MultiTaskClsHead']
