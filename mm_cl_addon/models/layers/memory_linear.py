"""``MemoryLinear``: a linear layer whose weights are read from a key-value memory.

Memory head of Tiezzi et al. (CoLLAs 2024), on the continual neural unit of
"Continual Neural Computation": the input selects, by similarity to learned
keys, a few memory units whose attention-weighted sum is the weight matrix used
for that very input. Inputs far apart use different units, so learning a new
task overwrites less of what old tasks use. See ``docs/memory_head.md``.
"""
from __future__ import annotations

import math
import warnings

import torch
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

from .memory_keys import (
    SIMILARITIES,
    ad_hoc_update,
    count_wins,
    gather_rows,
    scatter_rows,
    scramble,
    top_similarity,
)

PSIS = ('identity', 'sign', 'resize')
MEMORY_UPDATES = ('vanilla', 'WTA')
KEY_UPDATES = ('ad_hoc_WTA', 'grad_WTA', 'grad_not_WTA')
KEY_INITS = ('normal', 'uniform')
# _SparseRead's CSR mask is internal to one forward: the beta notice is not for our users.
warnings.filterwarnings('ignore', message='Sparse CSR tensor support is in beta state',
                        category=UserWarning)


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f'{name} must be one of {choices}, got {value!r}')


def _winner_only(t: Tensor, dim: int) -> Tensor:
    """Same values; the gradient passes only through index 0 (the top-1) along ``dim``."""
    rest = t.narrow(dim, 1, t.shape[dim] - 1).detach()
    return torch.cat([t.narrow(dim, 0, 1), rest], dim)


class _SparseRead(torch.autograd.Function):
    """:func:`read_memory`: a sparse product in forward and backward.

    The weights ``W(x)`` of every sample are a weighted sum of only ``delta`` of the
    ``m`` units, so the layer is a sparse matrix ``[B, q m r]`` (sample x weight
    row, ``B q delta r`` non-zeros) against dense operands. Gathering the attended
    units (``[B, delta, out, d+1]``, 13 MB at ``d = 512``) or multiplying by every
    unit (``m / delta`` times the work) is what made the layer slow; here every
    step is one sparse kernel reading the weight rows in place, with no per-sample
    weight matrix:

    * forward: ``z = <row, x_b>`` for every used (sample, row) pair by
      ``sampled_addmm`` (a CSR mask), then ``y = sum_k attn_k z_k`` (small);
    * backward: ``c = attn * dy`` per used pair; ``dx = C @ rows`` (an
      ``embedding_bag`` weighted by ``c``), ``dmemories = C^T @ x`` (a COO
      product; under WTA only the winners' pairs), ``dattn = sum dy z``.

    The memory gradient (as large as the memory) is written into ``grad_buffer``,
    allocated by :func:`read_memory` before the forward: right after the optimizer
    freed the previous step's gradient, the allocator hands back those pages,
    while a buffer taken in backward is often fresh memory from the system, whose
    page faults cost more than the product itself (measured in
    ``benchmarks/memory_head.py``).
    """

    @staticmethod
    def forward(ctx, x: Tensor, memories: Tensor, attn: Tensor, idx: Tensor,
                winner_only: bool, grad_buffer: Tensor | None) -> Tensor:
        q, m, unit = memories.shape
        batch, width = x.shape
        rows = unit // width
        idx, order = idx.sort(dim=-1)  # CSR order; the sum over k does not depend on it
        # (unit set s, key j, row i) -> row (s m + j) r + i of the [q m r, width] table
        cols = ((idx + torch.arange(0, q * m, m, device=x.device)[:, None])[..., None] * rows
                + torch.arange(rows, device=x.device))
        table = memories.view(q * m * rows, width)
        crow = torch.arange(0, (batch + 1) * cols[0].numel(), cols[0].numel(), device=x.device)
        mask = torch.sparse_csr_tensor(crow, cols.reshape(-1), x.new_zeros(cols.numel()),
                                       (batch, len(table)), check_invariants=False)
        z = torch.sparse.sampled_addmm(mask, x, table.t(), beta=0.0).values().view(cols.shape)
        attn = attn.gather(-1, order)
        ctx.save_for_backward(x, table, attn, cols, order, z)
        ctx.winner_only, ctx.shape = winner_only, memories.shape
        ctx.grad_buffer = grad_buffer
        return (attn[..., None] * z).sum(2).view(batch, -1)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor):
        x, table, attn, cols, order, z = ctx.saved_tensors
        batch, q, _, rows = cols.shape
        grad = grad.reshape(batch, q, 1, rows)
        coef = attn[..., None] * grad  # [B, q, delta, r]: dL/dz of every used pair
        grad_x = grad_memories = grad_attn = None
        if ctx.needs_input_grad[0]:
            grad_x = gather_rows(cols.view(batch, -1), coef.view(batch, -1), table)
        if ctx.needs_input_grad[1]:
            used, weight = cols, coef
            if ctx.winner_only:  # the top-1 sits where order == 0
                pick = order.argsort(dim=-1)[..., :1, None].expand(-1, -1, -1, rows)
                used, weight = cols.gather(2, pick), coef.gather(2, pick)
            # hand the buffer over: a second backward (retain_graph) must not overwrite .grad
            buffer, ctx.grad_buffer = ctx.grad_buffer, None
            grad_memories = scatter_rows(used.reshape(batch, -1), weight.reshape(batch, -1), x,
                                         len(table), out=buffer).view(ctx.shape)
        if ctx.needs_input_grad[2]:
            grad_attn = torch.empty_like(attn).scatter_(-1, order, (grad * z).sum(-1))
        return grad_x, grad_memories, grad_attn, None, None, None


