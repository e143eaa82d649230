"""Oversample under-represented classes of a training set, with their own augmentation.

The extra copies are indices into the wrapped data set only. Wrap the training split
(never the whole data set before splitting), so no validation or test image can be
copied into training.
"""
from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np
from mmengine.dataset import Compose
from mmpretrain.registry import DATASETS, TRANSFORMS
from torch.utils.data import Dataset

from .relabel import single_label


def _check_classes(classes: Sequence[int], present: set[int]) -> list[int]:
    if isinstance(classes, (str, int)) or not classes:
        raise ValueError(f'ClassOversampleDataset: classes={classes!r}; expected a non-empty '
                         f'list of class indices')
    checked = []
    for value in classes:
        if value not in present:
            raise ValueError(f'ClassOversampleDataset: class {value!r} has no samples in the '
                             f'wrapped data set (its classes are {sorted(present)})')
        if value in checked:
            raise ValueError(f'ClassOversampleDataset: class {value} is listed twice in classes')
        checked.append(int(value))
    return checked


@DATASETS.register_module()
class ClassOversampleDataset(Dataset):
    """The wrapped samples, then ``times`` extra copies of each sample of ``classes``.

    Indices ``0..len(dataset)-1`` are the wrapped samples, unchanged. The rest are the
    extra copies, in ``times`` rounds over the chosen samples in wrapped order;
    :attr:`extra_indices` holds the wrapped index of each.

    Args:
        dataset: the wrapped training data set or its config (single-label samples).
        classes: the class indices to oversample; each must have samples in ``dataset``.
        times: extra copies per chosen sample, at least 1.
        extra_pipeline: the whole pipeline of the extra copies (its own augmentation,
            ending in ``PackInputs`` like the wrapped one), run on the wrapped data info
            instead of the wrapped pipeline. ``None``: the copies go through the wrapped
            data set's own ``__getitem__``.
    """

    def __init__(self, dataset: dict | Dataset, classes: Sequence[int], times: int = 1,
                 extra_pipeline: Sequence[dict] | None = None) -> None:
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError(f'ClassOversampleDataset: times={times!r}; expected an int >= 1')
        labels = np.array([single_label(self.dataset.get_data_info(index), index,
                                        'ClassOversampleDataset')
                           for index in range(len(self.dataset))], dtype=np.int64)
        self.classes = _check_classes(classes, set(labels.tolist()))
        self.times = times
        chosen = np.flatnonzero(np.isin(labels, self.classes))
        self.extra_indices = np.tile(chosen, times)
        if extra_pipeline is not None and not extra_pipeline:
            raise ValueError('ClassOversampleDataset: extra_pipeline is empty; expected a list '
                             'of transforms, or None to reuse the wrapped pipeline')
        self.extra_pipeline = None if extra_pipeline is None else Compose(
            [TRANSFORMS.build(cfg) if isinstance(cfg, dict) else cfg for cfg in extra_pipeline])

    @property
    def metainfo(self) -> dict:
        return copy.deepcopy(dict(getattr(self.dataset, 'metainfo', {})))

    def source_index(self, index: int) -> int:
        """The wrapped index that sample ``index`` of this data set is (a copy of)."""
        index = range(len(self))[index]
        size = len(self.dataset)
        return index if index < size else int(self.extra_indices[index - size])

    def get_data_info(self, index: int) -> dict:
        return self.dataset.get_data_info(self.source_index(index))

    def __len__(self) -> int:
        return len(self.dataset) + len(self.extra_indices)

    def __getitem__(self, index: int) -> Any:
        index = range(len(self))[index]
        source = self.source_index(index)
        if index >= len(self.dataset) and self.extra_pipeline is not None:
            return self.extra_pipeline(self.dataset.get_data_info(source))
        return self.dataset[source]
