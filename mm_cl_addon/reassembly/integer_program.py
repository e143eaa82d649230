"""DeRy's reassembly search as an exact 0-1 integer program, solved with pulp/CBC.

The public DeRy code samples block chains at random; here the best chain under parameter and FLOP
budgets is found exactly. Binary x[g, i] picks block i of group g (one per group); the adapter
between groups g and g + 1 depends on the pair, so each compatible pair (i, j) has a flow
variable y[g, i, j] in [0, 1], and a chain is one unit of flow through the groups: the flow out
of block i equals x[g, i], the flow into block j equals x[g+1, j]. This path formulation is the
product y = x_i x_j (a unit of flow takes one edge per join), and without budgets its LP
relaxation already has integral optima, so branch and bound has only the two budget rows to work
on: at 100 models x 4 groups it solved in 3 s where the product linearisation took 152 s
(y <= x_a, y <= x_b, y >= x_a + x_b - 1; docs/benchmarks.md). Budgets bound blocks' plus
adapters' totals; the objective maximises the sum of the chosen blocks' scores. Top-M distinct
chains come from re-solving with a no-good cut per found chain: sum of its chosen x's <= K - 1.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import product
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pulp


KINDS = ('cnn', 'vit')
AdapterCost = Callable[['Block', 'Block'], 'tuple[float, float]']


def _solver() -> ModuleType:
    """pulp, imported when a search runs: ``import mm_cl_addon`` does not pay for it."""
    import pulp
    return pulp


@dataclass(frozen=True)
class Block:
    """A candidate block: a slice of a source model that can fill one group (depth stage)."""

    name: str
    score: float
    params: float
    flops: float
    kind: str
    in_dim: int
    out_dim: int

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f'Block {self.name!r}: kind must be one of {KINDS}, got {self.kind!r}')
        for field in ('params', 'flops', 'in_dim', 'out_dim'):
            if getattr(self, field) < 0:
                raise ValueError(f'Block {self.name!r}: {field} must be >= 0, '
                                 f'got {getattr(self, field)}')


@dataclass(frozen=True)
class Solution:
    """One chain: the chosen block per group; params and flops include the stitching adapters."""

    blocks: tuple[Block, ...]
    score: float
    params: float
    flops: float


def default_adapter_cost(a: Block, b: Block) -> tuple[float, float]:
    """Cost of a 1x1 conv / linear layer (with bias) mapping a's output to b's input.

    Zero when the kinds match and a.out_dim == b.in_dim. Params = out_dim(a) in_dim(b) + in_dim(b);
    FLOPs = out_dim(a) in_dim(b) multiply-adds per position (pixel or token): the resolution is
    not known here, so pass your own ``adapter_cost`` to count the whole feature map.
    """
    if a.kind == b.kind and a.out_dim == b.in_dim:
        return 0.0, 0.0
    return float(a.out_dim * b.in_dim + b.in_dim), float(a.out_dim * b.in_dim)


def compatible(a: Block, b: Block, allow_vit_to_cnn: bool) -> bool:
    """Whether b may follow a: tokens back into a CNN need ``allow_vit_to_cnn``."""
    return allow_vit_to_cnn or not (a.kind == 'vit' and b.kind == 'cnn')


class _Program:
    """The integer program for one instance, without budgets (add them with :meth:`bound`)."""

    def __init__(self, groups: Sequence[Sequence[Block]], adapter_cost: AdapterCost,
                 allow_vit_to_cnn: bool) -> None:
        pulp = _solver()
        self.groups = groups
        self.prob = pulp.LpProblem('reassembly', pulp.LpMaximize)
        self.x = {(g, i): pulp.LpVariable(f'x_{g}_{i}', cat=pulp.LpBinary)
                  for g, group in enumerate(groups) for i in range(len(group))}
        for g, group in enumerate(groups):
            self.prob += pulp.lpSum(self.x[g, i] for i in range(len(group))) == 1, f'one_{g}'
        params = [(self.x[g, i], b.params) for (g, i), b in self._blocks()]
        flops = [(self.x[g, i], b.flops) for (g, i), b in self._blocks()]
        for g in range(len(groups) - 1):
            out_flow = {i: [] for i in range(len(groups[g]))}
            in_flow = {j: [] for j in range(len(groups[g + 1]))}
            for i, j in product(range(len(groups[g])), range(len(groups[g + 1]))):
                a, b = groups[g][i], groups[g + 1][j]
                if not compatible(a, b, allow_vit_to_cnn):
                    continue
                y = pulp.LpVariable(f'y_{g}_{i}_{j}', 0, 1)
                out_flow[i].append(y)
                in_flow[j].append(y)
                adapter_params, adapter_flops = adapter_cost(a, b)
                params.append((y, adapter_params))
                flops.append((y, adapter_flops))
            for i, edges in out_flow.items():
                self.prob += pulp.lpSum(edges) == self.x[g, i], f'out_{g}_{i}'
            for j, edges in in_flow.items():
                self.prob += pulp.lpSum(edges) == self.x[g + 1, j], f'in_{g + 1}_{j}'
        self.params = pulp.LpAffineExpression(params)
        self.flops = pulp.LpAffineExpression(flops)
        self.score = pulp.lpSum(self.x[g, i] * b.score for (g, i), b in self._blocks())
        self.prob.setObjective(self.score)

    def _blocks(self) -> Iterator[tuple[tuple[int, int], Block]]:
        return (((g, i), b) for g, group in enumerate(self.groups) for i, b in enumerate(group))

    def bound(self, name: str, expr: pulp.LpAffineExpression, low: float | None,
              high: float | None) -> None:
        """Adds low <= expr <= high, each row scaled to O(1) so CBC's absolute tolerances fit."""
        for tag, limit in (('min', low), ('max', high)):
            if limit is None:
                continue
            scale = max([abs(limit), 1.0] + [abs(c) for c in expr.values()])
            scaled = expr / scale
            row = scaled >= limit / scale if tag == 'min' else scaled <= limit / scale
            self.prob += row, f'{tag}_{name}'

    def solve(self) -> bool:
        """Solves the current model; True when a feasible (hence optimal) chain was found."""
        pulp = _solver()
        status = self.prob.solve(pulp.PULP_CBC_CMD(msg=False))
        return pulp.LpStatus[status] == 'Optimal'

    def chosen(self) -> list[int]:
        """The block index picked in each group by the last solve."""
        return [next(i for i in range(len(group)) if self.x[g, i].value() > 0.5)
                for g, group in enumerate(self.groups)]

    def extreme(self, expr: pulp.LpAffineExpression, sense: int) -> float:
        """Min (sense=1) or max (sense=-1) of expr over compatible chains, budgets ignored."""
        pulp = _solver()
        self.prob.sense = sense
        self.prob.setObjective(expr)
        self.solve()
        return float(pulp.value(expr))


