"""Building-block layers (plain ``nn.Module``s, not registered)."""
from .memory_linear import MemoryLinear

__all__ = ['MemoryLinear']
