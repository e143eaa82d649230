"""scikit-learn's bundled 8x8 digits as an mmpretrain data set.

The digits ship inside scikit-learn, so every test, example and CI run has real
images without a download. Splits are stratified and drawn from a seed, and
domain-incremental variants (rotated or pixel-permuted copies) are generated on
the fly, so one small data set serves class- and domain-incremental experiments.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

from ..utils.arguments import check_ratio, check_seed, is_int

SPLITS = ('train', 'val', 'test', 'all')
DOMAIN_KINDS = ('rotation', 'permutation')
_RAW_MAX = 16  # load_digits pixel values run from 0 to 16


@dataclass(frozen=True)
class DomainShift:
    """Which domain-incremental variant to build: ``kind``, ``num_domains``, ``seed``."""

    kind: str
    num_domains: int
    seed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in DOMAIN_KINDS:
            raise ValueError(f'domains.kind must be one of {DOMAIN_KINDS}, got {self.kind!r}')
        if not is_int(self.num_domains) or self.num_domains < 1:
            raise ValueError(
                f'domains.num_domains must be an int >= 1, got {self.num_domains!r}')
        check_seed('domains.seed', self.seed)

    @classmethod
    def from_cfg(cls, cfg: Mapping) -> DomainShift:
        """Build from a config dict, naming any key that is unknown or missing."""
        if not isinstance(cfg, Mapping):
            raise ValueError(f'domains must be None or a dict, got {type(cfg).__name__}')
        unknown = sorted(set(cfg) - {'kind', 'num_domains', 'seed'})
        if unknown:
            raise KeyError(f'domains has unknown keys {unknown}; '
                           "expected 'kind', 'num_domains' and optionally 'seed'")
        for key in ('kind', 'num_domains'):
            if key not in cfg:
                raise KeyError(f'domains is missing the key {key!r}')
        return cls(**cfg)

    def transforms(self) -> list[np.ndarray | float]:
        """Per-domain parameters: rotation angles in degrees, or flat pixel permutations."""
        rng = np.random.default_rng(self.seed)
        if self.kind == 'rotation':
            angles = rng.uniform(0.0, 360.0, size=self.num_domains - 1)
            return [0.0, *(float(angle) for angle in angles)]
        size = 8 * 8
        return [np.arange(size), *(rng.permutation(size) for _ in range(self.num_domains - 1))]

    def apply(self, img: np.ndarray, domain: int, params: np.ndarray | float) -> np.ndarray:
        """Transform one uint8 image for ``domain``; domain 0 is returned unchanged."""
        if domain == 0:
            return img
        if self.kind == 'permutation':
            return img.reshape(-1)[params].reshape(img.shape)
        from scipy import ndimage  # here: `import mm_cl_addon` does not load scipy
        rotated = ndimage.rotate(img.astype(np.float64), float(params), reshape=False, order=1,
                                 mode='constant', cval=0.0)
        return np.clip(np.rint(rotated), 0, 255).astype(np.uint8)


@lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    """All 1,797 images as uint8 0..255 (rounded from 0..16) and their labels, read once."""
    from sklearn.datasets import load_digits  # here: `import mm_cl_addon` does not load sklearn
    bunch = load_digits()
    images = np.rint(bunch.images * (255 / _RAW_MAX)).astype(np.uint8)
    labels = bunch.target.astype(np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def _holdout(indices: np.ndarray, labels: np.ndarray, ratio: float, seed: int
             ) -> tuple[np.ndarray, np.ndarray]:
    """Split ``indices`` into (kept, held out); ``ratio`` is the held-out share."""
    if ratio == 0:
        return indices, indices[:0]
    from sklearn.model_selection import train_test_split
    kept, held = train_test_split(indices, test_size=ratio, stratify=labels[indices],
                                  random_state=seed)
    return kept, held


def split_indices(labels: np.ndarray, seed: int, val_ratio: float, test_ratio: float
                  ) -> dict[str, np.ndarray]:
    """Stratified, seeded, disjoint train/val/test index arrays (sorted) covering ``labels``."""
    everything = np.arange(len(labels))
    rest, test = _holdout(everything, labels, test_ratio, seed)
    train, val = _holdout(rest, labels, val_ratio / (1 - test_ratio), seed)
    return {'train': np.sort(train), 'val': np.sort(val), 'test': np.sort(test),
            'all': everything}


@DATASETS.register_module()
class DigitsDataset(BaseDataset):
    """The 8x8 digits bundled with scikit-learn; the package's default data set (no download).

    Each sample has ``img`` (uint8 8x8, 0..255), ``gt_label``, ``domain_id`` and a stable id
    ``img_path='digits/<index>'`` (``'digits/<index>@d<domain>'`` with domains), where
    ``<index>`` is the position in ``load_digits()`` order.

    Splits: test, then val, are held out with stratification by class from ``seed``
    (``val_ratio`` and ``test_ratio`` are shares of all 1,797 samples; train gets the rest).

    ``domains=dict(kind=..., num_domains=N, seed=S)`` repeats every sample once per domain.
    Domain 0 is always the identity. For ``'rotation'``, domains 1..N-1 rotate by angles drawn
    uniformly from [0, 360) with ``numpy.random.default_rng(S)`` (random rather than evenly
    spaced, so that neighbouring domains are not systematically similar); the 8x8 image is
    rotated in place with bilinear interpolation and zero fill. For ``'permutation'``,
    domains 1..N-1 apply fixed pixel permutations drawn from the same generator. The same
    ``S`` always gives the same transforms, independently of the split ``seed``.

    ``serialize_data`` defaults to False (mmengine's default is True): serialising the small
    in-memory list only pays with many loader workers, and its ``gc.collect()`` cost 0.3 s per
    build while each sample became slower to read (31 against 25 us).
    """

    METAINFO = {'classes': tuple(str(digit) for digit in range(10))}

    def __init__(self,
                 split: str = 'train',
                 seed: int = 0,
                 val_ratio: float = 0.2,
                 test_ratio: float = 0.2,
                 domains: Mapping | None = None,
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 lazy_init: bool = False,
                 indices: int | Sequence[int] | None = None,
                 serialize_data: bool = False,
                 metainfo: dict | None = None):
        if split not in SPLITS:
            raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
        self.split = split
        self.seed = check_seed('seed', seed)
        self.val_ratio = check_ratio('val_ratio', val_ratio)
        self.test_ratio = check_ratio('test_ratio', test_ratio)
        if self.val_ratio + self.test_ratio >= 1:
            raise ValueError('val_ratio + test_ratio must be below 1 to leave training data, '
                             f'got {self.val_ratio} + {self.test_ratio}')
        if split in ('val', 'test') and getattr(self, f'{split}_ratio') == 0:
            raise ValueError(f'split {split!r} is empty because {split}_ratio is 0; '
                             f'expected {split}_ratio > 0 to load it')
        self.domains = None if domains is None else DomainShift.from_cfg(domains)
        super().__init__(ann_file='', metainfo=metainfo, pipeline=pipeline, test_mode=test_mode,
                         lazy_init=lazy_init, indices=indices, serialize_data=serialize_data)

    def load_data_list(self) -> list[dict]:
        """Build the data infos in memory (domain-major order, ascending index within)."""
        images, labels = _digits()
        chosen = split_indices(labels, self.seed, self.val_ratio, self.test_ratio)[self.split]
        if self.domains is None:
            return [dict(img=images[i].copy(), gt_label=int(labels[i]),
                         img_path=f'digits/{i}', domain_id=0) for i in chosen]
        data_list = []
        for domain, params in enumerate(self.domains.transforms()):
            data_list.extend(
                dict(img=self.domains.apply(images[i], domain, params).copy(),
                     gt_label=int(labels[i]), img_path=f'digits/{i}@d{domain}', domain_id=domain)
                for i in chosen)
        return data_list
