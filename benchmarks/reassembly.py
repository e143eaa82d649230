"""DeRy's reassembly search: solve_reassembly (0-1 integer program, pulp/CBC) against exhaustive
enumeration of every chain, on a synthetic 24-model, K=4 partition.

The partition: 24 zoo models (14 CNNs, 10 ViTs) cut into K groups, so each group has 24
candidate blocks and there are 24^K chains. Drawn from ``--seed``: a CNN has a base width in
{32, 48, 64, 96} doubling per stage, 1-6 basic blocks per stage at a 56/2^g grid; a ViT a width
in {192, 384, 768} and 2-6 transformer blocks per group on 197 tokens. Params and FLOPs follow
from those shapes (3x3 convs; 12 d^2 per transformer block plus attention); a block's score is
its model's quality (0.8-1.2) times (1 + 0.1 log10 params) plus noise, so bigger blocks score
higher and the budgets bind. Adapters cost ``default_adapter_cost``; vit -> cnn is not allowed
(the defaults). Budgets: max_params and max_flops at the ``--quantile`` of all compatible
chains' totals.

Enumeration scores all 24^4 = 331,776 chains at once with numpy broadcasting (adapter tables by
the same ``adapter_cost`` callable, 3 x 24 x 24 calls, counted in its time) and takes the best
feasible one; both ways must give the same chain and score, and the same top ``--top-m``
chains. For larger K (``--ip-only-k``) only the integer program runs, with budgets at the same
quantile of 200,000 uniformly sampled chains, and the enumeration time is extrapolated from its
measured time per chain at K=4 (it would also need chunking: 24^6 chains do not fit in memory).

usage: python benchmarks/reassembly.py [--seed 0] [--repeats 3] [--quantile 0.3] [--top-m 5]
       [--ip-only-k 6 8]
"""
from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mm_cl_addon.reassembly import Block, default_adapter_cost, solve_reassembly
from mm_cl_addon.reassembly.integer_program import compatible

