import copy

import pytest
import torch
from torch import nn

from mm_cl_addon.similarity.modeldiff import (
    decision_distance_vector,
    modeldiff_similarity,
    output_diversity,
    profiling_pairs,
    search_profiling_inputs,
    select_backbone,
)


def mlp(seed: int, num_classes: int = 5) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, num_classes))


def fine_tuned(model: nn.Module, seed: int, scale: float = 0.02) -> nn.Module:
    """A copy whose weights moved a little, as fine-tuning would move them."""
    copied = copy.deepcopy(model)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in copied.parameters():
            param.add_(scale * torch.randn(param.shape, generator=generator))
    return copied


@pytest.fixture
def samples() -> torch.Tensor:
    return torch.randn(40, 8, generator=torch.Generator().manual_seed(0))


@pytest.fixture
def pairs(samples: torch.Tensor) -> torch.Tensor:
    return search_profiling_inputs(mlp(0), samples, num_pairs=16, steps=30, seed=0)


@pytest.mark.parametrize('metric', ['euclidean', 'cosine'])
def test_self_similarity_is_one(pairs: torch.Tensor, metric: str) -> None:
    ddv = decision_distance_vector(mlp(0), pairs, metric)
    assert ddv.shape == (16,)
    assert modeldiff_similarity(ddv, ddv) == pytest.approx(1.0)


@pytest.mark.parametrize('metric', ['euclidean', 'cosine'])
def test_fine_tuned_copy_is_more_similar_than_unrelated_model(pairs: torch.Tensor,
                                                              metric: str) -> None:
    target = mlp(0)
    candidates = {'unrelated': mlp(1), 'fine_tuned': fine_tuned(target, seed=5)}
    chosen, scores = select_backbone(target, candidates, pairs, metric)
    assert chosen == 'fine_tuned'
    assert scores['fine_tuned'] > scores['unrelated']
    least, _ = select_backbone(target, candidates, pairs, metric, choose='least')
    assert least == 'unrelated'


def test_seed_fixes_inputs_and_selection(samples: torch.Tensor) -> None:
    target = mlp(0)
    candidates = {'a': mlp(1), 'b': fine_tuned(target, seed=5), 'c': mlp(2)}
    first = search_profiling_inputs(target, samples, 16, steps=20, seed=3)
    again = search_profiling_inputs(target, samples, 16, steps=20, seed=3)
    other = search_profiling_inputs(target, samples, 16, steps=20, seed=4)
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
    assert select_backbone(target, candidates, first) == select_backbone(target, candidates,
                                                                          again)


def test_ties_go_to_the_first_candidate(pairs: torch.Tensor) -> None:
    twin = mlp(1)
    for choose in ('most', 'least'):
        chosen, _ = select_backbone(mlp(0), {'x': twin, 'y': twin}, pairs, choose=choose)
        assert chosen == 'x'


def test_different_output_sizes_give_ddvs_of_one_length(pairs: torch.Tensor) -> None:
    small = decision_distance_vector(mlp(0, num_classes=3), pairs)
    large = decision_distance_vector(mlp(1, num_classes=10), pairs)
    assert small.shape == large.shape == (16,)
    assert -1 <= modeldiff_similarity(small, large) <= 1


def test_search_does_not_decrease_its_objective(samples: torch.Tensor) -> None:
    target = mlp(0)
    before = output_diversity(target, profiling_pairs(samples, 16, seed=2))
    searched = search_profiling_inputs(target, samples, 16, steps=40, seed=2)
    assert output_diversity(target, searched) > before  # seeded: these 40 steps do improve
    unsearched = search_profiling_inputs(target, samples, 16, steps=0, seed=2)
    assert torch.equal(unsearched, profiling_pairs(samples, 16, seed=2))


def test_search_keeps_inputs_in_the_samples_range_and_mode(samples: torch.Tensor) -> None:
    target = mlp(0).train()
    searched = search_profiling_inputs(target, samples, 16, steps=40, step_size=2.0, seed=0)
    assert searched.shape == (16, 2, 8)
    assert samples.min() <= searched.min() and searched.max() <= samples.max()
    assert target.training


@pytest.mark.parametrize('kwargs, match', [
    (dict(num_pairs=21), 'num_pairs'),
    (dict(num_pairs=0), 'num_pairs'),
    (dict(num_pairs=4, steps=-1), 'steps'),
    (dict(num_pairs=4, step_size=0.0), 'step_size'),
])
def test_search_rejects_bad_arguments(samples: torch.Tensor, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        search_profiling_inputs(mlp(0), samples, **kwargs)


def test_bad_arguments_are_named(pairs: torch.Tensor) -> None:
    with pytest.raises(ValueError, match='metric'):
        decision_distance_vector(mlp(0), pairs, metric='l1')
    with pytest.raises(ValueError, match='choose'):
        select_backbone(mlp(0), {'a': mlp(1)}, pairs, choose='best')
    with pytest.raises(ValueError, match='candidates'):
        select_backbone(mlp(0), {}, pairs)
    with pytest.raises(ValueError, match='ddv_a'):
        modeldiff_similarity(torch.ones(3), torch.ones(4))
    with pytest.raises(ValueError, match='ddv_b'):
        modeldiff_similarity(torch.ones(3), torch.zeros(3))
