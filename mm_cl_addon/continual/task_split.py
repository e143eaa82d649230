"""Split any mmpretrain-style data set into a sequence of continual-learning tasks.

A task is a set of (class, domain) pairs; its samples are those of the wrapped
data set whose label and domain fall in it. Every sample handed out carries
its ``task_id`` in the data sample's metainfo, set *after* the wrapped
pipeline has run (``PackInputs`` keeps only the keys it knows).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np
from mmpretrain.registry import DATASETS
from torch.utils.data import Dataset

SCENARIOS = ('class', 'task', 'domain', 'class-domain')
TaskSpec = Union[int, Sequence[Any]]
_SINGULAR = {'classes': 'class', 'domains': 'domain'}


@dataclass(frozen=True)
class Task:
    """The classes and domains that make up one task."""

    classes: tuple[int, ...]
    domains: tuple[int, ...]


def _as_int_label(label: Any, index: int) -> int:
    array = np.asarray(label).reshape(-1)
    if array.size != 1:
        raise ValueError(
            f'TaskSplitDataset needs one class label per sample, but sample {index} has '
            f'gt_label={label!r}')
    return int(array[0])


def _check_task_lists(name: str, groups: Sequence[Sequence[int]], known: set[int]) -> list[tuple]:
    """Validate explicit class or domain lists: non-empty, known, disjoint."""
    seen: dict[int, int] = {}
    checked = []
    what = _SINGULAR[name]
    for task_id, group in enumerate(groups):
        group = tuple(int(value) for value in group)
        if not group:
            raise ValueError(f'TaskSplitDataset: task {task_id} has no {name}; every task needs '
                             f'at least one')
        for value in group:
            if value not in known:
                raise ValueError(f'TaskSplitDataset: {what} {value} of task {task_id} is not in '
                                 f'the data set (it has {sorted(known)})')
            if value in seen:
                raise ValueError(f'TaskSplitDataset: {what} {value} is in task {seen[value]} and '
                                 f'in task {task_id}; tasks must not overlap')
            seen[value] = task_id
        checked.append(group)
    return checked


def plan_tasks(tasks: TaskSpec, scenario: str, classes: Sequence[int], domains: Sequence[int],
               seed: int) -> list[Task]:
    """Turn the ``tasks`` argument into explicit :class:`Task` objects.

    * ``class``/``task``: ``tasks`` is a number of tasks (the classes are shuffled
      with ``seed`` and cut into nearly equal groups) or explicit class lists;
      every domain belongs to every task.
    * ``domain``: a number of tasks (the sorted domains cut in order) or explicit
      domain lists; every class belongs to every task.
    * ``class-domain``: explicit ``[classes, domains]`` pairs, or a number ``n`` of
      class groups (shuffled with ``seed``) repeated for each domain in order,
      giving ``n x num_domains`` tasks.
    """
    if scenario not in SCENARIOS:
        raise ValueError(f'TaskSplitDataset: scenario={scenario!r} is not one of {SCENARIOS}')
    classes, domains = sorted(classes), sorted(domains)
    all_classes, all_domains = tuple(classes), tuple(domains)

    def class_groups(count: int) -> list[tuple[int, ...]]:
        _check_count(count, len(classes), 'classes')
        order = np.random.default_rng(seed).permutation(classes)
        return [tuple(int(c) for c in group) for group in np.array_split(order, count)]

    if scenario in ('class', 'task'):
        groups = (class_groups(tasks) if isinstance(tasks, int)
                  else _check_task_lists('classes', tasks, set(classes)))
        return [Task(group, all_domains) for group in groups]
    if scenario == 'domain':
        if isinstance(tasks, int):
            _check_count(tasks, len(domains), 'domains')
            groups = [tuple(int(d) for d in g) for g in np.array_split(np.array(domains), tasks)]
        else:
            groups = _check_task_lists('domains', tasks, set(domains))
        return [Task(all_classes, group) for group in groups]
    if isinstance(tasks, int):
        return [Task(group, (domain,)) for domain in domains for group in class_groups(tasks)]
    return _check_class_domain_pairs(tasks, set(classes), set(domains))


def _check_count(count: int, available: int, what: str) -> None:
    if not 1 <= count <= available:
        raise ValueError(f'TaskSplitDataset: tasks={count} cannot split {available} {what}; '
                         f'expected 1 <= tasks <= {available}')


def _check_class_domain_pairs(pairs: Sequence[Any], classes: set[int],
                              domains: set[int]) -> list[Task]:
    planned, seen = [], {}
    for task_id, pair in enumerate(pairs):
        if len(pair) != 2:
            raise ValueError(f'TaskSplitDataset: task {task_id} of a class-domain split must be '
                             f'[classes, domains], got {pair!r}')
        (task_classes,) = _check_task_lists('classes', [pair[0]], classes)
        (task_domains,) = _check_task_lists('domains', [pair[1]], domains)
        for cell in ((c, d) for c in task_classes for d in task_domains):
            if cell in seen:
                raise ValueError(f'TaskSplitDataset: class {cell[0]} in domain {cell[1]} is in '
                                 f'task {seen[cell]} and in task {task_id}')
            seen[cell] = task_id
        planned.append(Task(task_classes, task_domains))
    return planned


@DATASETS.register_module()
class TaskSplitDataset(Dataset):
    """A data set seen as a sequence of tasks.

    Indexing the split itself gives the union of all tasks (joint training);
    :meth:`task_subset` gives one task. Both tag each sample with its task id.

    Args:
        dataset: the wrapped data set or its config (any mmpretrain data set,
            ``ConcatDataset`` included). Samples may carry ``domain_id`` in their
            data info; those that do not are in domain 0.
        tasks: a number of tasks or explicit lists (see :func:`plan_tasks`).
        scenario: ``'class'``, ``'task'`` (task-incremental: the task id is used
            at test time), ``'domain'`` or ``'class-domain'``.
        seed: orders the classes when ``tasks`` is a number.
    """

    def __init__(self, dataset: dict | Dataset, tasks: TaskSpec, scenario: str = 'class',
                 seed: int = 0) -> None:
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        self.scenario = scenario
        labels, domains = self._read_labels_and_domains()
        self.tasks = plan_tasks(tasks, scenario, np.unique(labels).tolist(),
                                np.unique(domains).tolist(), seed)
        cell_to_task = {(c, d): t for t, task in enumerate(self.tasks)
                        for c in task.classes for d in task.domains}
        sample_tasks = np.array([cell_to_task.get((int(c), int(d)), -1)
                                 for c, d in zip(labels, domains)], dtype=np.int64)
        self.task_indices = [np.flatnonzero(sample_tasks == t) for t in range(len(self.tasks))]
        for task_id, indices in enumerate(self.task_indices):
            if indices.size == 0:
                raise ValueError(f'TaskSplitDataset: task {task_id} ({self.tasks[task_id]}) '
                                 f'has no samples in the wrapped data set')
        self._union = np.flatnonzero(sample_tasks >= 0)
        self._sample_tasks = sample_tasks

    def _read_labels_and_domains(self) -> tuple[np.ndarray, np.ndarray]:
        size = len(self.dataset)
        if size == 0:
            raise ValueError('TaskSplitDataset: the wrapped data set is empty')
        labels, domains = np.empty(size, np.int64), np.empty(size, np.int64)
        for index in range(size):
            info = self.dataset.get_data_info(index)
            if 'gt_label' not in info:
                raise KeyError(f'TaskSplitDataset: sample {index} of '
                               f'{type(self.dataset).__name__} has no gt_label in its data info')
            labels[index] = _as_int_label(info['gt_label'], index)
            domains[index] = int(info.get('domain_id', 0))
        return labels, domains

    @property
    def num_tasks(self) -> int:
        return len(self.tasks)

    @property
    def task_classes(self) -> list[list[int]]:
        return [list(task.classes) for task in self.tasks]

    @property
    def metainfo(self) -> dict:
        return dict(getattr(self.dataset, 'metainfo', {}))

    def task_subset(self, task_id: int) -> TaskSubset:
        if not 0 <= task_id < self.num_tasks:
            raise IndexError(f'TaskSplitDataset: task_id={task_id} is outside '
                             f'0..{self.num_tasks - 1}')
        return TaskSubset(self, task_id)

    def get_item_with_task(self, index: int, task_id: int) -> dict:
        """The wrapped sample ``index`` after its pipeline, tagged with ``task_id``."""
        item = self.dataset[int(index)]
        samples = item.get('data_samples') if isinstance(item, dict) else None
        if samples is not None and hasattr(samples, 'set_metainfo'):
            samples.set_metainfo(dict(task_id=task_id))
        elif isinstance(item, dict):
            item['task_id'] = task_id
        else:
            raise TypeError(f'TaskSplitDataset: the wrapped data set returned '
                            f'{type(item).__name__}; expected a dict (a pipeline output)')
        return item

    def __len__(self) -> int:
        return len(self._union)

    def __getitem__(self, index: int) -> dict:
        source = self._union[index]
        return self.get_item_with_task(source, int(self._sample_tasks[source]))


def check_same_tasks(reference: TaskSplitDataset, other: TaskSplitDataset, reference_key: str,
                     other_key: str) -> None:
    """Refuse two splits that disagree on scenario, number of tasks or any task's classes or
    domains (in order): an accuracy matrix over them would score a different split."""
    where = f'{other_key}.dataset and {reference_key}.dataset'
    if other.scenario != reference.scenario:
        raise ValueError(f'{where} disagree: scenario={other.scenario!r} vs '
                         f'{reference.scenario!r}; every loader must split the same way')
    if other.num_tasks != reference.num_tasks:
        raise ValueError(f'{where} disagree: {other.num_tasks} tasks vs {reference.num_tasks}; '
                         'give every loader the same tasks (e.g. one tasks variable)')
    for task_id, (mine, theirs) in enumerate(zip(other.tasks, reference.tasks)):
        if mine != theirs:
            raise ValueError(f'{where} disagree on task {task_id}: classes {list(mine.classes)} '
                             f'domains {list(mine.domains)} vs classes {list(theirs.classes)} '
                             f'domains {list(theirs.domains)}; give every loader the same tasks '
                             'and seed')


SPLIT_DEFAULTS = dict(scenario='class', seed=0)


def check_same_task_args(reference: dict, other: dict, reference_key: str,
                         other_key: str) -> None:
    """:func:`check_same_tasks` on two TaskSplitDataset configs, without building them: the
    same ``tasks``, ``scenario`` and ``seed`` plan the same tasks over the same classes."""
    where = f'{other_key}.dataset and {reference_key}.dataset'
    for key, default in SPLIT_DEFAULTS.items():
        mine, theirs = other.get(key, default), reference.get(key, default)
        if mine != theirs:
            raise ValueError(f'{where} disagree: {key}={mine!r} vs {theirs!r}; every loader '
                             'must split the same way')
    mine, theirs = other.get('tasks'), reference.get('tasks')
    if isinstance(mine, (list, tuple)) and isinstance(theirs, (list, tuple)):
        if len(mine) != len(theirs):
            raise ValueError(f'{where} disagree: {len(mine)} tasks vs {len(theirs)}; give '
                             'every loader the same tasks (e.g. one tasks variable)')
        for task_id, (a, b) in enumerate(zip(mine, theirs)):
            if _as_lists(a) != _as_lists(b):
                raise ValueError(f'{where} disagree on task {task_id}: {a!r} vs {b!r}; give '
                                 'every loader the same tasks and seed')
    elif mine != theirs:
        raise ValueError(f'{where} disagree: tasks={mine!r} vs {theirs!r}; give every loader '
                         'the same tasks (e.g. one tasks variable)')


def _as_lists(value: Any) -> Any:
    return [_as_lists(v) for v in value] if isinstance(value, (list, tuple)) else value


class TaskSubset(Dataset):
    """The samples of one task, in the wrapped data set's order.

    A read-only view: ``deepcopy`` (which mmengine's ``build_dataloader`` applies
    to its config) returns the view itself instead of copying the whole data set.
    """

    def __init__(self, split: TaskSplitDataset, task_id: int) -> None:
        self.split = split
        self.task_id = task_id
        self.indices = split.task_indices[task_id]

    def __deepcopy__(self, memo: dict) -> TaskSubset:
        return self

    @property
    def metainfo(self) -> dict:
        return self.split.metainfo

    def get_data_info(self, index: int) -> dict:
        return self.split.dataset.get_data_info(int(self.indices[index]))

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> dict:
        return self.split.get_item_with_task(self.indices[index], self.task_id)
