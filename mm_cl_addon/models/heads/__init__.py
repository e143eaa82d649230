"""Classification heads (registered in mmpretrain's MODELS)."""
from .multi_task_head import MultiTaskClsHead

__all__ = ['MultiTaskClsHead']
