"""Classification heads (registered in mmpretrain's MODELS)."""
from .masked_head import MaskedClsHead
from .multi_task_head import MultiTaskClsHead

__all__ = ['MaskedClsHead', 'MultiTaskClsHead']
