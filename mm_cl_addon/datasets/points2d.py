"""The 2D continual-learning benchmarks MODES and MOONS, and an mmpretrain data set for them.

The Memory Head (Tiezzi et al., CoLLAs 2024) and Continual Neural Computation papers
study forgetting on two tiny 2D streams whose shape can be drawn: MODES (four classes,
each a mixture of two Gaussian blobs) and MOONS (two pairs of interleaving half moons,
each pair drawn twice at two places). Every class has two modes, which are the
domains of the class-domain-incremental orders. The numbers (ratios, centres, spreads,
seeds, sizes, orders and the validation cut) follow the authors' public generator; see
``docs/memory_head_data.md`` for each value and its source. Seed 0 reproduces their
published files.
"""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

from ..utils.arguments import MAX_SEED, check_choice, check_seed
from ..utils.files import read_npz
from ..utils.io import atomic_write

DATASET_NAMES = ('modes', 'moons')
ORDERS = ('iid', 'ci', 'cdi', 'cdid')
SPLITS = ('train', 'val', 'test')
ARRAY_KEYS = ('x', 'y', 'mode', 'segment')
META_KEYS = ('dataset', 'order', 'seed')
NUM_TRAIN = 1000  # the generator draws 2 * NUM_TRAIN points: half train, a quarter val, test
SHUFFLE_SEED = 1234  # the authors' fixed shuffling seed; ``seed`` is added to it


@dataclass(frozen=True)
class Points2DSpec:
    """One benchmark's generating parameters; index ``[mode][group]``.

    A group is a class for ``'blobs'`` (centre = blob mean) and a pair of classes
    ``(2k, 2k + 1)`` = (outer, inner) half moon for ``'moons'`` (centre = offset added
    to ``make_moons``' points). ``spreads`` are Gaussian standard deviations.
    """

    kind: str
    class_ratios: tuple[float, ...]
    centres: tuple[tuple[tuple[float, float], ...], tuple[tuple[float, float], ...]]
    spreads: tuple[tuple[float, ...], tuple[float, ...]]
    seeds: tuple[tuple[int, ...], tuple[int, ...]]

    @property
    def num_classes(self) -> int:
        return len(self.class_ratios)

    def class_counts(self) -> list[int]:
        """Points per class over all splits (the ratios times 2 * NUM_TRAIN)."""
        return [int(round(ratio * 2 * NUM_TRAIN)) for ratio in self.class_ratios]


SPECS: dict[str, Points2DSpec] = {
    'modes': Points2DSpec(
        kind='blobs',
        class_ratios=(0.2, 0.4, 0.1, 0.3),
        centres=(((0.25, 0.25), (0.6, 0.65), (0.15, 0.5), (0.85, 0.3)),
                 ((0.2, 0.75), (1.0, 0.1), (1.15, 0.75), (0.3, 0.5))),
        spreads=((0.02, 0.08, 0.015, 0.03), (0.04, 0.02, 0.06, 0.015)),
        seeds=((1234, 5678, 9101112, 13141516), (1, 5, 9, 13))),
    'moons': Points2DSpec(
        kind='moons',
        class_ratios=(0.4, 0.1, 0.3, 0.2),
        centres=(((0.0, 0.0), (-3.0, 1.0)), ((2.0, 1.0), (3.0, -1.0))),
        spreads=((0.08, 0.06), (0.04, 0.03)),
        seeds=((1234, 5678), (1, 5))),
}


@dataclass(frozen=True)
class StreamSplit:
    """One split of a stream, in stream order: points, labels, modes and segment ids."""

    x: np.ndarray  # float64 [N, 2], each coordinate scaled to [-1, 1] over the whole pool
    # (ns-ImageNet reuses the ordering on [N, D] features: see class_domain_order)
    y: np.ndarray  # int64 [N] class
    mode: np.ndarray  # int64 [N] generating mode (0 or 1): the domain
    segment: np.ndarray  # int64 [N] stream segment, 0, 1, ... in the order they are streamed

    def take(self, index: np.ndarray) -> StreamSplit:
        return StreamSplit(self.x[index], self.y[index], self.mode[index], self.segment[index])

    def __len__(self) -> int:
        return len(self.y)


