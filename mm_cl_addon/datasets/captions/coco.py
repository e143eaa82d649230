"""MSCOCO 2017 images and captions, labelled with one object category per image.

COCO has no image labels, only object annotations; MM-Pick-a-back turns it into a
classification set by giving every image one category. Here that category is the one of
the image's first annotation by annotation id (MM-Pick-a-back used the largest box; the
first annotation needs no geometry and is stable), read from the official
``annotations/instances_{train,val}2017.json``, with captions from
``annotations/captions_{train,val}2017.json``.
"""
from __future__ import annotations

import os.path as osp
from collections.abc import Sequence

from mmpretrain.registry import DATASETS

from ...utils.arguments import check_ratio, check_seed
from ...utils.files import read_json
from .base import (
    CaptionedImageDataset,
    ImageRecord,
    carve_out,
    require_dir,
)

PERSON = 'person'
# which official part each split reads: val is carved out of train2017, test is val2017
SOURCE = {'train': 'train2017', 'val': 'train2017', 'test': 'val2017'}


def load_json(path: str) -> dict:
    """One official annotation file: a JSON object."""
    return read_json(path, 'COCO annotation file', expected=dict,
                     hint='unpack the official annotations_trainval2017.zip into data_root')


def entries(data: dict, path: str, key: str, fields: Sequence[str]) -> list[dict]:
    """``data[key]``: a list of objects that each have ``fields``; names the bad entry."""
    if key not in data:
        raise KeyError(f'{path}: has no key {key!r}')
    items = data[key]
    if not isinstance(items, list):
        raise ValueError(f'{path}: key {key!r} must be a list, got {type(items).__name__}')
    for position, item in enumerate(items):
        missing = [field for field in fields if not isinstance(item, dict) or field not in item]
        if missing:
            raise KeyError(f'{path}: {key}[{position}] has no {missing[0]!r}')
    return items


def category_table(categories: list[dict], exclude_person: bool) -> tuple[dict[int, int], list]:
    """Map category ids to contiguous indices in ascending id order, person left out or not."""
    kept = sorted((c for c in categories if not (exclude_person and c['name'] == PERSON)),
                  key=lambda c: c['id'])
    return {c['id']: index for index, c in enumerate(kept)}, [c['name'] for c in kept]


def first_categories(annotations: list[dict], path: str, image_ids: set[int],
                     category_ids: set[int]) -> dict[int, int]:
    """The category id of each annotated image's lowest-id annotation."""
    first: dict[int, tuple[int, int]] = {}
    for annotation in annotations:
        image_id, category = annotation['image_id'], annotation['category_id']
        if image_id not in image_ids:
            raise ValueError(f"{path}: annotation {annotation['id']} names image {image_id}, "
                             "which is not in 'images'")
        if category not in category_ids:
            raise ValueError(f"{path}: annotation {annotation['id']} names category "
                             f"{category}, which is not in 'categories'")
        if image_id not in first or annotation['id'] < first[image_id][0]:
            first[image_id] = (annotation['id'], category)
    return {image_id: category for image_id, (_, category) in first.items()}


@DATASETS.register_module()
class COCOCaptions(CaptionedImageDataset):
    """MSCOCO 2017 images and/or captions, one category label per image.

    Not mmpretrain's ``COCOCaption`` (a captioning task): here captions are inputs and the
    target is a category. Files under ``data_root``: ``annotations/instances_<part>.json``,
    ``annotations/captions_<part>.json`` and the image folder ``<part>/`` for ``<part>`` =
    ``train2017`` (splits ``train`` and ``val``) or ``val2017`` (split ``test``).

    Label: the category of the image's annotation with the lowest annotation id (crowd
    annotations count too); images without annotations are skipped. With
    ``exclude_person=True`` the category named ``'person'`` is dropped from the classes and
    images whose label would be person are skipped (their other objects do not relabel
    them). Category ids are mapped to 0..K-1 in ascending id order over the remaining
    categories of the file, so with the official 80 categories, ``exclude_person=True``
    gives 79 classes with bicycle = 0, and ``False`` gives 80 with person = 0.

    ``val`` holds ``val_ratio`` of every class of the labelled train2017 images, drawn with
    ``split_seed`` (see :func:`~.base.carve_out`), ``train`` the rest. Images are in
    ascending image id order; captions in annotation-id order.
    """

    def __init__(self, data_root: str, split: str = 'train', exclude_person: bool = True,
                 val_ratio: float = 0.1, split_seed: int = 0, **kwargs):
        self.exclude_person = bool(exclude_person)
        self.val_ratio = check_ratio('val_ratio', val_ratio)
        self.split_seed = check_seed('split_seed', split_seed)
        if split == 'val' and self.val_ratio == 0:
            raise ValueError("split 'val' is empty because val_ratio is 0; expected "
                             'val_ratio > 0 to load it')
        super().__init__(data_root=data_root, split=split, **kwargs)

    @property
    def part(self) -> str:
        return SOURCE[self.split]

    def load_records(self) -> list[ImageRecord]:
        path = osp.join(self.data_root, 'annotations', f'instances_{self.part}.json')
        data = load_json(path)
        images = entries(data, path, 'images', ('id', 'file_name'))
        categories = entries(data, path, 'categories', ('id', 'name'))
        annotations = entries(data, path, 'annotations', ('id', 'image_id', 'category_id'))
        to_index, names = category_table(categories, self.exclude_person)
        self.set_classes(names)
        files = {image['id']: image['file_name'] for image in images}
        first = first_categories(annotations, path, set(files), {c['id'] for c in categories})
        if self.modality != 'text':
            require_dir(osp.join(self.data_root, self.part), 'COCO image folder')
        records = [ImageRecord(image_id, osp.join(self.data_root, self.part, files[image_id]),
                               to_index[first[image_id]])
                   for image_id in sorted(first) if first[image_id] in to_index]
        if self.split == 'test':
            return records
        held = carve_out([r.gt_label for r in records], self.val_ratio, self.split_seed)
        return [r for r, out in zip(records, held) if out == (self.split == 'val')]

    def load_captions(self, records: Sequence[ImageRecord]) -> list[list[str]]:
        path = osp.join(self.data_root, 'annotations', f'captions_{self.part}.json')
        annotations = entries(load_json(path), path, 'annotations', ('id', 'image_id', 'caption'))
        captions: dict[int, list[tuple[int, str]]] = {}
        for annotation in annotations:
            text = annotation['caption']
            if not isinstance(text, str):
                raise ValueError(f"{path}: caption annotation {annotation['id']} is not a "
                                 'string')
            captions.setdefault(annotation['image_id'], []).append(
                (annotation['id'], text.strip()))
        result = []
        for record in records:
            texts = [text for _, text in sorted(captions.get(record.image_id, [])) if text]
            if not texts:
                raise ValueError(f'{path}: image {record.image_id} has no caption')
            result.append(texts)
        return result
