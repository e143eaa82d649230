"""Small utilities shared by every part of the package."""
from .io import (
    atomic_torch_save,
    atomic_write,
    atomic_write_json,
    atomic_write_text,
)

__all__ = ['atomic_torch_save', 'atomic_write', 'atomic_write_json',
           'atomic_write_text']
