"""Correct known-wrong labels of a data set from a file, before its pipeline runs.

Competition data often has a list of mislabeled images found by hand. Keeping the
corrections in a file (instead of editing annotations) makes them reviewable, and
applying them in a wrapper touches only what is wrapped: relabeling the train split
leaves validation and test untouched by construction.
"""
from __future__ import annotations

import copy
import csv
import io
import json
import numbers
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from mmengine.logging import print_log
from mmpretrain.registry import DATASETS
from torch.utils.data import Dataset

from ..utils.files import InputFileError, read_text

CSV_HEADER = ['id', 'label']
RELABEL_WHAT = 'relabel file'
_SHOWN_IDS = 5  # how many unknown ids an error message lists


def single_label(info: Mapping, index: int, owner: str) -> int:
    """The one class index in a data info's ``gt_label``; these wrappers are single-label."""
    if 'gt_label' not in info:
        raise KeyError(f'{owner}: sample {index} has no gt_label in its data info')
    array = np.asarray(info['gt_label']).reshape(-1)
    if array.size != 1 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f'{owner}: sample {index} has gt_label={info["gt_label"]!r}; '
                         f'expected one integer class index')
    return int(array[0])


def _check_label(path: Path, sample_id: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f'{path}: the label of {sample_id!r} is {value!r}; expected an integer '
                         f'class index')
    return int(value)


def _unique_pairs(path: Path, pairs: Sequence[tuple[str, Any]]) -> dict[str, int]:
    """Refuse an id listed twice: which of two corrections is meant cannot be guessed."""
    labels: dict[str, int] = {}
    for sample_id, value in pairs:
        if sample_id in labels:
            raise ValueError(f'{path}: the id {sample_id!r} is listed more than once')
        labels[sample_id] = _check_label(path, sample_id, value)
    return labels


def _read_csv(path: Path, text: str) -> dict[str, int]:
    try:
        rows = list(csv.reader(io.StringIO(text, newline='')))
    except csv.Error as error:
        raise InputFileError(path, RELABEL_WHAT, f'is not valid JSON or CSV ({error})') from error
    if [cell.strip() for cell in rows[0]] != CSV_HEADER:  # read_text: not empty
        raise ValueError(f'{path} is neither valid JSON ({{"<sample id>": <label>, ...}}) nor '
                         f'a CSV with the header "id,label"')
    pairs = []
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != 2:
            raise ValueError(f'{path}, line {line}: expected 2 cells "id,label", got {row!r}')
        sample_id, label = (cell.strip() for cell in row)
        try:
            pairs.append((sample_id, int(label)))
        except ValueError:
            raise ValueError(f'{path}, line {line}: the label of {sample_id!r} is {label!r}; '
                             f'expected an integer class index') from None
    return _unique_pairs(path, pairs)


def load_relabel_file(path: str | Path) -> dict[str, int]:
    """Read ``{sample id: label}`` from a JSON object or an ``id,label`` CSV."""
    path = Path(path)
    text = read_text(path, RELABEL_WHAT)
    try:
        pairs = json.loads(text, object_pairs_hook=tuple)  # objects become (key, value) pairs
    except json.JSONDecodeError:
        return _read_csv(path, text)
    if not isinstance(pairs, tuple):
        raise ValueError(f'{path}: the JSON must be one object {{"<sample id>": <label>, ...}}, '
                         f'got {type(pairs).__name__}')
    return _unique_pairs(path, pairs)


@DATASETS.register_module()
class RelabelDataset(Dataset):
    """A data set whose labels are corrected from ``relabel_file`` before its pipeline runs.

    Args:
        dataset: the wrapped data set or its config. It must have a ``pipeline`` (as every
            mmengine ``BaseDataset`` does), ``metainfo['classes']`` and single-label samples.
        relabel_file: a JSON object ``{"<sample id>": <label>, ...}`` or a CSV with the header
            ``id,label``. Every id must be in the wrapped data set (an id of another split is
            an error, so a typo never passes silently); every label must be a class index.
            A sample id that occurs several times in the wrapped data set is relabeled at
            every occurrence.
        id_key: the data-info key holding the sample id.

    Attributes:
        changes: ``(id, old label, new label)`` of every sample whose label changed.
    """

    def __init__(self, dataset: dict | Dataset, relabel_file: str | Path,
                 id_key: str = 'img_path') -> None:
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        self.relabel_file = Path(relabel_file)
        self.id_key = id_key
        self._pipeline = getattr(self.dataset, 'pipeline', None)
        if not callable(self._pipeline):
            raise ValueError(f'RelabelDataset: the wrapped {type(self.dataset).__name__} has no '
                             f'callable `pipeline`; expected an mmengine BaseDataset (its '
                             f'pipeline runs on the corrected data info)')
        num_classes = self._num_classes()
        wanted = load_relabel_file(self.relabel_file)
        for sample_id, label in wanted.items():
            if not 0 <= label < num_classes:
                raise ValueError(f'{self.relabel_file}: the label of {sample_id!r} is {label}; '
                                 f'expected a class index in 0..{num_classes - 1}')
        self._labels: dict[int, int] = {}
        self.changes: list[tuple[str, int, int]] = []
        found = self._match(wanted)
        unknown = sorted(set(wanted) - found)
        if unknown:
            raise KeyError(f'{self.relabel_file}: {len(unknown)} ids are not in the wrapped '
                           f'{type(self.dataset).__name__} (key {id_key!r}), e.g. '
                           f'{unknown[:_SHOWN_IDS]}')
        print_log(f'RelabelDataset: {self.relabel_file} changed {len(self.changes)} labels; '
                  f'{len(wanted)} ids listed, {len(self._labels) - len(self.changes)} samples '
                  f'already had the listed label', logger='current')

    def _num_classes(self) -> int:
        classes = self.metainfo.get('classes')
        if not classes:
            raise KeyError(f'RelabelDataset: the wrapped {type(self.dataset).__name__} has no '
                           f"metainfo['classes']; expected them to check the new labels")
        return len(classes)

    def _match(self, wanted: dict[str, int]) -> set[str]:
        """Record the corrections of the wrapped samples listed in ``wanted``; return their ids."""
        found = set()
        for index in range(len(self.dataset)):
            info = self.dataset.get_data_info(index)
            if self.id_key not in info:
                raise KeyError(f'RelabelDataset: sample {index} has no {self.id_key!r} in its '
                               f'data info; expected id_key to name the sample id')
            sample_id = str(info[self.id_key])
            if sample_id not in wanted:
                continue
            found.add(sample_id)
            old, new = single_label(info, index, 'RelabelDataset'), wanted[sample_id]
            self._labels[index] = new
            if old != new:
                self.changes.append((sample_id, old, new))
        return found

    @property
    def metainfo(self) -> dict:
        return copy.deepcopy(dict(getattr(self.dataset, 'metainfo', {})))

    def get_data_info(self, index: int) -> dict:
        """A copy of the wrapped data info with the corrected ``gt_label``."""
        index = range(len(self))[index]
        info = copy.copy(self.dataset.get_data_info(index))
        if index in self._labels:
            info['gt_label'] = self._labels[index]
        return info

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> Any:
        return self._pipeline(self.get_data_info(index))
