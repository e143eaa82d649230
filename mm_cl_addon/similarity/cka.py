"""Centred kernel alignment (CKA) between two layers' representations of the same samples.

CKA(K, L) = HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L)) for n x n kernel matrices K, L over the same
n samples (Kornblith et al., ICML 2019). The biased HSIC is tr(K_c L_c) with K_c = H K H centred;
the debiased one is the U-statistic of Song et al. (JMLR 2012), as used by Nguyen, Raghu &
Kornblith (ICLR 2021), with the diagonals of K and L set to zero:

    HSIC_u = [tr(K~ L~) + 1'K~1 1'L~1 / ((n-1)(n-2)) - 2/(n-2) 1'K~L~1] / (n(n-3)).

Each layer's statistics (:class:`KernelStats`) are computed once and reused for every pair, so
:func:`cka_matrix` costs one set of self-products per layer plus one cross-product per pair.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

import torch
from torch import Tensor

from .regression import lr_matrix
from .representations import as_layers, as_matrix, check_layers, check_samples

LINEAR_METHODS = ('auto', 'feature', 'gram')
MATRIX_METHODS = ('linear', 'rbf', 'lr')


@dataclass(frozen=True)
class KernelStats:
    """One layer's kernel statistics; either ``features`` (linear kernel) or ``gram`` is set.

    With ``features`` X (centred, n x d) the kernel is K = X X', never formed: traces of kernel
    products become ||Y'X||_F^2, so a pair costs O(n d1 d2) instead of O(n^2 (d1 + d2)).
    """

    debiased: bool
    features: Tensor | None  # centred features
    gram: Tensor | None  # centred Gram (biased) or Gram with a zero diagonal (debiased)
    diag: Tensor | None  # diagonal of X X' (feature form, debiased): removed from traces
    row_sums: Tensor | None  # K~ 1 (debiased)
    total: Tensor | None  # 1' K~ 1 (debiased)

    @property
    def n(self) -> int:
        source = self.features if self.features is not None else self.gram
        return source.shape[0]


def uses_features(widths: Sequence[int], n: int, method: str) -> bool:
    """Pick the linear form: 'auto' uses features when every width is below n (cheaper there)."""
    if method not in LINEAR_METHODS:
        raise ValueError(f'method must be one of {LINEAR_METHODS}, got {method!r}')
    if method == 'auto':
        return max(widths) < n
    return method == 'feature'


def gram_stats(gram: Tensor, debiased: bool) -> KernelStats:
    """Statistics of a precomputed (symmetric) kernel matrix."""
    if not debiased:
        centred = gram - gram.mean(0, keepdim=True)
        centred = centred - centred.mean(1, keepdim=True)
        return KernelStats(False, None, centred, None, None, None)
    zeroed = gram.clone()
    zeroed.fill_diagonal_(0.0)
    row_sums = zeroed.sum(1)
    return KernelStats(True, None, zeroed, None, row_sums, row_sums.sum())


def linear_stats(x: Tensor, debiased: bool, features: bool) -> KernelStats:
    """Statistics of the linear kernel of centred ``x`` (float64 [n, d]), in either form."""
    centred = x - x.mean(0, keepdim=True)
    if not features:
        return gram_stats(centred @ centred.T, debiased)
    if not debiased:
        return KernelStats(False, centred, None, None, None, None)
    diag = centred.square().sum(1)
    row_sums = centred @ centred.sum(0) - diag  # K~ 1 = X (X' 1) - diag(K)
    return KernelStats(True, centred, None, diag, row_sums, row_sums.sum())


def _trace(a: KernelStats, b: KernelStats) -> Tensor:
    """tr(K L) for the stored kernels (diagonals excluded when debiased)."""
    if a.features is not None and b.features is not None:
        trace = (b.features.T @ a.features).square().sum()
        return trace - a.diag @ b.diag if a.debiased else trace
    return (_gram(a) * _gram(b)).sum()


def _gram(stats: KernelStats) -> Tensor:
    if stats.gram is not None:
        return stats.gram
    gram = stats.features @ stats.features.T  # only when mixing forms
    if stats.debiased:
        gram.fill_diagonal_(0.0)
    return gram


def hsic(a: KernelStats, b: KernelStats) -> Tensor:
    """HSIC between two layers' statistics (biased or debiased, as both were built)."""
    if a.debiased != b.debiased:
        raise ValueError('cannot mix biased and debiased statistics')
    n = a.n
    trace = _trace(a, b)
    if not a.debiased:
        return trace / (n - 1) ** 2
    return (trace + a.total * b.total / ((n - 1) * (n - 2))
            - 2.0 / (n - 2) * (a.row_sums @ b.row_sums)) / (n * (n - 3))


