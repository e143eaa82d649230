"""The continual confusion matrix (CCM) of the online 2D protocol and its scores.

Continual Neural Computation (Tiezzi et al., ECML-PKDD 2024), supplementary App. C, and
the public code shared with the Memory Head paper (``d2d/utils_2d_datasets.py`` of
``sailab-code/continual_neural_unit`` and ``sailab-code/memory_head``) measure a stream
cut into ``D`` distributions (segments) with a square ``D x D`` matrix: ``C[z][i]`` is the
accuracy on distribution ``i`` of a split right after training distribution ``z`` (both
0-based here). A split with fewer distributions than the training stream (the validation
cut keeps the first half) fills its rows only while ``z < D``. There is no row for the
untrained model, unlike the core matrix ``R`` of :mod:`.metrics`.

Every score at boundary ``z`` is computed on the leading ``(z + 1) x (z + 1)`` block
(``n = z + 1`` distributions), so it only involves distributions seen so far. Unfilled
entries are NaN. The differences from the core scores are listed in
``docs/memory_head_results.md``.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Union

import numpy as np

MatrixLike = Union[np.ndarray, Sequence[Sequence[float]]]
SCORES = ('avg_accuracy', 'avg_forgetting', 'backward_transfer', 'forward_transfer')


def empty_ccm(num_distributions: int) -> np.ndarray:
    """A ``D x D`` matrix of NaN (the reference writes -1) to be filled row by row."""
    if int(num_distributions) < 1:
        raise ValueError(f'num_distributions must be >= 1, got {num_distributions}')
    return np.full((int(num_distributions), int(num_distributions)), np.nan)


def leading_block(ccm: MatrixLike, z: int) -> np.ndarray:
    """``C[:z + 1, :z + 1]`` after checking that it is square, filled and in [0, 1]."""
    matrix = np.asarray(ccm, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] < 1:
        raise ValueError(f'a continual confusion matrix must be square D x D with D >= 1, got '
                         f'shape {matrix.shape}')
    if not 0 <= z < matrix.shape[0]:
        raise ValueError(f'distribution index z={z} is outside 0..{matrix.shape[0] - 1}')
    block = matrix[:z + 1, :z + 1]
    if not np.all(np.isfinite(block)):
        raise ValueError(f'rows 0..{z} of the continual confusion matrix are not all filled')
    if block.min() < 0 or block.max() > 1:
        raise ValueError('accuracies must be fractions in [0, 1], got values in '
                         f'[{block.min()}, {block.max()}]')
    return block


def ccm_average_accuracy(ccm: MatrixLike, z: int) -> float:
    """Mean of row ``z`` over the distributions seen so far: (1/n) sum_{i<=z} C[z][i]."""
    return float(leading_block(ccm, z)[z].mean())


def ccm_average_forgetting(ccm: MatrixLike, z: int) -> float:
    """(1/(n-1)) sum_{i<z} (max_{k<z} C[k][i] - C[z][i]); 0 at the first boundary.

    The best accuracy is taken over *every* earlier row ``k < z``, including rows before
    distribution ``i`` was trained (supplement: "maximum of the i-th column up to row
    z - 1"), and may be negative (no clipping).
    """
    block = leading_block(ccm, z)
    if z == 0:
        return 0.0
    return float(np.mean(block[:z, :z].max(axis=0) - block[z, :z]))


def ccm_backward_transfer(ccm: MatrixLike, z: int) -> float:
    """Positive backward transfer: max(0, mean_{k > i} (C[k][i] - C[i][i])); 0 at z = 0.

    Not in the supplement; the public code's ``backward_transfer`` (BWT+ of
    Diaz-Rodriguez et al. 2018): the mean over *all* lower-triangular pairs (every later
    row, not only the last), clipped at 0, so forgetting never shows here.
    """
    block = leading_block(ccm, z)
    if z == 0:
        return 0.0
    rows, cols = np.tril_indices(z + 1, k=-1)
    return max(float(np.mean(block[rows, cols] - block[cols, cols])), 0.0)


def ccm_forward_transfer(ccm: MatrixLike, z: int) -> float:
    """Mean of the strict upper triangle: 2/(n(n-1)) sum_{k < i} C[k][i]; 0 at z = 0.

    Accuracy on distributions not yet trained, without subtracting any baseline (the
    supplement's prose and the code; its typeset double sum indexes the lower triangle).
    """
    block = leading_block(ccm, z)
    if z == 0:
        return 0.0
    rows, cols = np.triu_indices(z + 1, k=1)
    return float(np.mean(block[rows, cols]))


def ccm_scores(ccm: MatrixLike, z: int) -> dict[str, float]:
    """All four scores at boundary ``z``."""
    return {'avg_accuracy': ccm_average_accuracy(ccm, z),
            'avg_forgetting': ccm_average_forgetting(ccm, z),
            'backward_transfer': ccm_backward_transfer(ccm, z),
            'forward_transfer': ccm_forward_transfer(ccm, z)}


def filled_rows(ccm: MatrixLike) -> int:
    """How many leading rows are completely filled."""
    matrix = np.asarray(ccm, dtype=np.float64)
    complete = np.all(np.isfinite(matrix), axis=1)
    return int(np.argmin(complete)) if not complete.all() else len(complete)


def ccm_history(ccm: MatrixLike) -> dict[str, list[float | None]]:
    """Every score at every boundary (None where the row is not filled yet), as the
    reference's per-distribution metrics dictionary."""
    matrix = np.asarray(ccm, dtype=np.float64)
    done = filled_rows(matrix)
    history: dict[str, list[float | None]] = {name: [] for name in SCORES}
    for z in range(matrix.shape[0]):
        scores = ccm_scores(matrix, z) if z < done else dict.fromkeys(SCORES)
        for name in SCORES:
            history[name].append(scores[name])
    return history


def ccm_to_json(ccm: MatrixLike) -> list[list[float | None]]:
    """The matrix as nested lists with None for unfilled entries (JSON has no NaN)."""
    return [[None if math.isnan(value) else float(value) for value in row]
            for row in np.asarray(ccm, dtype=np.float64)]


def ccm_from_json(rows: Sequence[Sequence[float | None]]) -> np.ndarray:
    """Inverse of :func:`ccm_to_json`."""
    return np.array([[np.nan if value is None else value for value in row] for row in rows],
                    dtype=np.float64)
