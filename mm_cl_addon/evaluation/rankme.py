"""RankMe: the effective rank of a feature matrix (Garrido et al., ICML 2023).

RankMe tracks downstream accuracy of a representation without labels, which makes it a
cheap signal for collapse or forgetting of the features themselves during continual
training. It is computed from the singular values of the whole evaluation set's features,
so the metric keeps every sample's pooled feature and evaluates once at the end.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from mmengine.evaluator import BaseMetric
from mmpretrain.registry import METRICS


def rankme(features: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """``exp(entropy(p))`` with ``p_k = sigma_k / ||sigma||_1 + eps`` over the singular values.

    Computed in float64 and outside autograd: it is a measurement, never a training loss.
    Returns a 0-d float64 tensor between about 1 (rank one) and ``min(N, D)``.
    """
    if features.ndim != 2 or features.numel() == 0:
        raise ValueError('rankme: features must be a non-empty [N, D] matrix, '
                         f'got shape {tuple(features.shape)}')
    if not (math.isfinite(eps) and eps >= 0):
        raise ValueError(f'rankme: eps must be a finite number >= 0, got {eps!r}')
    with torch.no_grad():
        matrix = features.detach().to(torch.float64)
        if not torch.isfinite(matrix).all():
            raise ValueError('rankme: features contain NaN or infinite values')
        sigma = torch.linalg.svdvals(matrix)
        total = sigma.sum()
        if total == 0:
            raise ValueError('rankme: features are all zero, so their rank is undefined')
        p = sigma / total + eps
        return torch.exp(-(p * p.log()).sum())


@METRICS.register_module()
class RankMe(BaseMetric):
    """RankMe of the pooled features of the whole evaluation set, reported as ``rankme``.

    Each data sample must hold its 1-D pooled feature under ``feature_key``; the classifier
    stores it there only when asked to, so a missing key is an error rather than a skip.
    """

    default_prefix = 'rankme'

    def __init__(self, feature_key: str = 'feats', collect_device: str = 'cpu',
                 prefix: str | None = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.feature_key = feature_key

    def process(self, data_batch: object, data_samples: Sequence[dict]) -> None:
        """Keep each sample's feature on CPU; the data batch itself is not needed."""
        for sample in data_samples:
            if self.feature_key not in sample:
                raise KeyError(
                    f'RankMe: data sample has no {self.feature_key!r} (feature_key); ask the '
                    f'classifier to store its pooled features under {self.feature_key!r}')
            feature = torch.as_tensor(sample[self.feature_key]).detach().cpu()
            if feature.ndim != 1:
                raise ValueError(f'RankMe: {self.feature_key!r} must be a 1-D feature per '
                                 f'sample, got shape {tuple(feature.shape)}')
            self.results.append(feature)

    def compute_metrics(self, results: list) -> dict[str, float]:
        """Stack the features of every sample (all ranks, gathered by BaseMetric) and rank them."""
        if not results:
            raise ValueError(f'RankMe: no {self.feature_key!r} features were collected')
        sizes = {tuple(feature.shape) for feature in results}
        if len(sizes) != 1 or len(next(iter(sizes))) != 1:
            raise ValueError(f'RankMe: {self.feature_key!r} features must all be 1-D of one '
                             f'length, got shapes {sorted(sizes)}')
        return {'rankme': rankme(torch.stack(results)).item()}
