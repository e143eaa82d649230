"""Optimizer wrappers (registered in mmengine's OPTIM_WRAPPERS)."""
from .agem import AGEMOptimWrapper

__all__ = ['AGEMOptimWrapper']
