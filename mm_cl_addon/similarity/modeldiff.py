"""ModelDiff (Li et al., ISSTA 2021) model similarity, used by Pick-a-back to choose a backbone.

A model's decision distance vector (DDV) holds, for each profiling input pair (a, b), the distance
between its softmax probabilities on a and on b. Two models are similar when their DDVs point the
same way (cosine similarity); the DDV has one entry per pair, so models with different output
sizes compare. Softmax rather than logits keeps the entries on one scale for every model.

Profiling inputs are searched once, on the target, by a seeded hill climb and reused for every
candidate, so scores are reproducible and comparable (the public Pick-a-back code re-searched per
candidate, unseeded, and kept the least similar model).
"""
from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..utils.modes import eval_mode

METRICS = ('euclidean', 'cosine')
CHOICES = ('most', 'least')


@torch.no_grad()
def probabilities(model: nn.Module, inputs: Tensor, batch_size: int = 64) -> Tensor:
    """Softmax outputs [N, C] of ``model`` in eval mode; its training flag is restored after."""
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    with eval_mode(model):
        logits = [model(chunk) for chunk in inputs.split(batch_size)]
    return F.softmax(torch.cat(logits).flatten(1).double(), dim=1)


def output_diversity(model: nn.Module, pairs: Tensor) -> float:
    """The search objective: mean Euclidean distance between the model's softmax outputs over
    every two of the 2P profiling inputs; larger means the inputs tell outputs further apart."""
    return torch.pdist(probabilities(model, pairs.flatten(0, 1))).mean().item()


def _draw_pairs(samples: Tensor, num_pairs: int, generator: torch.Generator) -> Tensor:
    if num_pairs < 1 or 2 * num_pairs > len(samples):
        raise ValueError(f'num_pairs must be in [1, {len(samples) // 2}] for {len(samples)} '
                         f'samples, got {num_pairs}')
    order = torch.randperm(len(samples), generator=generator)[:2 * num_pairs]
    return samples[order.to(samples.device)].reshape(num_pairs, 2, *samples.shape[1:]).clone()


def profiling_pairs(samples: Tensor, num_pairs: int, seed: int = 0) -> Tensor:
    """Consecutive pairs [P, 2, ...] of a seeded permutation of ``samples``: the search's start."""
    return _draw_pairs(samples, num_pairs, torch.Generator().manual_seed(seed))


PRINTABLE = (32, 127)  # ASCII bytes a byte substitution draws from


def substitute_bytes(texts: Tensor, rate: float, generator: torch.Generator) -> Tensor:
    """``texts`` [N, L] (UTF-8 bytes, 0 = padding) with ``max(1, round(rate * length))`` random
    bytes of each text replaced by random printable ASCII; padding stays padding."""
    out = texts.clone()
    lengths = (texts != 0).sum(dim=1)
    for row, length in enumerate(lengths.tolist()):
        if length == 0:
            continue
        count = min(length, max(1, round(rate * length)))
        positions = torch.randperm(length, generator=generator)[:count]
        values = torch.randint(*PRINTABLE, (count,), generator=generator, dtype=texts.dtype)
        out[row, positions.to(out.device)] = values.to(out.device)
    return out


def search_profiling_inputs(target_model: nn.Module, samples: Tensor, num_pairs: int,
                            steps: int = 100, step_size: float = 0.1, seed: int = 0) -> Tensor:
    """Pairs [P, 2, ...] that make ``target_model``'s outputs diverse (:func:`output_diversity`).

    Starts from :func:`profiling_pairs` with the same seed. Each step perturbs both inputs of
    one random pair and keeps the change only if the objective rises, so the objective never
    decreases; gradient-free and seeded. Float samples (images) get Gaussian noise of
    ``step_size`` times the samples' standard deviation, clamped to the samples' value range
    so inputs stay plausible; integer samples (UTF-8 text bytes) get a ``step_size`` share of
    their bytes substituted (:func:`substitute_bytes`).
    """
    if steps < 0:
        raise ValueError(f'steps must be >= 0, got {steps}')
    if step_size <= 0:
        raise ValueError(f'step_size must be > 0, got {step_size}')
    generator = torch.Generator().manual_seed(seed)
    pairs = _draw_pairs(samples, num_pairs, generator)
    if samples.is_floating_point():
        low, high = samples.min().item(), samples.max().item()
        scale = step_size * samples.std().item()

        def perturb(pair: Tensor) -> Tensor:
            noise = torch.randn(pair.shape, generator=generator).to(pair.device)
            return (pair + scale * noise).clamp(low, high)
    else:
        def perturb(pair: Tensor) -> Tensor:
            return substitute_bytes(pair, step_size, generator)
    best = output_diversity(target_model, pairs)
    for _ in range(steps):
        index = int(torch.randint(num_pairs, (1,), generator=generator))
        proposal = pairs.clone()
        proposal[index] = perturb(pairs[index])
        score = output_diversity(target_model, proposal)
        if score > best:
            pairs, best = proposal, score
    return pairs


def decision_distance_vector(model: nn.Module, pairs: Tensor, metric: str = 'euclidean') -> Tensor:
    """DDV [P] in float64: per pair, the distance between the model's softmax outputs."""
    if metric not in METRICS:
        raise ValueError(f'metric must be one of {METRICS}, got {metric!r}')
    if pairs.dim() < 2 or pairs.shape[1] != 2:
        raise ValueError(f'pairs must be shaped [P, 2, ...], got {tuple(pairs.shape)}')
    probs = probabilities(model, pairs.flatten(0, 1)).reshape(len(pairs), 2, -1)
    first, second = probs[:, 0], probs[:, 1]
    if metric == 'euclidean':
        return (first - second).norm(dim=1)
    return 1 - F.cosine_similarity(first, second, dim=1)


def modeldiff_similarity(ddv_a: Tensor, ddv_b: Tensor) -> float:
    """Cosine similarity of two DDVs; 1 for models that rank the pairs' distances alike."""
    if ddv_a.shape != ddv_b.shape or ddv_a.dim() != 1:
        raise ValueError(f'ddv_a and ddv_b must be 1-d and of one shape, got '
                         f'{tuple(ddv_a.shape)} and {tuple(ddv_b.shape)}')
    for name, ddv in (('ddv_a', ddv_a), ('ddv_b', ddv_b)):
        if not ddv.any():
            raise ValueError(f'{name} is all zeros: its direction, hence the similarity, is '
                             'undefined')
    return F.cosine_similarity(ddv_a.double(), ddv_b.double(), dim=0).item()


def select_backbone(target: nn.Module, candidates: Mapping[str, nn.Module], pairs: Tensor,
                    metric: str = 'euclidean', choose: str = 'most'
                    ) -> tuple[str, dict[str, float]]:
    """The candidate most (or least) similar to ``target`` and every candidate's score.

    Ties go to the candidate that comes first in ``candidates``.
    """
    if choose not in CHOICES:
        raise ValueError(f'choose must be one of {CHOICES}, got {choose!r}')
    if not candidates:
        raise ValueError('candidates is empty')
    target_ddv = decision_distance_vector(target, pairs, metric)
    scores = {name: modeldiff_similarity(target_ddv, decision_distance_vector(model, pairs, metric))
              for name, model in candidates.items()}
    sign = 1 if choose == 'most' else -1
    chosen = next(iter(scores))
    for name, score in scores.items():
        if sign * score > sign * scores[chosen]:
            chosen = name
    return chosen, scores