def chain_totals(blocks: Sequence[Block], adapter_cost: AdapterCost) -> tuple[float, float]:
    """Params and FLOPs of a chain, adapters included."""
    params = sum(b.params for b in blocks)
    flops = sum(b.flops for b in blocks)
    for a, b in zip(blocks[:-1], blocks[1:]):
        adapter_params, adapter_flops = adapter_cost(a, b)
        params += adapter_params
        flops += adapter_flops
    return params, flops


def solve_reassembly(groups: Sequence[Sequence[Block]], max_params: float | None = None,
                     min_params: float | None = None, max_flops: float | None = None,
                     min_flops: float | None = None,
                     adapter_cost: AdapterCost = default_adapter_cost,
                     allow_vit_to_cnn: bool = False, top_m: int = 1) -> list[Solution]:
    """The ``top_m`` best distinct chains (one block per group, groups ordered by depth).

    Returns fewer when fewer feasible chains exist. Raises ValueError naming the budget at fault
    when no chain is feasible.
    """
    pulp = _solver()
    _check(groups, max_params, min_params, max_flops, min_flops, top_m)
    program = _Program(groups, adapter_cost, allow_vit_to_cnn)
    program.bound('params', program.params, min_params, max_params)
    program.bound('flops', program.flops, min_flops, max_flops)
    solutions: list[Solution] = []
    while len(solutions) < top_m and program.solve():
        picked = program.chosen()
        blocks = tuple(group[i] for group, i in zip(groups, picked))
        params, flops = chain_totals(blocks, adapter_cost)
        solutions.append(Solution(blocks, sum(b.score for b in blocks), params, flops))
        program.prob += (pulp.lpSum(program.x[g, i] for g, i in enumerate(picked))
                         <= len(groups) - 1, f'nogood_{len(solutions)}')
    if not solutions:
        raise ValueError(_diagnose(groups, adapter_cost, allow_vit_to_cnn, (min_params, max_params),
                                   (min_flops, max_flops)))
    return solutions


def _check(groups: Sequence[Sequence[Block]], max_params: float | None, min_params: float | None,
           max_flops: float | None, min_flops: float | None, top_m: int) -> None:
    if not groups or any(len(group) == 0 for group in groups):
        raise ValueError(f'groups must be non-empty, each with >= 1 block; got sizes '
                         f'{[len(group) for group in groups]}')
    if top_m < 1:
        raise ValueError(f'top_m must be >= 1, got {top_m}')
    for name, low, high in (('params', min_params, max_params), ('flops', min_flops, max_flops)):
        if low is not None and high is not None and low > high:
            raise ValueError(f'min_{name}={low} exceeds max_{name}={high}')


def _diagnose(groups: Sequence[Sequence[Block]], adapter_cost: AdapterCost,
              allow_vit_to_cnn: bool, params: tuple[float | None, float | None],
              flops: tuple[float | None, float | None]) -> str:
    """Names the budget(s) that no compatible chain can meet, alone or jointly."""
    pulp = _solver()
    program = _Program(groups, adapter_cost, allow_vit_to_cnn)
    if not program.solve():
        return ('no compatible chain: every choice needs a vit -> cnn transition '
                '(set allow_vit_to_cnn=True to permit it)')
    faults = []
    for name, (low, high) in (('params', params), ('flops', flops)):
        least = program.extreme(getattr(program, name), pulp.LpMinimize)
        most = program.extreme(getattr(program, name), pulp.LpMaximize)
        if high is not None and high < least:
            faults.append(f'max_{name}={high} is below the minimum achievable {name} {least:g}')
        elif low is not None and low > most:
            faults.append(f'min_{name}={low} is above the maximum achievable {name} {most:g}')
        else:
            alone = _Program(groups, adapter_cost, allow_vit_to_cnn)
            alone.bound(name, getattr(alone, name), low, high)
            if not alone.solve():
                faults.append(f'no chain has {name} within [min_{name}={low}, max_{name}={high}] '
                              f'(achievable {least:g} to {most:g}, with gaps)')
    if not faults:
        faults.append(f'params budget [min_params={params[0]}, max_params={params[1]}] and '
                      f'flops budget [min_flops={flops[0]}, max_flops={flops[1]}] are each '
                      'feasible alone but not jointly')
    return 'no feasible reassembly: ' + '; '.join(faults)
