"""Building-block layers and weight masks (plain modules and functions, not registered)."""
from .memory_linear import MemoryLinear
from .owner_masks import (
    attach_owners,
    effective_weight,
    maskable_modules,
    masked_for_task,
    owner_of,
    prune_smallest,
)

__all__ = ['MemoryLinear', 'attach_owners', 'effective_weight', 'maskable_modules',
           'masked_for_task', 'owner_of', 'prune_smallest']