NUM_MODELS, NUM_CNN = 24, 14


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Best wall time of ``repeats`` runs (the least disturbed) and the last result."""
    best, result = float('inf'), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def make_groups(num_groups: int, seed: int, num_models: int = NUM_MODELS) -> list[list[Block]]:
    """groups[g][m]: model m's g-th block, as described in the module docstring (other zoo
    sizes keep the share of CNNs, 14 in 24)."""
    rng = np.random.default_rng(seed)
    num_cnn = round(num_models * NUM_CNN / NUM_MODELS)
    groups: list[list[Block]] = [[] for _ in range(num_groups)]
    for m in range(num_models):
        quality = rng.uniform(0.8, 1.2)
        if m < num_cnn:
            width = int(rng.choice([32, 48, 64, 96]))
            for g in range(num_groups):
                cin, cout = width * 2 ** max(g - 1, 0), width * 2 ** g
                depth, side = int(rng.integers(1, 7)), max(56 // 2 ** g, 1)
                params = 9 * cin * cout + (2 * depth - 1) * 9 * cout * cout + 4 * depth * cout
                flops = (params - 4 * depth * cout) * side * side
                groups[g].append(block(f'cnn{m}.{g}', quality, params, flops, 'cnn', cin, cout,
                                       rng))
        else:
            dim, tokens = int(rng.choice([192, 384, 768])), 197
            for g in range(num_groups):
                depth = int(rng.integers(2, 7))
                params = depth * (12 * dim * dim + 13 * dim)
                flops = depth * (12 * dim * dim * tokens + 2 * tokens * tokens * dim)
                groups[g].append(block(f'vit{m}.{g}', quality, params, flops, 'vit', dim, dim,
                                       rng))
    return groups


def block(name: str, quality: float, params: int, flops: int, kind: str, cin: int, cout: int,
          rng: np.random.Generator) -> Block:
    score = quality * (1 + 0.1 * np.log10(params)) + rng.normal(0, 0.05)
    return Block(name, float(score), float(params), float(flops), kind, cin, cout)


def group_arrays(groups: Sequence[Sequence[Block]], adapter_cost: Callable = default_adapter_cost,
                 allow_vit_to_cnn: bool = False) -> dict[str, list[np.ndarray]]:
    """Per group: score, params, FLOPs vectors; per join g -> g + 1: adapter params, FLOPs and
    compatibility matrices (by the same callables as the integer program)."""
    arrays: dict[str, list[np.ndarray]] = {key: [] for key in (
        'score', 'params', 'flops', 'adapter_params', 'adapter_flops', 'ok')}
    for group in groups:
        for key in ('score', 'params', 'flops'):
            arrays[key].append(np.array([getattr(b, key) for b in group]))
    for a_group, b_group in zip(groups[:-1], groups[1:]):
        costs = np.array([[adapter_cost(a, b) for b in b_group] for a in a_group])
        arrays['adapter_params'].append(costs[..., 0])
        arrays['adapter_flops'].append(costs[..., 1])
        arrays['ok'].append(np.array([[compatible(a, b, allow_vit_to_cnn) for b in b_group]
                                      for a in a_group]))
    return arrays


def chain_tables(groups: Sequence[Sequence[Block]]) -> dict[str, np.ndarray]:
    """Score, params, FLOPs and compatibility of every chain, as K-dimensional arrays."""
    arrays, k = group_arrays(groups), len(groups)
    n = [len(group) for group in groups]

    def spread(values: np.ndarray, *axes: int) -> np.ndarray:
        shape = [1] * k
        for axis in axes:
            shape[axis] = n[axis]
        return values.reshape(shape)

    tables = {key: sum(spread(v, g) for g, v in enumerate(arrays[key]))
              for key in ('score', 'params', 'flops')}
    for key in ('params', 'flops'):
        tables[key] = tables[key] + sum(spread(v, g, g + 1)
                                        for g, v in enumerate(arrays[f'adapter_{key}']))
    ok = np.ones(n, dtype=bool)
    for g, allowed in enumerate(arrays['ok']):
        ok = ok & spread(allowed, g, g + 1)
    return {**tables, 'score': np.broadcast_to(tables['score'], n), 'ok': ok}


def sampled_tables(groups: Sequence[Sequence[Block]], samples: int, seed: int
                   ) -> dict[str, np.ndarray]:
    """The same for ``samples`` chains drawn uniformly (for K too large to enumerate)."""
    arrays = group_arrays(groups)
    rng = np.random.default_rng(seed)
    idx = [rng.integers(len(group), size=samples) for group in groups]
    tables = {key: sum(v[i] for v, i in zip(arrays[key], idx))
              for key in ('score', 'params', 'flops')}
    for key in ('params', 'flops'):
        tables[key] = tables[key] + sum(v[a, b] for v, a, b in
                                        zip(arrays[f'adapter_{key}'], idx[:-1], idx[1:]))
    tables['ok'] = np.logical_and.reduce([v[a, b] for v, a, b in
                                          zip(arrays['ok'], idx[:-1], idx[1:])])
    return tables


def enumerate_best(groups: Sequence[Sequence[Block]], max_params: float, max_flops: float,
                   top_m: int) -> list[tuple[tuple[int, ...], float]]:
    """The ``top_m`` best feasible chains (block index per group) and scores, best first."""
    tables = chain_tables(groups)
    feasible = tables['ok'] & (tables['params'] <= max_params) & (tables['flops'] <= max_flops)
    scores = np.where(feasible, tables['score'], -np.inf).ravel()
    top = np.argpartition(-scores, top_m - 1)[:top_m]
    top = top[np.argsort(-scores[top], kind='stable')]
    return [(tuple(int(i) for i in np.unravel_index(t, tables['ok'].shape)), float(scores[t]))
            for t in top if np.isfinite(scores[t])]


def budgets(tables: dict[str, np.ndarray], quantile: float) -> tuple[float, float, dict]:
    """max_params, max_flops at ``quantile`` of the compatible chains of ``tables``, and what
    they leave: how many chains fit, and the totals of the best chain without budgets."""
    ok = tables['ok']
    max_params = float(np.quantile(tables['params'][ok], quantile))
    max_flops = float(np.quantile(tables['flops'][ok], quantile))
    best = np.unravel_index(np.argmax(np.where(ok, tables['score'], -np.inf)), ok.shape)
    feasible = ok & (tables['params'] <= max_params) & (tables['flops'] <= max_flops)
    info = {'chains': ok.size, 'compatible': int(ok.sum()), 'feasible': int(feasible.sum()),
            'best_params': float(tables['params'][best]),
            'best_flops': float(tables['flops'][best])}
    info['binds'] = info['best_params'] > max_params or info['best_flops'] > max_flops
    return max_params, max_flops, info


def ip_chains(groups: Sequence[Sequence[Block]], max_params: float | None,
              max_flops: float | None, top_m: int) -> list[tuple[tuple[int, ...], float]]:
    solutions = solve_reassembly(groups, max_params=max_params, max_flops=max_flops, top_m=top_m)
    index = [{b.name: i for i, b in enumerate(group)} for group in groups]
    return [(tuple(index[g][b.name] for g, b in enumerate(s.blocks)), s.score)
            for s in solutions]


def same(a: list, b: list) -> bool:
    return [c for c, _ in a] == [c for c, _ in b] and np.allclose([s for _, s in a],
                                                                   [s for _, s in b])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--quantile', type=float, default=0.3)
    parser.add_argument('--top-m', type=int, default=5)
    parser.add_argument('--ip-only-k', type=int, nargs='*', default=[6, 8])
    args = parser.parse_args()

    groups = make_groups(4, args.seed)
    max_params, max_flops, info = budgets(chain_tables(groups), args.quantile)
    print(f'{NUM_MODELS} models ({NUM_CNN} cnn, {NUM_MODELS - NUM_CNN} vit), K=4: '
          f'{info["chains"]:,} chains, {info["compatible"]:,} compatible (no vit -> cnn), '
          f'{info["feasible"]:,} within budgets')
    print(f'budgets ({args.quantile:g} quantile of compatible chains): max_params '
          f'{max_params:,.0f}, max_flops {max_flops:,.0f}; the best chain without budgets has '
          f'params {info["best_params"]:,.0f}, flops {info["best_flops"]:,.0f}; '
          f'budgets bind: {info["binds"]}')

    rows = []
    for top_m in (1, args.top_m):
        t_ip, ip = timed(lambda m=top_m: ip_chains(groups, max_params, max_flops, m),
                         args.repeats)
        t_en, en = timed(lambda m=top_m: enumerate_best(groups, max_params, max_flops, m),
                         args.repeats)
        if not same(ip, en):
            raise SystemExit(f'MISMATCH top_m={top_m}: integer program {ip} vs enumeration {en}')
        rows.append((top_m, t_ip, t_en, ip[0]))
    print('\n| search | integer program (s) | enumeration (s) | IP / enumeration | same optimum |')
    print('|---|---|---|---|---|')
    for top_m, t_ip, t_en, _ in rows:
        print(f'| K=4, top {top_m} | {t_ip:.3f} | {t_en:.3f} | {t_ip / t_en:.1f} | yes |')
    chain, score = rows[0][3]
    print(f'\nbest chain: {[groups[g][i].name for g, i in enumerate(chain)]}, score {score:.4f}')

    per_chain = rows[0][2] / 24 ** 4
    for k in args.ip_only_k:
        big = make_groups(k, args.seed)
        p, f, info = budgets(sampled_tables(big, 200_000, args.seed), args.quantile)
        t_ip, _ = timed(lambda big=big, p=p, f=f: ip_chains(big, p, f, 1), args.repeats)
        enum = per_chain * 24 ** k
        print(f'K={k} (budgets at the {args.quantile:g} quantile of 200,000 sampled chains, '
              f'bind: {info["binds"]}): integer program {t_ip:.3f} s; enumeration of '
              f'24^{k} = {24 ** k:,} chains extrapolated {enum:,.0f} s '
              f'(enumeration / IP = {enum / t_ip:,.0f})')


if __name__ == '__main__':
    main()
