"""Data sets and data-set wrappers; registered into mmpretrain's ``DATASETS`` on import."""
from .cifar10_1 import CIFAR10_1
from .digits import DigitsDataset, DomainShift
from .oversample import ClassOversampleDataset
from .relabel import RelabelDataset, load_relabel_file

__all__ = ['CIFAR10_1', 'ClassOversampleDataset', 'DigitsDataset', 'DomainShift', 'RelabelDataset',
           'load_relabel_file']