def read_memory(x: Tensor, memories: Tensor, attn: Tensor, idx: Tensor,
                winner_only: bool) -> Tensor:
    """``y_b = W_b x_b`` with ``W_b = sum_k attn[b, :, k] memories[:, idx[b, :, k]]``.

    ``x [B, c]`` (the bias column already appended), ``memories [q, m, r * c]``
    (a unit is ``r`` weight rows of width ``c``), ``attn`` and ``idx [B, q, delta]``;
    output ``[B, q * r]``. ``winner_only``: only position 0 of ``idx`` (the top-1)
    gets a memory gradient; ``x`` and ``attn`` get theirs through every unit (WTA
    only stops the other units from learning). See :class:`_SparseRead`.
    """
    grad_buffer = None
    if torch.is_grad_enabled() and memories.requires_grad:
        grad_buffer = torch.empty_like(memories, memory_format=torch.contiguous_format)
    return _SparseRead.apply(x, memories, attn, idx, winner_only, grad_buffer)


class MemoryLinear(nn.Module):
    """``y = W(x) [x; 1]`` with ``W(x) = sum_j a_j(x) M_j`` over the top-``delta`` keys.

    Args:
        in_features: input width ``d``.
        out_features: output width.
        num_memories: keys (and memory units) per key set, ``m``.
        delta: how many best-matching keys are attended.
        shared_keys: one key set whose units are whole weight matrices; otherwise
            one key set per output neuron whose units are single weight rows.
        psi: input-to-key-space map, ``'identity'``, ``'sign'`` or ``'resize'``
            (a fixed random Gaussian projection to ``key_dim``).
        key_dim: key width for ``psi='resize'`` (required there, refused elsewhere).
        similarity: ``'cosine'``, ``'dot_scaled'`` or ``'euclidean'``.
        key_init: initial keys, ``'normal'`` (``N(0, 1)``) or ``'uniform'``
            (``U(-1/sqrt(d_k), 1/sqrt(d_k))``, the public code's): with distance-based
            similarity the spread of the first keys decides which inputs they can win.
        gamma: softmax temperature on the kept similarities.
        memory_update: ``'vanilla'`` (every attended unit learns) or ``'WTA'``
            (only the winner's unit gets gradient).
        key_update: ``'grad_not_WTA'`` / ``'grad_WTA'`` (keys are parameters,
            trained through all attended keys / the winner only) or
            ``'ad_hoc_WTA'`` (keys are buffers moved by :meth:`update_keys`).
        key_lr: step of the ad hoc key rule, in ``(0, 1]``.
        layer_norm: LayerNorm the input before everything else.
        scramble: move rarely used old keys onto poorly matched inputs in
            :meth:`update_keys` (thresholds ``tau_alpha`` on the win rate,
            ``tau_mu`` on age in samples, ``tau_eta`` on the winner's similarity).
        bias: append a constant 1 to the input, so every unit carries a bias.
    """

    def __init__(self, in_features: int, out_features: int, num_memories: int, delta: int = 1,
                 *, shared_keys: bool = False, psi: str = 'identity', key_dim: int | None = None,
                 similarity: str = 'cosine', key_init: str = 'normal', gamma: float = 1.0,
                 memory_update: str = 'vanilla', key_update: str = 'grad_not_WTA',
                 key_lr: float = 0.01, layer_norm: bool = False, scramble: bool = False,
                 tau_alpha: float = 0.01, tau_mu: int = 500, tau_eta: float = 0.5,
                 bias: bool = True) -> None:
        super().__init__()
        for name, value in (('in_features', in_features), ('out_features', out_features),
                            ('num_memories', num_memories)):
            if value < 1:
                raise ValueError(f'{name} must be >= 1, got {value}')
        if not 1 <= delta <= num_memories:
            raise ValueError(f'delta must be in [1, num_memories={num_memories}], got {delta}')
        _check_choice('psi', psi, PSIS)
        _check_choice('similarity', similarity, SIMILARITIES)
        _check_choice('key_init', key_init, KEY_INITS)
        _check_choice('memory_update', memory_update, MEMORY_UPDATES)
        _check_choice('key_update', key_update, KEY_UPDATES)
        if gamma <= 0:
            raise ValueError(f'gamma must be > 0, got {gamma}')
        if not 0 < key_lr <= 1:
            raise ValueError(f'key_lr must be in (0, 1], got {key_lr}')
        if (psi == 'resize') != (key_dim is not None):
            raise ValueError(f"key_dim is required with psi='resize' and only there, "
                             f'got key_dim={key_dim} with psi={psi!r}')
        if key_dim is not None and key_dim < 1:
            raise ValueError(f'key_dim must be >= 1, got {key_dim}')
        self.in_features, self.out_features = in_features, out_features
        self.num_memories, self.delta, self.shared_keys = num_memories, delta, shared_keys
        self.psi, self.similarity, self.key_init, self.gamma = psi, similarity, key_init, gamma
        self.memory_update, self.key_update, self.key_lr = memory_update, key_update, key_lr
        self.scramble = scramble
        self.tau_alpha, self.tau_mu, self.tau_eta = tau_alpha, tau_mu, tau_eta
        self.bias = bias

        row = in_features + int(bias)
        sets, unit = (1, out_features * row) if shared_keys else (out_features, row)
        self.key_dim = key_dim or in_features
        self.norm = nn.LayerNorm(in_features) if layer_norm else None
        if psi == 'resize':  # Johnson-Lindenstrauss: roughly preserves norms and angles
            self.register_buffer(
                'projection', torch.randn(in_features, self.key_dim) / math.sqrt(self.key_dim))
        if key_init == 'uniform':
            spread = 1 / math.sqrt(self.key_dim)
            keys = torch.empty(sets, num_memories, self.key_dim).uniform_(-spread, spread)
        else:
            keys = torch.randn(sets, num_memories, self.key_dim)
        if key_update == 'ad_hoc_WTA':
            self.register_buffer('keys', keys)
        else:
            self.keys = nn.Parameter(keys)
        bound = 1 / math.sqrt(row)  # nn.Linear's initial range
        self.memories = nn.Parameter(torch.empty(sets, num_memories, unit).uniform_(-bound, bound))
        self.register_buffer('wins', torch.zeros(sets, num_memories, dtype=torch.long))
        self.register_buffer('age', torch.zeros(sets, num_memories, dtype=torch.long))
        self._last: tuple[Tensor, Tensor, Tensor] | None = None

    def map_input(self, x: Tensor) -> Tensor:
        """``psi(x)``: the (already normalised) input in key space."""
        if self.psi == 'sign':
            return torch.sign(x)
        if self.psi == 'resize':
            return x @ self.projection
        return x

    def attention(self, p: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Top-``delta`` attention: weights ``[B, q, delta]``, key indices, similarities."""
        values, indices = top_similarity(p, self.keys, self.similarity, self.delta)
        top = _winner_only(values, -1) if self.key_update == 'grad_WTA' else values
        if self.gamma != 1:
            top = top / self.gamma
        return torch.softmax(top, dim=-1), indices, values

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 2 or x.shape[1] != self.in_features:
            raise ValueError(f'x must have shape [batch, {self.in_features}], got {tuple(x.shape)}')
        if self.norm is not None:
            x = self.norm(x)
        p = self.map_input(x)
        attn, idx, sim = self.attention(p)
        if self.training:
            self._last = (p.detach(), idx, sim.detach())  # update_keys takes the winners
        if self.bias:
            x = torch.cat([x, x.new_ones(len(x), 1)], dim=1)
        return read_memory(x, self.memories, attn, idx, self.memory_update == 'WTA')

    @torch.no_grad()
    def update_keys(self) -> None:
        """Apply scrambling, the win/age counters and the ad hoc key rule for the last forward.

        Call once per training step after ``backward()``: the forward's output
        already used the keys from before this update. A no-op in eval mode or
        when no training forward happened since the last call.
        """
        if not self.training or self._last is None:
            return
        p, idx, sim = self._last
        winners, winner_sim = idx[..., 0], sim[..., 0]
        self._last = None
        fired = None
        if self.scramble:
            winners, fired = scramble(self.keys.data, p, winners, winner_sim, self.wins, self.age,
                                      self.tau_alpha, self.tau_mu, self.tau_eta)
        self.wins += count_wins(winners, self.num_memories)
        self.age += len(p)
        if fired is not None and fired.any():
            sets = torch.arange(winners.shape[1], device=p.device)[None].expand_as(winners)
            self.wins[sets[fired], winners[fired]] = 1  # born on, and won, this one sample
            self.age[sets[fired], winners[fired]] = 1
        if self.key_update == 'ad_hoc_WTA':
            self.keys.copy_(ad_hoc_update(self.keys, p, winners, self.key_lr,
                                          self.similarity == 'cosine'))

    def extra_repr(self) -> str:
        return (f'in_features={self.in_features}, out_features={self.out_features}, '
                f'num_memories={self.num_memories}, delta={self.delta}, '
                f'shared_keys={self.shared_keys}, psi={self.psi}, similarity={self.similarity}, '
                f'memory_update={self.memory_update}, key_update={self.key_update}, '
                f'scramble={self.scramble}')
