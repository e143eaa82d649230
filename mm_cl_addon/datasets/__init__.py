"""Data sets and data-set wrappers; registered into mmpretrain's ``DATASETS`` on import."""
from .digits import DigitsDataset, DomainShift
from .oversample import ClassOversampleDataset
from .relabel import RelabelDataset, load_relabel_file

__all__ = ['ClassOversampleDataset', 'DigitsDataset', 'DomainShift', 'RelabelDataset',
           'load_relabel_file']
