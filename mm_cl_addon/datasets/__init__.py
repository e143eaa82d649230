"""Data sets; registered into mmpretrain's ``DATASETS`` on import."""
from .digits import DigitsDataset, DomainShift

__all__ = ['DigitsDataset', 'DomainShift']
