"""CPG pruning-ratio selection (Hung et al., "Compacting, Picking and Growing", NeurIPS 2019).

CPG prunes a task's weights over several sparsity stages and records the accuracy reached at
each pruning ratio. The ratio kept is the highest one whose accuracy is within
``allowed_acc_loss`` of the task's goal accuracy, so the task keeps as few weights as it can
afford. If no ratio qualifies, the lowest recorded ratio is kept (the least pruned model we
have, rather than an unrecorded 0.0) and ``reached_goal`` is False, the cue for CPG to grow.

Record file (accuracies in percent, like mmpretrain's ``Accuracy``)::

    {"task": 2, "records": [{"ratio": 0.0, "accuracy": 98.1}, {"ratio": 0.5, "accuracy": 97.9}]}
"""
from __future__ import annotations

import math
import os
from typing import Any, Union

from ..utils.files import read_json

PathLike = Union[str, os.PathLike]
GOAL_KEY = 'accuracy/top1'
# Tolerance on the "within allowed loss" test, so that an accuracy exactly at
# goal - allowed_acc_loss counts as within despite float rounding (97.3 - 0.3 != 97.0).
EPS = 1e-9


def _number(value: Any) -> bool:
    """True for a finite int/float; bools are rejected because JSON true is not a score."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def read_ratio_record(path: PathLike) -> list[tuple[float, float]]:
    """Read and validate a per-ratio record file; return ``(ratio, accuracy)`` in file order."""
    data = read_json(path, 'pruning-ratio record', hint='CPGHook writes one per task')
    if not isinstance(data, dict):
        raise ValueError(f'{path}: expected a JSON object with "task" and "records"')
    task = data.get('task')
    if not isinstance(task, int) or isinstance(task, bool):
        raise ValueError(f'{path}: "task" must be an integer, got {task!r}')
    records = data.get('records')
    if not isinstance(records, list) or not records:
        raise ValueError(f'{path}: "records" must be a non-empty list, got {records!r}')
    pairs: list[tuple[float, float]] = []
    seen: dict[float, int] = {}
    for index, entry in enumerate(records):
        where = f'{path}: records[{index}]'
        if not isinstance(entry, dict) or set(entry) != {'ratio', 'accuracy'}:
            raise ValueError(f'{where} must be {{"ratio": r, "accuracy": a}}, got {entry!r}')
        ratio, accuracy = entry['ratio'], entry['accuracy']
        if not _number(ratio) or not 0.0 <= ratio < 1.0:
            raise ValueError(f'{where}: ratio must be a number in [0, 1), got {ratio!r}')
        if not _number(accuracy) or not 0.0 <= accuracy <= 100.0:
            raise ValueError(f'{where}: accuracy must be a percentage in [0, 100], '
                             f'got {accuracy!r}')
        if float(ratio) in seen:
            raise ValueError(f'{where}: duplicate ratio {ratio!r} '
                             f'(also records[{seen[float(ratio)]}])')
        seen[float(ratio)] = index
        pairs.append((float(ratio), float(accuracy)))
    return pairs


def goal_accuracy(source: float | PathLike, key: str = GOAL_KEY) -> float:
    """The goal accuracy (percent): a number, or ``key`` of a metrics file (tools/test.py --out).

    A continual test run names its scores ``task0/accuracy/top1`` or
    ``mean/accuracy/top1``; pass that as ``key``.
    """
    if isinstance(source, (int, float)) and not isinstance(source, bool):
        value, where = source, 'goal'
    else:
        metrics = read_json(source, 'baseline metrics file',
                            hint='write it with tools/test.py --out')
        if not isinstance(metrics, dict) or key not in metrics:
            raise KeyError(f'{source}: no "{key}" key in the baseline metrics')
        value, where = metrics[key], f'{source}: "{key}"'
    if not _number(value) or not 0.0 <= value <= 100.0:
        raise ValueError(f'{where} must be a percentage in [0, 100], got {value!r}')
    return float(value)


def snapshot_name(ratio: float) -> str:
    """The file name of the model CPG saved at pruning ``ratio``, next to its record."""
    return f'ratio{ratio:.2f}.pth'


def select_pruning_ratio(records: list[tuple[float, float]], goal: float,
                         allowed_acc_loss: float) -> dict[str, Any]:
    """Keep the highest ratio with accuracy >= goal - allowed_acc_loss, else the lowest ratio."""
    if not records:
        raise ValueError('records must not be empty')
    if not _number(allowed_acc_loss) or allowed_acc_loss < 0:
        raise ValueError(f'allowed_acc_loss must be a non-negative number, '
                         f'got {allowed_acc_loss!r}')
    ordered = sorted(records)
    within = [pair for pair in ordered if pair[1] >= goal - allowed_acc_loss - EPS]
    ratio, accuracy = within[-1] if within else ordered[0]
    return dict(ratio=ratio, accuracy=accuracy, goal=float(goal),
                allowed_acc_loss=float(allowed_acc_loss), reached_goal=bool(within))
