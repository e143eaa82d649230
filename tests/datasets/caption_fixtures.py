"""Tiny CUB-200-2011, Oxford-102 and MSCOCO 2017 trees in their exact on-disk formats.

Importable by any test (the multimodal pipeline tests reuse :func:`write_cub`). Each writer
returns what a reader should find, so tests compare against the truth rather than recompute.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.io import savemat

# The official 80 COCO categories as (id, name), ascending id (from instances_val2017.json).
COCO_CATEGORIES = (
    (1, 'person'), (2, 'bicycle'), (3, 'car'), (4, 'motorcycle'), (5, 'airplane'), (6, 'bus'),
    (7, 'train'), (8, 'truck'), (9, 'boat'), (10, 'traffic light'), (11, 'fire hydrant'),
    (13, 'stop sign'), (14, 'parking meter'), (15, 'bench'), (16, 'bird'), (17, 'cat'),
    (18, 'dog'), (19, 'horse'), (20, 'sheep'), (21, 'cow'), (22, 'elephant'), (23, 'bear'),
    (24, 'zebra'), (25, 'giraffe'), (27, 'backpack'), (28, 'umbrella'), (31, 'handbag'),
    (32, 'tie'), (33, 'suitcase'), (34, 'frisbee'), (35, 'skis'), (36, 'snowboard'),
    (37, 'sports ball'), (38, 'kite'), (39, 'baseball bat'), (40, 'baseball glove'),
    (41, 'skateboard'), (42, 'surfboard'), (43, 'tennis racket'), (44, 'bottle'),
    (46, 'wine glass'), (47, 'cup'), (48, 'fork'), (49, 'knife'), (50, 'spoon'), (51, 'bowl'),
    (52, 'banana'), (53, 'apple'), (54, 'sandwich'), (55, 'orange'), (56, 'broccoli'),
    (57, 'carrot'), (58, 'hot dog'), (59, 'pizza'), (60, 'donut'), (61, 'cake'), (62, 'chair'),
    (63, 'couch'), (64, 'potted plant'), (65, 'bed'), (67, 'dining table'), (70, 'toilet'),
    (72, 'tv'), (73, 'laptop'), (74, 'mouse'), (75, 'remote'), (76, 'keyboard'),
    (77, 'cell phone'), (78, 'microwave'), (79, 'oven'), (80, 'toaster'), (81, 'sink'),
    (82, 'refrigerator'), (84, 'book'), (85, 'clock'), (86, 'vase'), (87, 'scissors'),
    (88, 'teddy bear'), (89, 'hair drier'), (90, 'toothbrush'))
# The fixture's categories: real ids with gaps, listed out of order on purpose.
COCO_FIXTURE_CATEGORIES = ((18, 'dog'), (1, 'person'), (3, 'car'), (16, 'bird'), (2, 'bicycle'))


def write_jpeg(path: Path, size: int, seed: int) -> None:
    """A random RGB JPEG of ``size`` x ``size`` pixels."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, format='JPEG')


def caption_lines(image_id: int, count: int) -> list[str]:
    """Distinct captions (with a non-ASCII character, to exercise UTF-8) for one image."""
    return [f'image {image_id} caption {k}: a small bird with a crème breast'
            for k in range(count)]


