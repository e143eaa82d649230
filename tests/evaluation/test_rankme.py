"""rankme() against closed forms, and the RankMe metric through mmengine's evaluator."""
from __future__ import annotations

import math

import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.registry import DefaultScope

import mm_cl_addon  # noqa: F401  (registers RankMe)
from mm_cl_addon.evaluation import RankMe, rankme

N, D = 40, 8


def orthonormal(rows: int, cols: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(rows, cols, generator=generator, dtype=torch.float64))
    return q


def with_spectrum(s: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """X = U diag(s) V^T with orthonormal U (N x D) and V (D x D)."""
    u, v = orthonormal(N, len(s), seed), orthonormal(len(s), len(s), seed + 1)
    return u @ torch.diag(s) @ v.T


def closed_form(s: torch.Tensor, eps: float = 1e-7) -> float:
    p = s / s.sum() + eps
    return math.exp(-(p * p.log()).sum().item())


def random_features(seed: int = 0) -> torch.Tensor:
    return torch.randn(N, D, generator=torch.Generator().manual_seed(seed))


def test_known_spectrum_matches_closed_form():
    s = torch.tensor([5.0, 3.0, 2.0, 1.0, 0.5, 0.25, 0.1, 0.05], dtype=torch.float64)
    value = rankme(with_spectrum(s))
    assert value.dtype == torch.float64 and value.ndim == 0
    assert value.item() == pytest.approx(closed_form(s), abs=1e-9)
    assert value.item() == pytest.approx(closed_form(s, eps=0.0), abs=1e-5)


def test_rank_one_gives_one():
    s = torch.zeros(D, dtype=torch.float64)
    s[0] = 3.0
    value = rankme(with_spectrum(s)).item()
    assert value == pytest.approx(closed_form(s), abs=1e-9)
    assert value == pytest.approx(1.0, abs=1e-4)  # eps adds about -7 * eps * log(eps)


def test_equal_singular_values_give_the_dimension():
    assert rankme(with_spectrum(torch.full((D,), 2.0, dtype=torch.float64))).item() == (
        pytest.approx(D, abs=1e-5))


def test_invariant_to_rotation_and_scale():
    features = random_features().to(torch.float64)
    reference = rankme(features).item()
    rotated = features @ orthonormal(D, D, seed=7)
    assert rankme(rotated).item() == pytest.approx(reference, abs=1e-9)
    assert rankme(features * 123.0).item() == pytest.approx(reference, abs=1e-9)


def test_stays_out_of_the_graph():
    features = random_features().requires_grad_()
    assert not rankme(features).requires_grad


@pytest.mark.parametrize('features', [torch.zeros(N), torch.zeros(0, D), torch.zeros(N, D)])
def test_rejects_what_has_no_rank(features):
    with pytest.raises(ValueError, match='rankme'):
        rankme(features)


def test_metric_over_two_batches_equals_rankme_of_the_stack():
    features = random_features()
    metric = RankMe()
    metric.process(None, [{'feats': f} for f in features[:25]])
    metric.process(None, [{'feats': f} for f in features[25:]])
    result = metric.compute_metrics(metric.results)
    assert result == {'rankme': pytest.approx(rankme(features).item(), abs=1e-12)}


def test_metric_names_the_missing_key():
    metric = RankMe(feature_key='pooled')
    with pytest.raises(KeyError, match="'pooled'.*store"):
        metric.process(None, [{'feats': torch.zeros(D)}])


def test_metric_rejects_features_that_are_not_1d():
    with pytest.raises(ValueError, match="'feats'.*1-D"):
        RankMe().process(None, [{'feats': torch.zeros(2, D)}])


def test_metric_rejects_features_of_different_lengths():
    metric = RankMe()
    metric.process(None, [{'feats': torch.ones(D)}, {'feats': torch.ones(D + 1)}])
    with pytest.raises(ValueError, match='one length'):
        metric.compute_metrics(metric.results)


def test_evaluator_builds_it_from_the_registry():
    features = random_features(seed=3)
    with DefaultScope.overwrite_default_scope('mmpretrain'):  # as in mmpretrain configs
        evaluator = Evaluator([dict(type='RankMe')])
    evaluator.process([{'feats': f} for f in features[:10]])
    evaluator.process([{'feats': f} for f in features[10:]])
    metrics = evaluator.evaluate(len(features))
    assert metrics == {'rankme/rankme': pytest.approx(rankme(features).item(), abs=1e-12)}
