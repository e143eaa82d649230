"""What the captioned image data sets (CUB, Oxford-102, COCO) share.

Each of them labels images with a class and describes them with several captions, so one
data set can serve image tasks, text tasks or paired tasks of a multimodal continual
sequence. A subclass only reads its own files into :class:`ImageRecord` objects and caption
lists; the choice of modality, the caption sampling and the validation carve-out live here,
so that the three behave the same way.
"""
from __future__ import annotations

import math
import numbers
import os
import os.path as osp
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from mmpretrain.datasets import BaseDataset

from ...utils.arguments import check_choice, check_seed

MODALITIES = ('image', 'text', 'paired')
CAPTION_MODES = ('sample', 'all')
SPLITS = ('train', 'val', 'test')


@dataclass(frozen=True)
class ImageRecord:
    """One labelled image: the data set's own id (stable across splits), path and label."""

    image_id: int
    img_path: str
    gt_label: int


def resolve(root: str, path: str) -> str:
    """``path`` joined to ``root`` unless it is absolute."""
    path = osp.expanduser(path)
    return path if osp.isabs(path) else osp.join(root, path)


def require_file(path: str, what: str) -> str:
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} not found: expected the file {path}')
    return path


def require_dir(path: str, what: str) -> str:
    if not osp.isdir(path):
        raise FileNotFoundError(f'{what} not found: expected the folder {path}')
    return path


def read_caption_file(path: str) -> list[str]:
    """The captions of one ``text_c10``-style file: one per line, blank lines skipped."""
    try:
        with open(path, 'rb') as handle:
            raw = handle.read()
    except FileNotFoundError as error:
        raise FileNotFoundError(f'caption file not found: expected {path} (one caption per '
                                'line, text_c10/<class folder>/<image name>.txt)') from error
    captions = []
    for number, line in enumerate(raw.splitlines(), start=1):
        try:
            text = line.decode('utf-8').strip()
        except UnicodeDecodeError as error:
            raise ValueError(f'{path}: line {number} is not valid UTF-8 ({error})') from error
        if text:
            captions.append(text)
    if not captions:
        raise ValueError(f'{path}: has no captions; expected one caption per line')
    return captions


def carve_out(labels: Sequence[int], ratio: float, seed: int) -> np.ndarray:
    """Boolean mask of held-out samples, stratified so that every class keeps its share.

    For each class ``c`` (ascending) with ``n_c`` samples, ``floor(ratio * n_c + 0.5)`` of
    them are drawn without replacement by one ``numpy.random.default_rng(seed)``.
    """
    labels = np.asarray(labels, dtype=np.int64)
    held = np.zeros(len(labels), dtype=bool)
    rng = np.random.default_rng(seed)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        count = math.floor(ratio * len(members) + 0.5)
        held[rng.choice(members, size=count, replace=False)] = True
    return held


class CaptionedImageDataset(BaseDataset):
    """Base of the captioned data sets: one data info per image, caption or pair.

    Args:
        data_root: the data set's folder (what the subclass's files are relative to).
        split: ``'train'``, ``'val'`` or ``'test'`` (each subclass says what they are).
        modality: ``'image'`` (``img_path``, no captions read), ``'text'`` (``text``) or
            ``'paired'`` (both).
        captions: for text and paired samples, ``'sample'`` picks one caption per image:
            index ``default_rng([caption_seed, image_id]).integers(num_captions)``, so an
            image's caption depends only on the seed and its id, never on the split or the
            other images; ``'all'`` gives one sample per caption, in file order.
        caption_seed: the seed of ``'sample'``.
        domain_id: written into every data info, so that ``TaskSplitDataset`` can tell
            modalities apart when image and text copies are concatenated.

    Every data info has ``gt_label``, ``image_id``, ``modality`` and ``domain_id``; image
    and paired ones ``img_path`` (read by ``LoadImageFromFile``); text and paired ones
    ``text`` (str) and ``caption_index`` (its line or position among the image's captions).
    """

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 modality: str = 'image',
                 captions: str = 'sample',
                 caption_seed: int = 0,
                 domain_id: int = 0,
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 lazy_init: bool = False,
                 indices: int | Sequence[int] | None = None,
                 serialize_data: bool = True,
                 metainfo: dict | None = None):
        if not isinstance(data_root, (str, os.PathLike)) or not os.fspath(data_root):
            raise ValueError(f'data_root must be a non-empty path, got {data_root!r}')
        self.split = check_choice('split', split, SPLITS)
        self.modality = check_choice('modality', modality, MODALITIES)
        self.captions = check_choice('captions', captions, CAPTION_MODES)
        self.caption_seed = check_seed('caption_seed', caption_seed)
        if not isinstance(domain_id, numbers.Integral) or domain_id < 0:
            raise ValueError(f'domain_id must be an int >= 0, got {domain_id!r}')
        self.domain_id = int(domain_id)
        super().__init__(ann_file='', metainfo=metainfo,
                         data_root=osp.expanduser(os.fspath(data_root)), pipeline=pipeline,
                         test_mode=test_mode, lazy_init=lazy_init, indices=indices,
                         serialize_data=serialize_data)

    def load_records(self) -> list[ImageRecord]:
        """The labelled images of ``self.split``, in a fixed order; sets ``classes``."""
        raise NotImplementedError

    def load_captions(self, records: Sequence[ImageRecord]) -> list[list[str]]:
        """The captions of each record (at least one each), in the data set's order."""
        raise NotImplementedError

    def set_classes(self, classes: Sequence[str]) -> None:
        """Class names are only known once the files are read."""
        self._metainfo['classes'] = tuple(classes)

    def load_data_list(self) -> list[dict]:
        records = self.load_records()
        if self.modality == 'image':
            return [self._info(record) for record in records]
        data_list = []
        for record, texts in zip(records, self.load_captions(records)):
            if self.captions == 'all':
                chosen = range(len(texts))
            else:
                rng = np.random.default_rng([self.caption_seed, record.image_id])
                chosen = [int(rng.integers(len(texts)))]
            data_list.extend(self._info(record, index, texts[index]) for index in chosen)
        return data_list

    def _info(self, record: ImageRecord, caption_index: int | None = None,
              text: str | None = None) -> dict:
        info = dict(gt_label=record.gt_label, image_id=record.image_id,
                    modality=self.modality, domain_id=self.domain_id)
        if self.modality != 'text':
            info['img_path'] = record.img_path
        if text is not None:
            info.update(text=text, caption_index=caption_index)
        return info

    def extra_repr(self) -> list[str]:
        return [f'Root of dataset: \t{self.data_root}', f'Split: \t{self.split}',
                f'Modality: \t{self.modality}']
