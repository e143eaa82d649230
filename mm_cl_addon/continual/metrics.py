"""Continual-learning scores computed from the accuracy matrix alone.

``R`` has shape ``(T + 1, T)``: row 0 holds the accuracy on every task before any
training (the baseline that forward transfer is measured against), row ``t``
(1..T) the accuracy on every task after training task ``t``. Accuracies are
fractions in [0, 1]. In the formulas below tasks are 1-based, so task ``i`` is
column ``i - 1`` while row ``t`` is the state after task ``t``. Keeping these as
pure functions lets hooks, tools and tests share one definition.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Union

import numpy as np

ArrayLike = Union[np.ndarray, Sequence[Sequence[float]]]


def as_accuracy_matrix(R: ArrayLike, partial: bool = False) -> np.ndarray:
    """Return ``R`` as float64 after checking its shape and range, so errors surface early.

    ``partial`` accepts the first rows of a matrix still being filled (1 to T + 1 rows).
    """
    matrix = np.array(R, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError(f'R must be a 2-D (T + 1) x T matrix, got {matrix.ndim} dimension(s)')
    rows, cols = matrix.shape
    complete = rows == cols + 1 or (partial and 1 <= rows <= cols + 1)
    if cols < 1 or not complete:
        expected = '(r, T) with 1 <= r <= T + 1' if partial else '(T + 1, T)'
        raise ValueError(f'R must have shape {expected} and T >= 1, got {rows} x {cols}')
    if not np.all(np.isfinite(matrix)):
        raise ValueError('R must contain only finite values')
    if matrix.min() < 0 or matrix.max() > 1:
        raise ValueError('R must hold accuracies as fractions in [0, 1], got values in '
                         f'[{matrix.min()}, {matrix.max()}]')
    return matrix


def average_accuracy(R: ArrayLike) -> float:
    """Mean accuracy over all tasks after the last task: (1/T) sum_i R[T][i]."""
    matrix = as_accuracy_matrix(R)
    return float(matrix[-1].mean())


def average_forgetting(R: ArrayLike) -> float:
    """Mean forgetting over tasks 1..T-1 (Chaudhry et al. 2018); 0 when T == 1.

    f_i = max_{l in i..T-1} R[l][i] - R[T][i]: the best accuracy task ``i`` ever had
    *after it was trained* minus its final accuracy. Chaudhry et al. write the max over
    all l in 1..T-1; rows before task ``i`` was learnt only hold untrained (often chance)
    accuracy, which cannot be forgotten, so they are left out here.
    """
    matrix = as_accuracy_matrix(R)
    num_tasks = matrix.shape[1]
    if num_tasks == 1:
        return 0.0
    # Column j (task j + 1) was learnt at row j + 1; rows j + 1 .. T - 1 precede the end.
    forgetting = [matrix[j + 1:num_tasks, j].max() - matrix[num_tasks, j]
                  for j in range(num_tasks - 1)]
    return float(np.mean(forgetting))


def backward_transfer(R: ArrayLike) -> float:
    """BWT (Lopez-Paz & Ranzato 2017): 1/(T-1) sum_{i=1}^{T-1} (R[T][i] - R[i][i]); 0 if T == 1.

    Negative values mean later tasks hurt earlier ones.
    """
    matrix = as_accuracy_matrix(R)
    num_tasks = matrix.shape[1]
    if num_tasks == 1:
        return 0.0
    columns = np.arange(num_tasks - 1)
    return float(np.mean(matrix[num_tasks, columns] - matrix[columns + 1, columns]))


def forward_transfer(R: ArrayLike) -> float:
    """FWT: 1/(T-1) sum_{i=2}^{T} (R[i-1][i] - R[0][i]); 0 when T == 1.

    Row 0 stands in for the random-initialisation baseline b_i of Lopez-Paz & Ranzato: how
    much training on earlier tasks helps a task before it is seen.
    """
    matrix = as_accuracy_matrix(R)
    num_tasks = matrix.shape[1]
    if num_tasks == 1:
        return 0.0
    # Task i is column i - 1 and row i - 1 is the state just before task i is trained.
    columns = np.arange(1, num_tasks)
    return float(np.mean(matrix[columns, columns] - matrix[0, columns]))


def summarize(R: ArrayLike) -> dict:
    """All scores plus the matrix itself, as plain Python types ready for JSON."""
    matrix = as_accuracy_matrix(R)
    return {
        'average_accuracy': average_accuracy(matrix),
        'average_forgetting': average_forgetting(matrix),
        'backward_transfer': backward_transfer(matrix),
        'forward_transfer': forward_transfer(matrix),
        'accuracy_matrix': matrix.tolist(),
        'num_tasks': int(matrix.shape[1]),
    }