def write_captions(path: Path, captions: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('\n'.join(captions) + '\n', encoding='utf-8')


@dataclass
class CubFixture:
    """What a CUB reader should find; labels are 0-based, keys are image ids."""

    root: Path
    class_names: list[str]
    labels: dict[int, int] = field(default_factory=dict)
    is_train: dict[int, bool] = field(default_factory=dict)
    paths: dict[int, str] = field(default_factory=dict)  # the images.txt entry
    captions: dict[int, list[str]] = field(default_factory=dict)


def write_cub(root: Path, num_classes: int = 4, images_per_class: int = 5,
              test_per_class: int = 2, captions_per_image: int = 10, size: int = 16,
              caption_dir: str = 'text_c10') -> CubFixture:
    """A CUB_200_2011 folder: the four index files, ``images/`` and ``<caption_dir>/``.

    Image ids run class by class as in the release; the last ``test_per_class`` images of
    each class are test images.
    """
    names = [f'{c + 1:03d}.Bird_{chr(ord("A") + c)}' for c in range(num_classes)]
    fixture = CubFixture(root, names)
    image_id = 0
    for label, folder in enumerate(names):
        for k in range(images_per_class):
            image_id += 1
            stem = f'{folder.split(".", 1)[1]}_{k:04d}_{image_id}'
            fixture.labels[image_id] = label
            fixture.is_train[image_id] = k < images_per_class - test_per_class
            fixture.paths[image_id] = f'{folder}/{stem}.jpg'
            fixture.captions[image_id] = caption_lines(image_id, captions_per_image)
            write_jpeg(root / 'images' / folder / f'{stem}.jpg', size, image_id)
            write_captions(root / caption_dir / folder / f'{stem}.txt',
                           fixture.captions[image_id])
    ids = sorted(fixture.labels)
    (root / 'images.txt').write_text(''.join(f'{i} {fixture.paths[i]}\n' for i in ids))
    (root / 'image_class_labels.txt').write_text(
        ''.join(f'{i} {fixture.labels[i] + 1}\n' for i in ids))
    (root / 'train_test_split.txt').write_text(
        ''.join(f'{i} {int(fixture.is_train[i])}\n' for i in ids))
    (root / 'classes.txt').write_text(''.join(f'{c + 1} {n}\n' for c, n in enumerate(names)))
    return fixture


@dataclass
class OxfordFixture:
    """What an Oxford-102 reader should find; labels are 0-based, keys are image numbers."""

    root: Path
    labels: dict[int, int]
    splits: dict[str, list[int]]
    captions: dict[int, list[str]]


def write_oxford102(root: Path, classes: tuple[int, ...] = (1, 5, 102),
                    per_split: tuple[int, int, int] = (1, 1, 2), captions_per_image: int = 10,
                    size: int = 16) -> OxfordFixture:
    """``jpg/``, ``imagelabels.mat``, ``setid.mat`` and ``text_c10/class_XXXXX/``.

    ``classes`` are 1-based labels; images are numbered with the classes interleaved, and
    each class gives ``per_split`` images to trnid, valid and tstid.
    """
    count = len(classes) * sum(per_split)
    labels_1based = [classes[i % len(classes)] for i in range(count)]
    splits: dict[str, list[int]] = {'train': [], 'val': [], 'test': []}
    seen = dict.fromkeys(classes, 0)
    for number, label in enumerate(labels_1based, start=1):
        rank, seen[label] = seen[label], seen[label] + 1
        split = 'train' if rank < per_split[0] else 'val' if rank < sum(per_split[:2]) else 'test'
        splits[split].append(number)
    captions = {n: caption_lines(n, captions_per_image) for n in range(1, count + 1)}
    for number, label in enumerate(labels_1based, start=1):
        write_jpeg(root / 'jpg' / f'image_{number:05d}.jpg', size, number)
        write_captions(root / 'text_c10' / f'class_{label:05d}' / f'image_{number:05d}.txt',
                       captions[number])
    # MATLAB row vectors, as in the release: labels as double, split ids as double too
    savemat(root / 'imagelabels.mat', {'labels': np.array([labels_1based], dtype=np.float64)})
    savemat(root / 'setid.mat', {key: np.array([splits[name][::-1]], dtype=np.float64)
                                 for name, key in (('train', 'trnid'), ('val', 'valid'),
                                                   ('test', 'tstid'))})
    return OxfordFixture(root, {n: label - 1 for n, label in enumerate(labels_1based, 1)},
                         splits, captions)


@dataclass
class CocoPart:
    """One of train2017/val2017: image id -> category id of its lowest-id annotation."""

    first_category: dict[int, int]
    unannotated: list[int]
    captions: dict[int, list[str]]


def write_coco(root: Path, images_per_category: dict[str, int] | None = None,
               unannotated: int = 2, captions_per_image: int = 5, size: int = 16
               ) -> dict[str, CocoPart]:
    """``annotations/{instances,captions}_{train,val}2017.json`` and the two image folders.

    Every category of :data:`COCO_FIXTURE_CATEGORIES` is the first annotation of
    ``images_per_category[part]`` images; each such image also gets a second annotation with
    a *lower* position in the JSON list but a *higher* id, of another category, so a reader
    that takes list order instead of id order gets the wrong label. Captions are written
    newest id first for the same reason.
    """
    images_per_category = images_per_category or {'train2017': 10, 'val2017': 2}
    ids = [category_id for category_id, _ in COCO_FIXTURE_CATEGORIES]
    categories = [dict(id=i, name=n, supercategory='thing') for i, n in COCO_FIXTURE_CATEGORIES]
    parts = {}
    image_id = 1000
    for part, per_category in images_per_category.items():
        images, annotations, caption_annotations = [], [], []
        truth = CocoPart({}, [], {})
        for position in range(per_category * len(ids) + unannotated):
            image_id += 1
            file_name = f'{image_id:012d}.jpg'
            images.append(dict(id=image_id, file_name=file_name, height=size, width=size))
            write_jpeg(root / part / file_name, size, image_id)
            if position < per_category * len(ids):
                first = ids[position % len(ids)]
                other = ids[(position + 1) % len(ids)]
                annotations.append(dict(id=10 * image_id + 5, image_id=image_id,
                                        category_id=other, iscrowd=0))
                annotations.append(dict(id=10 * image_id, image_id=image_id,
                                        category_id=first, iscrowd=0))
                truth.first_category[image_id] = first
            else:
                truth.unannotated.append(image_id)
            truth.captions[image_id] = [f'a photo {image_id} with thing {k}'
                                        for k in range(captions_per_image)]
            caption_annotations.extend(
                dict(id=10 * image_id + k, image_id=image_id, caption=f' {text} ')
                for k, text in reversed(list(enumerate(truth.captions[image_id]))))
        info = dict(description='fixture', year=2017)
        write_json(root / 'annotations' / f'instances_{part}.json',
                   dict(info=info, images=images, annotations=annotations,
                        categories=categories))
        write_json(root / 'annotations' / f'captions_{part}.json',
                   dict(info=info, images=images, annotations=caption_annotations))
        parts[part] = truth
    return parts


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding='utf-8')
