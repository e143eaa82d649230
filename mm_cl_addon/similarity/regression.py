"""Linear-regression similarity: the share of x that a linear map of y reproduces.

lr(x, y) = ||Q_y' x||_F^2 / ||x||_F^2, Q_y an orthonormal basis of y's column space, equals
1 - ||x - y B||_F^2 / ||x||_F^2 for the least-squares B. It is uncentred and asymmetric: a wide y
explains a narrow x more easily than the reverse, and any y with d >= n explains everything.
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from .representations import as_matrix, check_samples


def orthonormal_basis(y: Tensor, name: str = 'y') -> Tensor:
    """Q of the reduced QR of float64 ``y`` [n, d]; y is assumed to have full column rank.

    Warns when d >= n: Q then spans every direction and the similarity is 1 whatever x is.
    """
    n, d = y.shape
    if d >= n:
        warnings.warn(f'{name} has {d} features for {n} samples (d >= n): it explains any x '
                      'completely, so lr_similarity is 1', stacklevel=3)
    return torch.linalg.qr(y, mode='reduced').Q


def _explained(x: Tensor, basis: Tensor) -> Tensor:
    total = x.square().sum()
    if total == 0:
        raise ValueError('x is all zeros: the explained share is undefined')
    return (basis.T @ x).square().sum() / total


def lr_similarity(x: Any, y: Any) -> Tensor:
    """Share of x [n, d1] explained by a linear map of y [n, d2]: 0-d float64 in [0, 1]."""

    x, y = as_matrix(x, 'x'), as_matrix(y, 'y')
    check_samples(x, y, debiased=False)
    return _explained(x, orthonormal_basis(y))


def lr_matrix(xs: Sequence[Tensor], ys: Sequence[Tensor]) -> Tensor:
    """lr_similarity for every (x, y) pair of float64 layers, one QR per y layer."""
    bases = [orthonormal_basis(y, f'ys[{j}]') for j, y in enumerate(ys)]
    return torch.stack([torch.stack([_explained(x, q) for q in bases]) for x in xs])