def _shifted(reference_seed: int, seed: int) -> int:
    """A reference seed moved by the user seed, so seed 0 gives the published numbers."""
    return (reference_seed + seed) % MAX_SEED


def _halves(count: int) -> tuple[int, int]:
    """How a class splits over its two modes (the first gets the floor half)."""
    return count // 2, count - count // 2


def generate_pool(dataset: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All 2 * NUM_TRAIN points ``(x, y, mode)`` in generation order, x scaled to [-1, 1].

    The order (per class or class pair, mode 0 then mode 1) matters: the splits are cut
    from it by interleaving, which makes each of them stratified by class and mode.
    """
    from sklearn.datasets import make_blobs, make_moons  # here: not at `import mm_cl_addon`

    spec = SPECS[check_choice('dataset', dataset, DATASET_NAMES)]
    seed = check_seed('seed', seed)
    counts = spec.class_counts()
    xs, ys, modes = [], [], []
    if spec.kind == 'blobs':
        for label, count in enumerate(counts):
            for mode, size in enumerate(_halves(count)):
                points, _ = make_blobs(
                    n_samples=size, n_features=2, centers=[spec.centres[mode][label]],
                    cluster_std=spec.spreads[mode][label], shuffle=False,
                    random_state=_shifted(spec.seeds[mode][label], seed))
                xs.append(points)
                ys.append(np.full(size, label, np.int64))
                modes.append(np.full(size, mode, np.int64))
    else:
        for pair in range(spec.num_classes // 2):
            outer, inner = 2 * pair, 2 * pair + 1
            for mode in (0, 1):
                sizes = (_halves(counts[outer])[mode], _halves(counts[inner])[mode])
                points, _ = make_moons(
                    n_samples=sizes, noise=spec.spreads[mode][pair], shuffle=False,
                    random_state=_shifted(spec.seeds[mode][pair], seed))
                xs.append(points + np.asarray(spec.centres[mode][pair]))
                ys.append(np.repeat(np.array([outer, inner], np.int64), sizes))
                modes.append(np.full(sum(sizes), mode, np.int64))
    x = np.concatenate(xs)
    # per-coordinate min-max to [-1, 1], in the reference's operation order (bit-identical)
    x = x - x.min(axis=0)
    x = 2.0 * (x / x.max(axis=0)) - 1.0
    return x, np.concatenate(ys), np.concatenate(modes)


def _shuffled(split: StreamSplit, seed: int) -> StreamSplit:
    """The reference reseeds before every shuffle, so equal sizes get equal permutations."""
    permutation = np.random.RandomState(_shifted(SHUFFLE_SEED, seed)).permutation(len(split))
    return split.take(permutation)


def split_pool(x: np.ndarray, y: np.ndarray, mode: np.ndarray, seed: int = 0
               ) -> dict[str, StreamSplit]:
    """Interleave the pool into train (even positions) and val/test (odd ones, alternating).

    Train gets half of every class and mode, val and test a quarter each; each split is
    then shuffled. Segment ids are not yet set (all 0).
    """
    pool = StreamSplit(x, y, mode, np.zeros_like(y))
    rest = pool.take(np.arange(1, len(pool), 2))
    parts = {'train': pool.take(np.arange(0, len(pool), 2)),
             'val': rest.take(np.arange(0, len(rest), 2)),
             'test': rest.take(np.arange(1, len(rest), 2))}
    return {name: _shuffled(part, seed) for name, part in parts.items()}


def _segments(keys: np.ndarray) -> np.ndarray:
    """Segment ids of a stream: a new segment starts wherever a row of ``keys`` changes."""
    changes = np.any(keys[1:] != keys[:-1], axis=1)
    return np.concatenate([[0], np.cumsum(changes)]).astype(np.int64)


def class_domain_order(y: np.ndarray, domain: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The class-domain-incremental order: ``(permutation, segment ids in that order)``.

    Domain 0 of every class (class 0 first), then domain 1 of every class, and so on; the
    sort is stable, so samples keep their order inside a (domain, class) cell. One segment
    per cell present. Shared by the 2D ``cdi``/``cdid`` streams and ns-ImageNet.
    """
    permutation = np.lexsort((y, domain))
    keys = np.stack([domain[permutation], y[permutation]], axis=1)
    return permutation, _segments(keys)


def order_split(split: StreamSplit, order: str, seed: int = 0) -> StreamSplit:
    """Put one shuffled split into stream ``order`` and number its segments.

    * ``iid``: shuffled again, one segment.
    * ``ci``: classes one after the other (class 0 first), one segment per class;
      both modes of a class are mixed.
    * ``cdi``: mode 0 of every class, then mode 1 of every class; one segment per
      (mode, class), 2 x 4 = 8.
    * ``cdid``: ``cdi`` with every segment sorted by the first coordinate, so the
      points drift from left to right within each segment.

    Sorts are stable (the reference's were not, so its order within a ``ci``/``cdi``
    segment depended on the numpy version); ``cdid`` sorts by a float and matches exactly.
    """
    check_choice('order', order, ORDERS)
    if order == 'iid':
        shuffled = _shuffled(split, seed)
        return StreamSplit(shuffled.x, shuffled.y, shuffled.mode, np.zeros_like(shuffled.y))
    if order == 'ci':
        ordered = split.take(np.argsort(split.y, kind='stable'))
        keys = ordered.y[:, None]
        ordered = StreamSplit(ordered.x, ordered.y, ordered.mode, _segments(keys))
    else:
        permutation, segments = class_domain_order(split.y, split.mode)
        ordered = split.take(permutation)
        ordered = StreamSplit(ordered.x, ordered.y, ordered.mode, segments)
    if order == 'cdid':
        ordered = ordered.take(np.lexsort((ordered.x[:, 0], ordered.segment)))
    return ordered


def cut_validation(split: StreamSplit, order: str) -> StreamSplit:
    """Keep the first half of the validation stream, as the reference does for model selection.

    Ordered streams keep their first ``num_segments // 2`` segments (``ci``: classes 0 and
    1; ``cdi``/``cdid``: mode 0 of every class); ``iid`` keeps its first half of samples.
    """
    if order == 'iid':
        return split.take(np.arange(len(split) // 2))
    num_segments = int(split.segment.max()) + 1
    return split.take(np.flatnonzero(split.segment < num_segments // 2))


def make_stream(dataset: str, order: str, seed: int = 0) -> dict[str, StreamSplit]:
    """The train, val and test streams of one benchmark in one order; seed 0 is the paper's."""
    check_choice('order', order, ORDERS)
    splits = split_pool(*generate_pool(dataset, seed), seed=check_seed('seed', seed))
    streams = {name: order_split(part, order, seed) for name, part in splits.items()}
    streams['val'] = cut_validation(streams['val'], order)
    return streams


def save_stream(path: str | os.PathLike, dataset: str, order: str, seed: int,
                streams: Mapping[str, StreamSplit]) -> None:
    """Write ``streams`` to one ``.npz`` (no pickled objects), atomically."""
    arrays = {f'{key}_{name}': getattr(streams[name], key)
              for name in SPLITS for key in ARRAY_KEYS}
    with atomic_write(path, 'wb') as handle:
        np.savez(handle, dataset=np.str_(dataset), order=np.str_(order), seed=np.int64(seed),
                 **arrays)


def _read_key(data: Mapping, path: str, key: str) -> np.ndarray:
    if key not in data:
        raise KeyError(f'{path}: missing key {key!r}; a 2D stream file has '
                       f"{', '.join(META_KEYS)} and <x|y|mode|segment>_<train|val|test>")
    return data[key]


def _check_split(path: str, name: str, arrays: dict[str, np.ndarray], num_classes: int
                 ) -> StreamSplit:
    x = arrays['x']
    if x.ndim != 2 or x.shape[1] != 2 or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f'{path}: key x_{name} must be a float array of shape [N, 2], '
                         f'got {x.dtype} {x.shape}')
    for key in ARRAY_KEYS[1:]:
        value = arrays[key]
        if value.shape != (len(x),) or not np.issubdtype(value.dtype, np.integer):
            raise ValueError(f'{path}: key {key}_{name} must be an int array of shape '
                             f'[{len(x)}] (one per point of x_{name}), got {value.dtype} '
                             f'{value.shape}')
    if not np.isfinite(x).all():
        bad = int(np.flatnonzero(~np.isfinite(x).all(axis=1))[0])
        raise ValueError(f'{path}: key x_{name} holds NaN or Inf (first at point {bad}); '
                         'regenerate the file with tools/data/gen_2d_datasets.py')
    y = arrays['y']
    if len(y) and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f'{path}: key y_{name} has labels outside 0..{num_classes - 1}')
    return StreamSplit(x, y.astype(np.int64), arrays['mode'].astype(np.int64),
                       arrays['segment'].astype(np.int64))


def load_stream(path: str | os.PathLike) -> tuple[dict, dict[str, StreamSplit]]:
    """Read a file written by :func:`save_stream`: ``(dict(dataset, order, seed), streams)``."""
    path = os.fspath(path)
    arrays = read_npz(path, '2D stream file', hint='write it with python tools/data/'
                      f'gen_2d_datasets.py --out-dir {os.path.dirname(path) or "."}')
    meta = {}
    for key in META_KEYS:
        value = _read_key(arrays, path, key)
        if value.ndim != 0:
            raise ValueError(f'{path}: key {key} must be a single value, got shape {value.shape}')
        meta[key] = value.item()
    dataset = str(meta['dataset'])
    if dataset not in DATASET_NAMES:
        raise ValueError(f'{path}: key dataset must be one of {DATASET_NAMES}, got {dataset!r}')
    if str(meta['order']) not in ORDERS:
        raise ValueError(f'{path}: key order must be one of {ORDERS}, got {meta["order"]!r}')
    num_classes = SPECS[dataset].num_classes
    streams = {name: _check_split(path, name, {key: _read_key(arrays, path, f'{key}_{name}')
                                               for key in ARRAY_KEYS}, num_classes)
               for name in SPLITS}
    return dict(dataset=dataset, order=str(meta['order']), seed=int(meta['seed'])), streams


@DATASETS.register_module()
class Points2DDataset(BaseDataset):
    """One split of a MODES/MOONS stream file, in stream order.

    Each sample has ``img``: the point as float32 of shape ``(1, 1, 2)`` (height 1,
    width 1, the two coordinates as channels), so ``PackInputs`` gives a ``[2, 1, 1]``
    tensor, a batch is ``[B, 2, 1, 1]``, the data preprocessor's per-channel
    ``mean``/``std`` act per coordinate, and ``Flatten`` hands ``[B, 2]`` to the head.
    Also ``gt_label``, ``domain_id`` = the stream segment (what ``TaskSplitDataset``
    reads as the domain: ``scenario='class-domain', tasks=1`` or ``scenario='domain',
    tasks=<number of segments>`` gives one task per segment, in stream order),
    ``mode_id`` = the generating mode and ``img_path = '<dataset>_<order>/<split>/<i>'``.
    Add ``meta_keys=('domain_id', 'mode_id')`` to ``PackInputs`` to see them in the
    data samples. ``data_file`` is joined to ``data_root`` when relative. ``serialize_data``
    defaults to False, as for ``DigitsDataset``: the streams are small and read in one process.
    """

    METAINFO = {'classes': ('0', '1', '2', '3')}

    def __init__(self,
                 data_file: str,
                 split: str = 'train',
                 data_root: str = '',
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 lazy_init: bool = False,
                 indices: int | Sequence[int] | None = None,
                 serialize_data: bool = False,
                 metainfo: dict | None = None):
        self.split = check_choice('split', split, SPLITS)
        super().__init__(ann_file=data_file, metainfo=metainfo, data_root=data_root,
                         pipeline=pipeline, test_mode=test_mode, lazy_init=lazy_init,
                         indices=indices, serialize_data=serialize_data)

    def load_data_list(self) -> list[dict]:
        meta, streams = load_stream(self.ann_file)
        stream = streams[self.split]
        points = stream.x.astype(np.float32).reshape(-1, 1, 1, 2)
        prefix = f"{meta['dataset']}_{meta['order']}/{self.split}"
        return [dict(img=points[i], gt_label=int(stream.y[i]), domain_id=int(stream.segment[i]),
                     mode_id=int(stream.mode[i]), img_path=f'{prefix}/{i}')
                for i in range(len(stream))]
