"""A tiny mini-ImageNet folder in its real on-disk layouts, for the ns-ImageNet tests.

The CSV layout of Ravi & Larochelle: ``images/<wnid><8-digit index>.jpg`` and
``train.csv``/``val.csv``/``test.csv`` with header ``filename,label``, the classes split
between the three files as mini-ImageNet's 64/16/20 (here 2/1/1). The folder layout:
``<split>/<wnid>/<file>.jpg``. Importable by any test.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

WNIDS = ('n01532829', 'n01558993', 'n01855672', 'n01981276')  # real mini-ImageNet wnids
CLASS_SPLITS = ('train', 'train', 'val', 'test')  # which CSV/folder each class is listed in
PER_CLASS = 10  # -> 7 train, 1 val, 2 test per class and domain
SIZE = 16


def _image(label: int, index: int) -> Image.Image:
    """A 16 x 16 RGB image: a class colour plus per-image texture (noise must show on it)."""
    rng = np.random.default_rng(1000 * label + index)
    base = np.array([60 + 50 * label, 200 - 40 * label, 128], np.float64)
    pixels = base + rng.integers(-40, 41, size=(SIZE, SIZE, 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def write_mini_imagenet(root: Path, layout: str = 'csv', per_class: int = PER_CLASS
                        ) -> list[list[str]]:
    """Write the folder; returns each class's image ids (relative paths) in file order."""
    root.mkdir(parents=True, exist_ok=True)
    ids: list[list[str]] = []
    rows: dict[str, list[str]] = {'train': [], 'val': [], 'test': []}
    for label, (wnid, split) in enumerate(zip(WNIDS, CLASS_SPLITS)):
        ids.append([])
        for index in range(per_class):
            name = f'{wnid}{index + 1:08d}.jpg'
            if layout == 'csv':
                path = root / 'images' / name
                ids[-1].append(f'images/{name}')
                rows[split].append(f'{name},{wnid}')
            else:
                path = root / split / wnid / name
                ids[-1].append(f'{split}/{wnid}/{name}')
            path.parent.mkdir(parents=True, exist_ok=True)
            _image(label, index).save(path, format='JPEG', quality=95)
    if layout == 'csv':
        for split, lines in rows.items():
            (root / f'{split}.csv').write_text('filename,label\n' + ''.join(
                f'{line}\n' for line in lines))
    return ids
