"""Oxford-102 Flowers with the ten-captions-per-image descriptions of Reed et al. (CVPR 2016).

Read from the official release (``jpg/image_XXXXX.jpg``, ``imagelabels.mat``, ``setid.mat``)
and the captions as Reed et al. distribute them (``cvpr2016_flowers``):
``text_c10/class_XXXXX/image_XXXXX.txt``, the class folder being the image's 1-based label
and the file the image's number, both zero-padded to five digits.
"""
from __future__ import annotations

import os.path as osp
from collections.abc import Sequence

import numpy as np
from mmpretrain.registry import DATASETS
from scipy.io import loadmat
from scipy.io.matlab import MatReadError

from .base import (
    CaptionedImageDataset,
    ImageRecord,
    read_caption_file,
    require_dir,
    require_file,
    resolve,
)

NUM_CLASSES = 102
LABELS_FILE = 'imagelabels.mat'
SPLIT_FILE = 'setid.mat'
SPLIT_KEYS = {'train': 'trnid', 'val': 'valid', 'test': 'tstid'}


def class_folder(label: int) -> str:
    """The caption folder of a 0-based label: ``class_00001`` for label 0."""
    return f'class_{label + 1:05d}'


def read_mat_vector(path: str, key: str) -> np.ndarray:
    """One integer vector of a MATLAB file, whatever its row/column shape."""
    require_file(path, 'Oxford-102 file')
    try:
        data = loadmat(path)
    except (MatReadError, ValueError, TypeError, OSError, NotImplementedError) as error:
        raise ValueError(f'{path}: is not a readable MATLAB .mat file ({error})') from error
    if key not in data:
        found = sorted(name for name in data if not name.startswith('__'))
        raise KeyError(f'{path}: has no key {key!r} (found {found})')
    value = np.asarray(data[key])
    if value.size == 0 or value.size != max(value.shape):
        raise ValueError(f'{path}: key {key!r} must be a non-empty vector, got shape '
                         f'{value.shape}')
    value = value.reshape(-1)
    if not np.issubdtype(value.dtype, np.number) or np.any(value != np.round(value)):
        raise ValueError(f'{path}: key {key!r} must hold integers, got {value.dtype}')
    return value.astype(np.int64)


@DATASETS.register_module()
class Oxford102Captions(CaptionedImageDataset):
    """Oxford-102 Flowers images and/or their captions, labelled by species (102 classes).

    Labels are ``imagelabels.mat``'s ``labels`` (1..102) minus one; class names are the
    caption folder names ``class_00001``..``class_00102`` (the release has no names).
    Image ids are the 1-based image numbers of ``jpg/image_XXXXX.jpg``.

    Splits are those of ``setid.mat``: ``train`` = ``trnid`` (10 images per class),
    ``val`` = ``valid`` (10 per class), ``test`` = ``tstid`` (the other 6,149), in
    ascending image number. ``caption_dir`` (default ``'text_c10'``) is joined to
    ``data_root`` when relative.
    """

    METAINFO = {'classes': tuple(class_folder(label) for label in range(NUM_CLASSES))}

    def __init__(self, data_root: str, split: str = 'train', caption_dir: str = 'text_c10',
                 **kwargs):
        self.caption_dir = caption_dir
        super().__init__(data_root=data_root, split=split, **kwargs)

    def load_records(self) -> list[ImageRecord]:
        labels_path = osp.join(self.data_root, LABELS_FILE)
        split_path = osp.join(self.data_root, SPLIT_FILE)
        labels = read_mat_vector(labels_path, 'labels')
        if labels.min() < 1 or labels.max() > NUM_CLASSES:
            raise ValueError(f"{labels_path}: key 'labels' must lie in 1..{NUM_CLASSES}, got "
                             f'{labels.min()}..{labels.max()}')
        key = SPLIT_KEYS[self.split]
        ids = np.sort(read_mat_vector(split_path, key))
        if ids.min() < 1 or ids.max() > len(labels):
            raise ValueError(f'{split_path}: key {key!r} has image numbers outside '
                             f'1..{len(labels)} (the images of {labels_path})')
        if len(np.unique(ids)) != len(ids):
            raise ValueError(f'{split_path}: key {key!r} lists an image number twice')
        if self.modality != 'text':
            require_dir(osp.join(self.data_root, 'jpg'), 'Oxford-102 image folder')
        return [ImageRecord(int(i), osp.join(self.data_root, 'jpg', f'image_{i:05d}.jpg'),
                            int(labels[i - 1]) - 1) for i in ids]

    def load_captions(self, records: Sequence[ImageRecord]) -> list[list[str]]:
        root = resolve(self.data_root, self.caption_dir)
        require_dir(root, 'Oxford-102 caption folder (caption_dir)')
        return [read_caption_file(osp.join(root, class_folder(r.gt_label),
                                           f'image_{r.image_id:05d}.txt')) for r in records]
