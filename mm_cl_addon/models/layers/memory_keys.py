"""Key-side rules of :class:`MemoryLinear`: similarity, the online key update, scrambling.

Each rule is a pure tensor function so that tests can compare it with its formula.
:func:`similarity` is the dense formula; the layer uses :func:`top_similarity`
(its top ``delta``, same values and gradients, sparse backward), built like the
layer's memory read on :func:`gather_rows` / :func:`scatter_rows`.
Shapes: inputs mapped to key space ``p [B, d_k]``, keys ``[q, m, d_k]``, winners
(index of the best key of each sample and key set) ``[B, q]``.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import once_differentiable

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


def gather_rows(index: Tensor, weights: Tensor, table: Tensor) -> Tensor:
    """``out[b] = sum_i weights[b, i] * table[index[b, i]]``, ``[B, d]`` (no ``[B, n, d]`` copy)."""
    return F.embedding_bag(index, table, per_sample_weights=weights, mode='sum')


def scatter_rows(index: Tensor, weights: Tensor, src: Tensor, rows: int,
                 out: Tensor | None = None) -> Tensor:
    """``out[r] = sum_{(b, i): index[b, i] = r} weights[b, i] * src[b]``, ``[rows, d]``.

    The transpose of :func:`gather_rows`, as one sparse (COO) matrix product; the
    pairs ``(b, index[b, i])`` must be distinct. ``out``: a contiguous tensor of
    ``rows * d`` elements to write into (its contents are ignored).
    """
    batch, per_sample = index.shape
    samples = torch.arange(batch, device=index.device)[:, None].expand(batch, per_sample)
    coo = torch.sparse_coo_tensor(torch.stack([index, samples]).view(2, -1),
                                  weights.reshape(-1), (rows, batch), check_invariants=False)
    out = src.new_empty(rows, src.shape[1]) if out is None else out.view(rows, src.shape[1])
    return torch.mm(coo, src, out=out)


class _TopSimilarity(torch.autograd.Function):
    """The ``delta`` largest similarities of every (sample, key set), with a sparse backward.

    Same values and gradients as ``torch.topk(similarity(p, keys, kind), delta)``,
    but the backward only touches the kept (sample, key) pairs: autograd through
    ``topk`` would scatter the gradient into a dense ``[B, q, m]`` tensor and pay
    a full ``[B, d_k] x [d_k, q*m]`` product (the cost of a ``q*m``-output linear
    layer) for a gradient that is zero outside ``B q delta`` entries, plus several
    passes over the keys for the normalisation. Cosine divides the ``[B, q*m]``
    dot products by the norms instead of normalising ``p`` and the keys (same
    value, ``F.normalize``'s ``max(|v|, eps)``).
    """

    @staticmethod
    def forward(ctx, p: Tensor, keys: Tensor, kind: str, delta: int):
        q, m, d_k = keys.shape
        table = keys.reshape(q * m, d_k)
        dot = p @ table.t()
        p_norm = k_norm = sq = None
        if kind == 'cosine':
            p_norm, k_norm = p.norm(dim=-1), table.norm(dim=-1)
            sim = dot.div_(p_norm.clamp_min(_EPS)[:, None]).div_(k_norm.clamp_min(_EPS))
        elif kind == 'dot_scaled':
            sim = dot.div_(math.sqrt(d_k))
        elif kind == 'euclidean':
            sq = dot.mul_(-2).add_(p.pow(2).sum(-1)[:, None]).add_(table.pow(2).sum(-1))
            sim = sq.clamp_min(_EPS).sqrt_().neg_()
        else:
            raise ValueError(f'similarity must be one of {SIMILARITIES}, got {kind!r}')
        values, indices = torch.topk(sim.view(len(p), q, m), delta, dim=-1)
        if sq is not None:  # where the clamp was active, the similarity has no gradient
            sq = sq.view(len(p), q, m).gather(-1, indices) >= _EPS
        ctx.mark_non_differentiable(indices)
        ctx.kind, ctx.shape = kind, keys.shape
        ctx.save_for_backward(p, table, values, indices, p_norm, k_norm, sq)
        return values, indices

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor, _):
        p, table, values, indices, p_norm, k_norm, live = ctx.saved_tensors
        q, m, d_k = ctx.shape
        batch = len(p)
        flat = (indices + torch.arange(q, device=p.device)[:, None] * m).reshape(batch, -1)
        grad = grad.reshape(batch, -1)
        values = values.reshape(batch, -1)
        want_p, want_keys = ctx.needs_input_grad[:2]
        grad_p = grad_keys = None
        if ctx.kind == 'cosine':
            # s = <p, k> / (N_p N_k), N_v = max(|v|, eps); d|v|/dv = v / |v| where |v| >= eps
            p_scale, k_scale = p_norm.clamp_min(_EPS), k_norm.clamp_min(_EPS)
            gs = grad * values  # the part of ds that moves the norms
            if want_p:
                radial = gs.sum(-1) * (p_norm >= _EPS) / p_scale
                grad_p = gather_rows(flat, grad / k_scale[flat], table)
                grad_p = grad_p.sub_(radial[:, None] * p).div_(p_scale[:, None])
            if want_keys:
                rows = len(table)
                radial = table.new_zeros(rows).index_add_(0, flat.reshape(-1), gs.reshape(-1))
                radial = radial * (k_norm >= _EPS) / k_scale.square()
                grad_keys = scatter_rows(flat, grad / p_scale[:, None], p, rows)
                grad_keys = grad_keys.div_(k_scale[:, None]).addcmul_(radial[:, None], table,
                                                                     value=-1)
        elif ctx.kind == 'dot_scaled':
            grad = grad / math.sqrt(d_k)
            if want_p:
                grad_p = gather_rows(flat, grad, table)
            if want_keys:
                grad_keys = scatter_rows(flat, grad, p, len(table))
        else:  # s = -sqrt(sq), sq = |p|^2 + |k|^2 - 2 <p, k>: ds/dsq = 1 / (2 s)
            grad = grad * live.reshape(batch, -1) / (2 * values)
            if want_p:
                grad_p = p * (2 * grad.sum(-1))[:, None] - 2 * gather_rows(flat, grad, table)
            if want_keys:
                rows = len(table)
                total = table.new_zeros(rows).index_add_(0, flat.reshape(-1), grad.reshape(-1))
                grad_keys = table * (2 * total)[:, None] - 2 * scatter_rows(flat, grad, p, rows)
        if grad_keys is not None:
            grad_keys = grad_keys.view(q, m, d_k)
        return grad_p, grad_keys, None, None


def top_similarity(p: Tensor, keys: Tensor, kind: str, delta: int) -> tuple[Tensor, Tensor]:
    """``torch.topk(similarity(p, keys, kind), delta, dim=-1)`` as ``(values, indices)``,
    both ``[B, q, delta]``, with a backward that costs ``O(B q delta d_k)``."""
    return _TopSimilarity.apply(p, keys, kind, delta)


def _flat(winners: Tensor, num_memories: int) -> Tensor:
    """Index of each (sample, key set) winner in the flattened ``[q * m]`` key table."""
    offsets = torch.arange(winners.shape[1], device=winners.device) * num_memories
    return (winners + offsets).reshape(-1)


def count_wins(winners: Tensor, num_memories: int) -> Tensor:
    """How many samples of the batch each key won, ``[q, m]``."""
    q = winners.shape[1]
    flat = _flat(winners, num_memories)
    return torch.bincount(flat, minlength=q * num_memories).view(q, num_memories)


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
