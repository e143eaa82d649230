"""CUB-200-2011 birds with the ten-captions-per-image descriptions of Reed et al. (CVPR 2016).

Read from the official release (``images.txt``, ``image_class_labels.txt``,
``train_test_split.txt``, ``classes.txt``, ``images/``) and the captions in the
``text_c10/<class folder>/<image name>.txt`` layout that the text-to-image community shares.
"""
from __future__ import annotations

import os.path as osp
from collections.abc import Sequence

from mmpretrain.registry import DATASETS

from ...utils.arguments import check_ratio, check_seed
from ...utils.files import read_text
from .base import (
    CaptionedImageDataset,
    ImageRecord,
    carve_out,
    read_caption_file,
    require_dir,
    resolve,
)

IMAGES_FILE = 'images.txt'
LABELS_FILE = 'image_class_labels.txt'
SPLIT_FILE = 'train_test_split.txt'
CLASSES_FILE = 'classes.txt'


def read_id_table(path: str) -> dict[int, str]:
    """A CUB ``<id> <value>`` file as ``{id: value}``, naming the line of any bad entry."""
    table: dict[int, str] = {}
    for number, line in enumerate(read_text(path, 'CUB-200-2011 file').splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split(maxsplit=1)
        if len(fields) != 2 or not fields[0].isdigit():
            raise ValueError(f'{path}: line {number} must be "<id> <value>", got '
                             f'{line.rstrip()!r}')
        key = int(fields[0])
        if key in table:
            raise ValueError(f'{path}: line {number} repeats the id {key}')
        table[key] = fields[1].strip()
    if not table:
        raise ValueError(f'{path}: is empty; expected one "<id> <value>" line per entry')
    return table


def _check_same_ids(tables: dict[str, dict[int, str]]) -> None:
    (first_path, first), *others = tables.items()
    for path, table in others:
        missing = sorted(set(first) ^ set(table))
        if missing:
            where = path if missing[0] in first else first_path
            raise ValueError(f'{where}: has no line for image id {missing[0]}; '
                             f'{first_path} and {path} must list the same image ids')


@DATASETS.register_module()
class CUBCaptions(CaptionedImageDataset):
    """CUB-200-2011 images and/or their captions, labelled by species (200 classes).

    ``data_root`` holds the official files; ``caption_dir`` (default ``'text_c10'``, joined
    to ``data_root`` when relative) holds ``<class folder>/<image name>.txt``, the class
    folder and image name being those of the image's ``images.txt`` entry.

    Labels are class ids minus one (``classes.txt`` must number its classes 1..K); class
    names are the ``classes.txt`` entries (``'001.Black_footed_Albatross'``...). Image ids
    are those of ``images.txt``.

    Splits: ``test`` is the official test set (``is_training_image`` = 0); ``train`` and
    ``val`` divide the official training set: ``val`` holds ``val_ratio`` of every class,
    drawn with ``split_seed`` (see :func:`~.base.carve_out`), ``train`` the rest.
    ``val_ratio=0`` gives the official training set as ``train``.
    """

    def __init__(self, data_root: str, split: str = 'train', caption_dir: str = 'text_c10',
                 val_ratio: float = 0.1, split_seed: int = 0, **kwargs):
        self.caption_dir = caption_dir
        self.val_ratio = check_ratio('val_ratio', val_ratio)
        self.split_seed = check_seed('split_seed', split_seed)
        if split == 'val' and self.val_ratio == 0:
            raise ValueError("split 'val' is empty because val_ratio is 0; expected "
                             'val_ratio > 0 to load it')
        super().__init__(data_root=data_root, split=split, **kwargs)

    def load_records(self) -> list[ImageRecord]:
        path = {name: osp.join(self.data_root, name)
                for name in (IMAGES_FILE, LABELS_FILE, SPLIT_FILE, CLASSES_FILE)}
        images = read_id_table(path[IMAGES_FILE])
        labels = read_id_table(path[LABELS_FILE])
        is_train = read_id_table(path[SPLIT_FILE])
        classes = read_id_table(path[CLASSES_FILE])
        _check_same_ids({path[IMAGES_FILE]: images, path[LABELS_FILE]: labels,
                         path[SPLIT_FILE]: is_train})
        if sorted(classes) != list(range(1, len(classes) + 1)):
            raise ValueError(f'{path[CLASSES_FILE]}: class ids must be 1..{len(classes)} '
                             'without gaps')
        self.set_classes([classes[key] for key in sorted(classes)])
        if self.modality != 'text':
            require_dir(osp.join(self.data_root, 'images'), 'CUB-200-2011 image folder')

        records = []
        for image_id in sorted(images):
            label, flag = labels[image_id], is_train[image_id]
            if not label.isdigit() or int(label) not in classes:
                raise ValueError(f'{path[LABELS_FILE]}: image id {image_id} has class '
                                 f'{label!r}; expected an id of {path[CLASSES_FILE]}')
            if flag not in ('0', '1'):
                raise ValueError(f'{path[SPLIT_FILE]}: image id {image_id} has '
                                 f'is_training_image={flag!r}; expected 0 or 1')
            if (flag == '1') == (self.split == 'test'):
                continue
            records.append(ImageRecord(image_id, osp.join(self.data_root, 'images',
                                                          images[image_id]), int(label) - 1))
        if self.split == 'test':
            return records
        held = carve_out([r.gt_label for r in records], self.val_ratio, self.split_seed)
        return [r for r, out in zip(records, held) if out == (self.split == 'val')]

    def load_captions(self, records: Sequence[ImageRecord]) -> list[list[str]]:
        root = resolve(self.data_root, self.caption_dir)
        require_dir(root, 'CUB caption folder (caption_dir)')
        images_dir = osp.join(self.data_root, 'images')
        return [read_caption_file(osp.join(
            root, osp.splitext(osp.relpath(r.img_path, images_dir))[0] + '.txt'))
            for r in records]
