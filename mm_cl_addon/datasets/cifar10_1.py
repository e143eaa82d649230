"""CIFAR-10.1 (Recht et al., 2018): a new CIFAR-10 test set, read from its official files.

It was collected to be drawn from the same distribution as CIFAR-10's test set, yet CIFAR-10
models lose several points of accuracy on it, so it measures robustness to a small, natural
distribution shift. Labels use CIFAR-10's class order, so CIFAR-10 models apply unchanged.
"""
from __future__ import annotations

import os.path as osp
from collections.abc import Sequence

import numpy as np
from mmpretrain.datasets import BaseDataset
from mmpretrain.datasets.categories import CIFAR10_CATEGORIES
from mmpretrain.registry import DATASETS

from ..utils.files import read_npy

VERSIONS = ('v4', 'v6')
IMAGE_SHAPE = (32, 32, 3)
OFFICIAL_FILES = 'get it from the datasets/ folder of github.com/modestyachts/CIFAR-10.1'


def load_cifar10_1(data_root: str, version: str) -> tuple[np.ndarray, np.ndarray]:
    """Images (N x 32 x 32 x 3 uint8, RGB) and labels (N, int64), checked against the format."""
    data_path = osp.join(data_root, f'cifar10.1_{version}_data.npy')
    labels_path = osp.join(data_root, f'cifar10.1_{version}_labels.npy')
    images = read_npy(data_path, 'CIFAR-10.1 images', hint=OFFICIAL_FILES)
    labels = read_npy(labels_path, 'CIFAR-10.1 labels', hint=OFFICIAL_FILES)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != IMAGE_SHAPE:
        raise ValueError(f'{data_path}: expected uint8 images of shape (N, 32, 32, 3), '
                         f'got {images.dtype} of shape {images.shape}')
    if not np.issubdtype(labels.dtype, np.integer) or labels.ndim != 1:
        raise ValueError(f'{labels_path}: expected a 1-D integer array, '
                         f'got {labels.dtype} of shape {labels.shape}')
    if len(labels) != len(images):
        raise ValueError(f'{labels_path}: has {len(labels)} labels but {data_path} has '
                         f'{len(images)} images')
    num_classes = len(CIFAR10_CATEGORIES)
    outside = labels[(labels < 0) | (labels >= num_classes)]
    if outside.size:
        raise ValueError(f'{labels_path}: labels must lie in 0..{num_classes - 1}, '
                         f'found {sorted(set(outside.tolist()))}')
    return images, labels.astype(np.int64)


@DATASETS.register_module()
class CIFAR10_1(BaseDataset):
    """CIFAR-10.1 from ``<data_root>/cifar10.1_<version>_{data,labels}.npy`` (no download).

    Samples look like mmpretrain's ``CIFAR10`` ones (``img`` as an HxWx3 uint8 RGB array and
    ``gt_label``), plus a stable id ``img_path='cifar10.1_<version>/<index>'``, so CIFAR-10
    test pipelines and data preprocessors can be reused as they are.
    """

    METAINFO = {'classes': CIFAR10_CATEGORIES}

    def __init__(self,
                 data_root: str,
                 version: str = 'v6',
                 pipeline: Sequence = (),
                 test_mode: bool = True,
                 lazy_init: bool = False,
                 indices: int | Sequence[int] | None = None,
                 serialize_data: bool = True,
                 metainfo: dict | None = None):
        if version not in VERSIONS:
            raise ValueError(f'version must be one of {VERSIONS}, got {version!r}')
        if not isinstance(data_root, str) or not data_root:
            raise ValueError(f'data_root must be a non-empty path, got {data_root!r}')
        self.version = version
        super().__init__(ann_file='', metainfo=metainfo, data_root=data_root, pipeline=pipeline,
                         test_mode=test_mode, lazy_init=lazy_init, indices=indices,
                         serialize_data=serialize_data)

    def load_data_list(self) -> list[dict]:
        """One data info per image, in file order."""
        images, labels = load_cifar10_1(osp.expanduser(self.data_root), self.version)
        return [dict(img=image, gt_label=int(label), img_path=f'cifar10.1_{self.version}/{i}')
                for i, (image, label) in enumerate(zip(images, labels))]
