"""Key-side rules of :class:`MemoryLinear`: similarity, the online key update, scrambling.

Each rule is a pure tensor function so that tests can compare it with its formula.
Shapes: inputs mapped to key space ``p [B, d_k]``, keys ``[q, m, d_k]``, winners
(index of the best key of each sample and key set) ``[B, q]``.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

SIMILARITIES = ('cosine', 'dot_scaled', 'euclidean')
_EPS = 1e-12  # keeps sqrt differentiable when an input sits exactly on a key


def similarity(p: Tensor, keys: Tensor, kind: str) -> Tensor:
    """Similarity ``[B, q, m]`` of every input to every key (higher is closer)."""
    if kind == 'cosine':
        return torch.einsum('bd,qmd->bqm', F.normalize(p, dim=-1), F.normalize(keys, dim=-1))
    dot = torch.einsum('bd,qmd->bqm', p, keys)
    if kind == 'dot_scaled':
        return dot / math.sqrt(p.shape[-1])
    if kind == 'euclidean':
        sq = p.pow(2).sum(-1)[:, None, None] + keys.pow(2).sum(-1)[None] - 2 * dot
        return -sq.clamp_min(_EPS).sqrt()
    raise ValueError(f'similarity must be one of {SIMILARITIES}, got {kind!r}')


def _flat(winners: Tensor, num_memories: int) -> Tensor:
    """Index of each (sample, key set) winner in the flattened ``[q * m]`` key table."""
    offsets = torch.arange(winners.shape[1], device=winners.device) * num_memories
    return (winners + offsets).reshape(-1)


def count_wins(winners: Tensor, num_memories: int) -> Tensor:
    """How many samples of the batch each key won, ``[q, m]``."""
    q = winners.shape[1]
    counts = torch.zeros(q * num_memories, dtype=torch.long, device=winners.device)
    flat = _flat(winners, num_memories)
    return counts.index_add_(0, flat, torch.ones_like(flat)).view(q, num_memories)


@torch.no_grad()
def ad_hoc_update(keys: Tensor, p: Tensor, winners: Tensor, lr: float, cosine: bool) -> Tensor:
    """Keys after one online step of every winner towards the inputs it won.

    ``k <- k + lr * (mean_b p_b - k)`` over the samples ``b`` that ``k`` won (one sample:
    the per-sample rule). With ``cosine`` the rule acts on unit vectors (``k``
    and ``p_b`` normalised first) and the result is normalised again. Keys that
    won nothing are returned unchanged.
    """
    q, m, d_k = keys.shape
    flat = _flat(winners, m)
    targets = F.normalize(p, dim=-1) if cosine else p
    targets = targets[:, None, :].expand(-1, q, -1).reshape(-1, d_k)
    sums = keys.new_zeros(q * m, d_k).index_add_(0, flat, targets)
    counts = count_wins(winners, m).view(-1, 1)
    old = keys.reshape(q * m, d_k)
    base = F.normalize(old, dim=-1) if cosine else old
    moved = base + lr * (sums / counts.clamp_min(1) - base)
    if cosine:
        moved = F.normalize(moved, dim=-1)
    return torch.where(counts > 0, moved, old).view(q, m, d_k)


@torch.no_grad()
def scramble(keys: Tensor, p: Tensor, winners: Tensor, winner_sim: Tensor, wins: Tensor,
             age: Tensor, tau_alpha: float, tau_mu: int, tau_eta: float) -> tuple[Tensor, Tensor]:
    """Move rarely used old keys onto poorly matched inputs, in place on ``keys``.

    A (sample, key set) fires when its winner's similarity is below ``tau_eta``.
    Eligible keys have win rate ``wins / age`` below ``tau_alpha`` and
    ``age >= tau_mu``. The firing samples of a key set, in batch order, take its
    eligible keys from the least used up (no key is taken twice; samples left
    without one do not fire). Returns the winners with each moved key as its
    sample's winner, and the ``[B, q]`` mask of samples that fired.
    """
    q, m, _ = keys.shape
    rate = wins.float() / age.clamp_min(1).float()
    eligible = (rate < tau_alpha) & (age >= tau_mu)
    order = torch.where(eligible, rate, torch.full_like(rate, math.inf))
    order = order.argsort(dim=1, stable=True)
    poor = winner_sim < tau_eta
    rank = poor.long().cumsum(0) - 1
    fired = poor & (rank < eligible.sum(1)[None])
    chosen = order.gather(1, rank.clamp(0, m - 1).T).T
    sets = torch.arange(q, device=keys.device)[None].expand_as(winners)
    keys[sets[fired], chosen[fired]] = p[:, None, :].expand(-1, q, -1)[fired].to(keys.dtype)
    return torch.where(fired, chosen, winners), fired