def cka_from_stats(a: KernelStats, b: KernelStats, self_a: Tensor, self_b: Tensor) -> Tensor:
    """CKA given the self-HSICs; 0 when a layer is constant (its kernel carries no signal)."""
    denominator = torch.sqrt(self_a * self_b)
    if denominator == 0:
        return torch.zeros((), dtype=torch.float64)
    return hsic(a, b) / denominator


def linear_cka(x: Any, y: Any, debiased: bool = False, method: str = 'auto') -> Tensor:
    """Linear CKA of x [n, d1] and y [n, d2]; 'feature' and 'gram' give the same value."""
    x, y = as_matrix(x, 'x'), as_matrix(y, 'y')
    check_samples(x, y, debiased)
    features = uses_features([x.shape[1], y.shape[1]], x.shape[0], method)
    a, b = linear_stats(x, debiased, features), linear_stats(y, debiased, features)
    return cka_from_stats(a, b, hsic(a, a), hsic(b, b))


def rbf_bandwidth(x: Tensor, threshold: float) -> float:
    """sigma = threshold * median Euclidean distance over the n(n-1)/2 distinct sample pairs."""
    distances = torch.pdist(x)
    if distances.numel() == 0:
        raise ValueError(f'RBF bandwidth needs at least 2 samples, got {x.shape[0]}')
    return threshold * distances.median().item()


def rbf_stats(x: Tensor, threshold: float, sigma: float | None, debiased: bool) -> KernelStats:
    """Statistics of the RBF kernel exp(-d^2 / (2 sigma^2)), d the Euclidean distance."""
    if sigma is None:
        sigma = rbf_bandwidth(x, threshold)
    if not sigma > 0:
        raise ValueError(f'sigma must be > 0, got {sigma} (threshold={threshold}; a layer with '
                         'mostly identical samples has median distance 0)')
    squared = torch.cdist(x, x).square()
    return gram_stats(torch.exp(-squared / (2.0 * sigma ** 2)), debiased)


def rbf_cka(x: Any, y: Any, threshold: float = 0.8, sigma: float | None = None,
            debiased: bool = False) -> Tensor:
    """RBF-kernel CKA; each matrix gets its own bandwidth unless ``sigma`` is given."""
    x, y = as_matrix(x, 'x'), as_matrix(y, 'y')
    check_samples(x, y, debiased)
    a, b = rbf_stats(x, threshold, sigma, debiased), rbf_stats(y, threshold, sigma, debiased)
    return cka_from_stats(a, b, hsic(a, a), hsic(b, b))


def layer_stats(xs: Sequence[Tensor], method: str, debiased: bool, features: bool,
                threshold: float) -> list[KernelStats]:
    """Each layer's statistics, once per layer."""
    if method == 'linear':
        return [linear_stats(x, debiased, features) for x in xs]
    return [rbf_stats(x, threshold, None, debiased) for x in xs]


def cka_matrix(xs: Sequence[Any], ys: Sequence[Any], method: str = 'linear',
               debiased: bool = False, threshold: float = 0.8) -> Tensor:
    """Similarity of every layer in ``xs`` to every layer in ``ys``: float64 [len(xs), len(ys)].

    'linear' and 'rbf' are CKA (linear in feature form when every width is below n);
    'lr' is :func:`~mm_cl_addon.similarity.lr_similarity` (x explained by y).
    """
    if method not in MATRIX_METHODS:
        raise ValueError(f'method must be one of {MATRIX_METHODS}, got {method!r}')
    if not xs or not ys:
        raise ValueError(f'xs and ys must be non-empty, got {len(xs)} and {len(ys)} layers')
    xs, ys = as_layers(xs, 'xs'), as_layers(ys, 'ys')
    n = check_layers(xs, ys, debiased and method != 'lr')
    if method == 'lr':
        return lr_matrix(xs, ys)
    features = uses_features([m.shape[1] for m in xs + ys], n, 'auto')
    a = layer_stats(xs, method, debiased, features, threshold)
    b = layer_stats(ys, method, debiased, features, threshold)
    self_a, self_b = [hsic(s, s) for s in a], [hsic(s, s) for s in b]
    out = torch.empty(len(xs), len(ys), dtype=torch.float64)
    for i, j in product(range(len(xs)), range(len(ys))):
        out[i, j] = cka_from_stats(a[i], b[j], self_a[i], self_b[j])
    return out
