"""ns-ImageNet: mini-ImageNet under three noise domains, streamed as 300 distributions.

The non-stationary ImageNet stream of the Memory Head (Tiezzi et al., CoLLAs 2024) and
Continual Neural Computation papers: the 100 classes of mini-ImageNet, each seen in three
domains (the clean images, then weak and strong Gaussian pixel noise), 100 x 3 = 300
distributions streamed class-domain-incrementally (domain 0 of classes 0..99, then domain
1, then domain 2), online, on features of a frozen pre-trained backbone computed once.
Values and sources are in ``docs/memory_head_data.md`` (section *ns-ImageNet*).

This module reads the mini-ImageNet folder (:func:`read_mini_imagenet`), writes the noisy
domains to disk once (:func:`cache_noise_domains`), lists every split's images in stream
order (:func:`stream_images`), reads and writes the per-split feature files
(:func:`save_features`, :func:`load_features`) and gives the training configs the
:class:`NSImageNetDataset`. The stream order and the validation cut are the 2D streams' own
(:func:`.points2d.class_domain_order`, :func:`.points2d.cut_validation`). The features
themselves are computed by :mod:`.ns_imagenet_features` (``tools/memory_head/cache_features.py``).
"""
from __future__ import annotations

import csv
import io
import json
import os
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from mmengine.utils import ProgressBar
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS
from PIL import Image

from ..utils.arguments import check_choice, check_seed
from ..utils.files import InputFileError, read_npz, read_text
from ..utils.io import atomic_write
from .points2d import StreamSplit, class_domain_order, cut_validation

SPLITS = ('train', 'val', 'test')  # the stream splits, cut from every class
LAYOUTS = ('auto', 'csv', 'folders')
IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp')
FEATURE_FORMAT = 'mm_cl_addon.ns_imagenet_features/1'
FEATURE_KEYS = ('features', 'labels', 'domains', 'image_ids', 'classes', 'meta')


@dataclass(frozen=True)
class NoiseDomain:
    """``x <- clip(x + noise_factor * N(0, sigma^2), 0, 1)`` on pixels in [0, 1]."""

    name: str
    noise_factor: float
    sigma: float

    @property
    def std(self) -> float:
        """The standard deviation of the added noise, in [0, 1] pixel units."""
        return self.noise_factor * self.sigma


# The reference's ``perturbation_params`` (sailab-code/memory_head, ocdi/main.py): None, then
# gaussian (noise_factor 0.25, sig 0.1), then gaussian (noise_factor 0.5, sig 0.2).
DOMAINS = (NoiseDomain('clean', 0.0, 0.0),
           NoiseDomain('gaussian-0.25x0.1', 0.25, 0.1),
           NoiseDomain('gaussian-0.5x0.2', 0.5, 0.2))


@dataclass(frozen=True)
class MiniImageNet:
    """A mini-ImageNet folder: its classes (wnids) in order and each class's images.

    ``images[c]`` lists ``(image_id, path)`` of class ``c`` in file order; ``image_id`` is
    the path relative to ``root`` (``images/<file>`` or ``<split>/<wnid>/<file>``).
    """

    root: Path
    layout: str
    classes: tuple[str, ...]
    images: tuple[tuple[tuple[str, Path], ...], ...]


def _read_csv_split(root: Path, name: str) -> list[tuple[str, str, int]]:
    """``(filename, wnid, line)`` rows of ``<root>/<name>.csv`` (header ``filename,label``)."""
    path, what = root / f'{name}.csv', 'mini-ImageNet split file'
    text = read_text(path, what, hint='the CSV layout has images/ and train.csv, val.csv, '
                                      'test.csv (filename,label)')
    try:
        rows = list(csv.reader(io.StringIO(text, newline='')))
    except csv.Error as error:
        raise InputFileError(path, what, f'is not valid CSV ({error})') from error
    if [cell.strip() for cell in rows[0]] != ['filename', 'label']:  # read_text: not empty
        raise ValueError(f'{path}: line 1 must be the header "filename,label", got '
                         f'{",".join(rows[0])!r}')
    out = []
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            raise ValueError(f'{path}: line {line} must be "<filename>,<wnid>", got {row!r}')
        out.append((row[0].strip(), row[1].strip(), line))
    if not out:
        raise ValueError(f'{path} lists no images')
    return out


