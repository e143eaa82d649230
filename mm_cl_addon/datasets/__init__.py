"""Data sets and data-set wrappers; registered into mmpretrain's ``DATASETS`` on import."""
from .captions import COCOCaptions, CUBCaptions, Oxford102Captions, PackMultiModalInputs
from .cifar10_1 import CIFAR10_1
from .digits import DigitsDataset, DomainShift
from .ns_imagenet import NSImageNetDataset
from .oversample import ClassOversampleDataset
from .points2d import Points2DDataset
from .relabel import RelabelDataset, load_relabel_file

__all__ = ['CIFAR10_1', 'COCOCaptions', 'CUBCaptions', 'ClassOversampleDataset', 'DigitsDataset',
           'DomainShift', 'NSImageNetDataset', 'Oxford102Captions', 'PackMultiModalInputs',
           'Points2DDataset', 'RelabelDataset', 'load_relabel_file']
