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
    substitute_bytes,
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


class ByteModel(nn.Module):
    """A tiny text classifier over UTF-8 bytes (0 = padding), for byte-level profiling."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.embedding = nn.Embedding(256, 8)
        self.out = nn.Linear(8, 4)

    def forward(self, text: torch.Tensor) -> torch.Tensor:
        mask = (text != 0).unsqueeze(-1).float()
        pooled = (self.embedding(text.long()) * mask).sum(1) / mask.sum(1).clamp(min=1)
        return self.out(pooled)


def test_byte_substitution_keeps_padding_and_is_seeded() -> None:
    texts = torch.zeros(3, 10, dtype=torch.uint8)
    texts[0, :10] = torch.tensor(list(b'a cat sat.'))
    texts[1, :4] = torch.tensor(list(b'bird'))  # row 2: empty
    first = substitute_bytes(texts, 0.3, torch.Generator().manual_seed(0))
    again = substitute_bytes(texts, 0.3, torch.Generator().manual_seed(0))
    assert torch.equal(first, again)
    assert torch.equal(first[1, 4:], texts[1, 4:]) and not first[2].any()  # padding stays
    assert 1 <= int((first[0] != texts[0]).sum()) <= 3  # round(0.3 * 10) at most
    assert 0 <= int((first[1] != texts[1]).sum()) <= 1  # max(1, round(1.2)) at most
    changed = first[first != texts]
    assert ((changed >= 32) & (changed < 127)).all()


def test_text_profiling_inputs_are_searched_by_byte_substitution() -> None:
    generator = torch.Generator().manual_seed(1)
    texts = torch.randint(97, 123, (20, 12), generator=generator, dtype=torch.uint8)
    texts[:, 9:] = 0
    model = ByteModel(0)
    start = profiling_pairs(texts, 6, seed=3)
    pairs = search_profiling_inputs(model, texts, 6, steps=20, step_size=0.2, seed=3)
    assert pairs.dtype == torch.uint8 and not pairs[..., 9:].any()
    assert output_diversity(model, pairs) >= output_diversity(model, start)
    assert torch.equal(pairs, search_profiling_inputs(model, texts, 6, steps=20, step_size=0.2,
                                                      seed=3))
    assert modeldiff_similarity(decision_distance_vector(model, pairs),
                                decision_distance_vector(model, pairs)) == pytest.approx(1.0)