def _read_csv_layout(root: Path) -> tuple[list[str], dict[str, list[tuple[str, Path]]]]:
    classes: list[str] = []
    images: dict[str, list[tuple[str, Path]]] = {}
    for name in SPLITS:
        csv_path = root / f'{name}.csv'
        for filename, wnid, line in _read_csv_split(root, name):
            path = root / 'images' / filename
            if not path.is_file():
                raise FileNotFoundError(f'image {path} (listed on line {line} of {csv_path}) '
                                        'does not exist')
            if wnid not in images:
                classes.append(wnid)
                images[wnid] = []
            images[wnid].append((f'images/{filename}', path))
    return classes, images


def _read_folder_layout(root: Path) -> tuple[list[str], dict[str, list[tuple[str, Path]]]]:
    classes: list[str] = []
    images: dict[str, list[tuple[str, Path]]] = {}
    for name in SPLITS:
        folder = root / name
        if not folder.is_dir():
            raise FileNotFoundError(f'mini-ImageNet folder {folder} does not exist; the folder '
                                    'layout has train/, val/ and test/, each <wnid>/<image>')
        for class_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
            wnid = class_dir.name
            if wnid in images:
                raise ValueError(f'class {wnid} is in two split folders (again in {class_dir})')
            files = sorted(p for p in class_dir.iterdir()
                           if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
            if not files:
                raise ValueError(f'class folder {class_dir} holds no images '
                                 f'({", ".join(IMAGE_SUFFIXES)})')
            classes.append(wnid)
            images[wnid] = [(f'{name}/{wnid}/{p.name}', p) for p in files]
    return classes, images


def read_mini_imagenet(root: str | os.PathLike, layout: str = 'auto') -> MiniImageNet:
    """Read a mini-ImageNet folder in one of two layouts.

    * ``csv`` (Ravi & Larochelle's split files): ``<root>/images/<file>`` and
      ``<root>/{train,val,test}.csv`` with header ``filename,label`` (label = wnid).
    * ``folders``: ``<root>/{train,val,test}/<wnid>/<image>``.

    ``auto`` picks ``csv`` when ``train.csv`` exists, else ``folders``. The three files or
    folders are mini-ImageNet's *class* splits (64/16/20 classes); all 100 classes are used,
    numbered in order of first appearance (train, then val, then test, as the reference stacks
    its three pickles), each class's images in file order (CSV row order, or sorted names).
    """
    root = Path(root)
    check_choice('layout', layout, LAYOUTS)
    if not root.is_dir():
        raise FileNotFoundError(f'mini-ImageNet root {root} is not a folder')
    if layout == 'auto':
        layout = 'csv' if (root / 'train.csv').is_file() else 'folders'
    read = _read_csv_layout if layout == 'csv' else _read_folder_layout
    classes, images = read(root)
    for wnid in classes:
        if len(images[wnid]) < 10:
            raise ValueError(f'{root}: class {wnid} has {len(images[wnid])} images; the 70/10/20 '
                             'train/val/test cut needs at least 10 per class')
    return MiniImageNet(root, layout, tuple(classes), tuple(tuple(images[w]) for w in classes))


def split_ranges(count: int) -> dict[str, range]:
    """Positions of a class's images in each stream split: the first 70% train, the next 10%
    val, the rest (20%) test, as the reference's ``get_train_val_test`` (600 -> 420/60/120)."""
    train, val = count * 7 // 10, count // 10
    return {'train': range(train), 'val': range(train, train + val),
            'test': range(train + val, count)}


def _image_seed(seed: int, domain: int, image_id: str) -> list[int]:
    """The noise of one image depends on the seed, the domain and the image id only (not on
    the order images are visited), so the cache can be filled in any order or in parts."""
    return [seed, domain, zlib.crc32(image_id.encode('utf-8'))]


def add_noise(pixels: np.ndarray, domain: int, seed: int, image_id: str) -> np.ndarray:
    """The uint8 image ``pixels`` (H, W, C) in noise domain ``domain`` (0 = unchanged).

    Pixels are scaled to [0, 1], get ``noise_factor * N(0, sigma^2)`` and are clipped to
    [0, 1]; back to uint8 by truncation, as the reference's ``(img * 255).astype(uint8)``.
    """
    spec = DOMAINS[domain]
    if spec.std == 0:
        return pixels
    rng = np.random.default_rng(_image_seed(seed, domain, image_id))
    noisy = pixels.astype(np.float64) / 255.0
    noisy = noisy + spec.noise_factor * rng.normal(0.0, spec.sigma, size=pixels.shape)
    return (np.clip(noisy, 0.0, 1.0) * 255.0).astype(np.uint8)


def noise_folder(noise_dir: str | os.PathLike, domain: int, seed: int) -> Path:
    """``<noise_dir>/<domain name>_seed<seed>``: another seed never reuses a cached image."""
    return Path(noise_dir) / f'{DOMAINS[domain].name}_seed{seed}'


def image_path(mini: MiniImageNet, noise_dir: str | os.PathLike, domain: int, seed: int,
               image_id: str, source: Path) -> Path:
    """Where the image of one domain is read: the original for domain 0, else the cached PNG
    ``<noise folder>/<image id with .png>`` (PNG: lossless, so the noise is kept exactly)."""
    if domain == 0:
        return source
    return noise_folder(noise_dir, domain, seed) / Path(image_id).with_suffix('.png')


def _read_rgb(path: Path) -> np.ndarray:
    try:
        with Image.open(path) as image:
            return np.asarray(image.convert('RGB'))
    except OSError as error:
        raise ValueError(f'image {path} cannot be read: {error}') from error


def cache_noise_domains(mini: MiniImageNet, noise_dir: str | os.PathLike, seed: int = 0,
                        progress: bool = True) -> dict[str, int]:
    """Write every image of every noisy domain as a PNG under ``noise_dir``, once.

    An image whose PNG exists is not redone, so a second run (or one resumed after an
    interruption: each PNG is written to a temporary file and renamed) reads the cache.
    Returns ``dict(written=..., reused=...)``.
    """
    seed = check_seed('seed', seed)
    todo = [(domain, image_id, source) for domain in range(1, len(DOMAINS))
            for images in mini.images for image_id, source in images]
    counts = dict(written=0, reused=0)
    bar = ProgressBar(len(todo)) if progress and todo else None
    for domain, image_id, source in todo:
        target = image_path(mini, noise_dir, domain, seed, image_id, source)
        if target.is_file():
            counts['reused'] += 1
        else:
            noisy = add_noise(_read_rgb(source), domain, seed, image_id)
            with atomic_write(target, 'wb') as handle:
                Image.fromarray(noisy).save(handle, format='PNG')
            counts['written'] += 1
        if bar is not None:
            bar.update()
    if bar is not None:
        print(flush=True)
    return counts


@dataclass(frozen=True)
class StreamImage:
    """One sample of a stream split: the file to read, its id, class and noise domain."""

    path: Path
    image_id: str
    label: int
    domain: int


def stream_images(mini: MiniImageNet, split: str, noise_dir: str | os.PathLike, seed: int = 0
                  ) -> list[StreamImage]:
    """Every image of one stream split in every domain, in stream order (domain 0 of classes
    0..C-1, then domain 1, ...; file order inside a class): the order of the feature files."""
    check_choice('split', split, SPLITS)
    seed = check_seed('seed', seed)
    rows = [(domain, label, image_id, source) for domain in range(len(DOMAINS))
            for label, images in enumerate(mini.images)
            for image_id, source in (images[i] for i in split_ranges(len(images))[split])]
    labels = np.array([row[1] for row in rows], np.int64)
    domains = np.array([row[0] for row in rows], np.int64)
    permutation, _ = class_domain_order(labels, domains)
    return [StreamImage(image_path(mini, noise_dir, d, seed, image_id, source), image_id, y, d)
            for d, y, image_id, source in (rows[i] for i in permutation)]


# ---------------------------------------------------------------------------- feature files
def feature_file(features_dir: str | os.PathLike, split: str) -> Path:
    return Path(features_dir) / f'{check_choice("split", split, SPLITS)}.npz'


def save_features(path: str | os.PathLike, features: np.ndarray, labels: np.ndarray,
                  domains: np.ndarray, image_ids: Sequence[str], classes: Sequence[str],
                  meta: Mapping) -> None:
    """One split's features, in stream order, to an uncompressed ``.npz`` (no pickled
    objects), atomically. ``meta`` (JSON) says how they were made."""
    meta = dict(meta, format=FEATURE_FORMAT)
    with atomic_write(path, 'wb') as handle:
        np.savez(handle, features=np.asarray(features, np.float32),
                 labels=np.asarray(labels, np.int64), domains=np.asarray(domains, np.int64),
                 image_ids=np.asarray(list(image_ids), dtype=np.str_),
                 classes=np.asarray(list(classes), dtype=np.str_),
                 meta=np.str_(json.dumps(meta, sort_keys=True)))


@dataclass(frozen=True)
class FeatureSplit:
    features: np.ndarray  # float32 [N, D]
    labels: np.ndarray  # int64 [N], class index into ``classes``
    domains: np.ndarray  # int64 [N], noise domain 0..2
    image_ids: np.ndarray  # str [N], the image's path relative to the mini-ImageNet root
    classes: tuple[str, ...]  # wnids
    meta: dict


def load_features(path: str | os.PathLike) -> FeatureSplit:
    """Read a file of :func:`save_features`; errors name the file and the key at fault."""
    path = os.fspath(path)
    arrays = read_npz(path, 'ns-ImageNet feature file',
                      hint='write it with python tools/memory_head/cache_features.py '
                           'FEATURE_CONFIG --mini-imagenet DIR --noise-dir DIR --out-dir '
                           f'{os.path.dirname(path) or "."} --checkpoint FILE')
    missing = [key for key in FEATURE_KEYS if key not in arrays]
    if missing:
        raise KeyError(f'{path}: missing keys {missing}; an ns-ImageNet feature file has '
                       f'{", ".join(FEATURE_KEYS)}')
    try:
        meta = json.loads(str(arrays['meta']))
    except json.JSONDecodeError as error:
        raise ValueError(f'{path}: key meta is not JSON: {error}') from error
    if not isinstance(meta, dict) or meta.get('format') != FEATURE_FORMAT:
        raise ValueError(f'{path}: key meta must name format {FEATURE_FORMAT!r}')
    features, classes = arrays['features'], tuple(str(c) for c in arrays['classes'])
    if features.ndim != 2 or not np.issubdtype(features.dtype, np.floating):
        raise ValueError(f'{path}: key features must be a float array [N, D], got '
                         f'{features.dtype} {features.shape}')
    if not np.isfinite(features).all():
        raise ValueError(f'{path}: key features holds NaN or Inf; recompute it with '
                         'tools/memory_head/cache_features.py')
    for key, kind in (('labels', np.integer), ('domains', np.integer), ('image_ids', np.str_)):
        value = arrays[key]
        if value.shape != (len(features),) or not np.issubdtype(value.dtype, kind):
            raise ValueError(f'{path}: key {key} must be a {kind.__name__} array of shape '
                             f'[{len(features)}] (one per row of features), got {value.dtype} '
                             f'{value.shape}')
    labels, domains = arrays['labels'].astype(np.int64), arrays['domains'].astype(np.int64)
    if len(labels) and (labels.min() < 0 or labels.max() >= len(classes)):
        raise ValueError(f'{path}: key labels has values outside 0..{len(classes) - 1}')
    if len(domains) and (domains.min() < 0 or domains.max() >= len(DOMAINS)):
        raise ValueError(f'{path}: key domains has values outside 0..{len(DOMAINS) - 1}')
    return FeatureSplit(features, labels, domains, arrays['image_ids'], classes, meta)


def feature_stream(path: str | os.PathLike, split: str, cut_val: bool = True
                   ) -> tuple[StreamSplit, FeatureSplit, np.ndarray]:
    """One split's stream: ``(stream, file contents, row of the file for each stream row)``.

    Ordered class-domain-incrementally with the 2D streams' :func:`class_domain_order`
    (the file is already in that order; the stable sort leaves it so); with ``cut_val`` the
    validation stream keeps the first half of its distributions (:func:`cut_validation`:
    domain 0 and classes 0..49 of domain 1), as the reference keeps the first half of it.
    """
    contents = load_features(path)
    permutation, segments = class_domain_order(contents.labels, contents.domains)
    stream = StreamSplit(contents.features[permutation], contents.labels[permutation],
                         contents.domains[permutation], segments)
    if split == 'val' and cut_val and len(stream):
        stream = cut_validation(stream, 'cdi')  # keeps a prefix: segments are non-decreasing
        permutation = permutation[:len(stream)]
    return stream, contents, permutation


@DATASETS.register_module()
class NSImageNetDataset(BaseDataset):
    """One split of the ns-ImageNet feature stream, in stream order.

    Reads ``<feature_dir>/<split>.npz`` (``feature_dir`` joined to ``data_root`` when
    relative), written by ``tools/memory_head/cache_features.py``. Each sample has ``img``:
    the feature vector as float32 ``(1, 1, D)``, so ``PackInputs`` gives ``[D, 1, 1]`` and
    ``Flatten``/``MLP`` hand ``[B, D]`` to the head, as for the 2D streams; ``gt_label``;
    ``domain_id`` = the distribution (segment) ``100 x domain + class``, which
    ``TaskSplitDataset(scenario='class-domain', tasks=1)`` turns into one task per
    distribution; ``noise_domain`` (0 clean, 1, 2) and ``img_path = <domain>/<image id>``.
    ``metainfo['classes']`` are the wnids. With ``cut_val`` (default) the val split keeps the
    first half of its distributions.
    """

    def __init__(self,
                 feature_dir: str,
                 split: str = 'train',
                 data_root: str = '',
                 cut_val: bool = True,
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 lazy_init: bool = False,
                 indices: int | Sequence[int] | None = None,
                 serialize_data: bool = True,
                 metainfo: dict | None = None):
        self.split = check_choice('split', split, SPLITS)
        self.cut_val = bool(cut_val)
        folder = feature_dir if os.path.isabs(feature_dir) else os.path.join(data_root,
                                                                             feature_dir)
        path = str(feature_file(folder, self.split))
        self._stream = feature_stream(path, self.split, self.cut_val)
        metainfo = {'classes': self._stream[1].classes, **(metainfo or {})}
        super().__init__(ann_file=path, metainfo=metainfo,
                         data_root='', pipeline=pipeline, test_mode=test_mode,
                         lazy_init=lazy_init, indices=indices, serialize_data=serialize_data)

    def load_data_list(self) -> list[dict]:
        if self._stream is None:
            self._stream = feature_stream(self.ann_file, self.split, self.cut_val)
        stream, contents, rows = self._stream
        features = stream.x.astype(np.float32).reshape(len(stream), 1, 1, -1)
        infos = [dict(img=features[i], gt_label=int(stream.y[i]),
                      domain_id=int(stream.segment[i]), noise_domain=int(stream.mode[i]),
                      img_path=f'{DOMAINS[int(stream.mode[i])].name}/'
                               f'{contents.image_ids[rows[i]]}')
                 for i in range(len(stream))]
        self._stream = None  # the data list holds everything now
        return infos
