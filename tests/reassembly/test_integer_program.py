"""The integer program against brute-force enumeration of every chain."""
from __future__ import annotations

import random
from itertools import product

import pytest

from mm_cl_addon.reassembly import Block, default_adapter_cost, solve_reassembly
from mm_cl_addon.reassembly.integer_program import chain_totals, compatible


def random_instance(rng: random.Random) -> tuple[list[list[Block]], dict]:
    groups = [[Block(f'g{g}b{i}', rng.uniform(0, 10), rng.randint(1, 50), rng.randint(1, 80),
                     rng.choice(['cnn', 'vit']), rng.choice([2, 4]), rng.choice([2, 4]))
               for i in range(rng.randint(2, 4))] for g in range(3)]
    budgets = {}
    for name, scale in (('params', 150), ('flops', 200)):
        low, high = sorted(rng.randint(0, scale) for _ in range(2))
        if rng.random() < 0.7:
            budgets[f'min_{name}'] = low
        if rng.random() < 0.8:
            budgets[f'max_{name}'] = high
    return groups, budgets


def brute_force(groups, min_params=None, max_params=None, min_flops=None, max_flops=None,
                allow_vit_to_cnn=False) -> list[tuple[float, tuple[str, ...]]]:
    """Every feasible chain's (score, names), best first."""
    found = []
    for chain in product(*groups):
        if not all(compatible(a, b, allow_vit_to_cnn) for a, b in zip(chain[:-1], chain[1:])):
            continue
        params, flops = chain_totals(chain, default_adapter_cost)
        if ((min_params is not None and params < min_params)
                or (max_params is not None and params > max_params)
                or (min_flops is not None and flops < min_flops)
                or (max_flops is not None and flops > max_flops)):
            continue
        found.append((sum(b.score for b in chain), tuple(b.name for b in chain)))
    return sorted(found, reverse=True)


@pytest.mark.parametrize('seed', range(20))
def test_matches_brute_force(seed: int) -> None:
    groups, budgets = random_instance(random.Random(seed))
    allow = seed % 3 == 0
    expected = brute_force(groups, allow_vit_to_cnn=allow, **budgets)
    if not expected:
        with pytest.raises(ValueError, match='no feasible reassembly|no compatible chain'):
            solve_reassembly(groups, allow_vit_to_cnn=allow, **budgets)
        return
    solutions = solve_reassembly(groups, allow_vit_to_cnn=allow, top_m=4, **budgets)
    assert len(solutions) == min(4, len(expected))
    assert [s.score for s in solutions] == pytest.approx([e[0] for e in expected[:4]])
    names = [tuple(b.name for b in s.blocks) for s in solutions]
    assert len(set(names)) == len(names)
    feasible = {e[1] for e in expected}
    for sol, chain in zip(solutions, names):
        assert chain in feasible
        params, flops = chain_totals(sol.blocks, default_adapter_cost)
        assert (sol.params, sol.flops) == (params, flops)
        assert budgets.get('min_params', 0) <= params <= budgets.get('max_params', float('inf'))
        assert budgets.get('min_flops', 0) <= flops <= budgets.get('max_flops', float('inf'))


def test_some_random_instances_are_infeasible_and_some_not() -> None:
    """The random sweep above exercises both branches."""
    outcomes = set()
    for seed in range(20):
        groups, budgets = random_instance(random.Random(seed))
        outcomes.add(bool(brute_force(groups, allow_vit_to_cnn=seed % 3 == 0, **budgets)))
    assert outcomes == {True, False}


def cnn(name: str, score: float, params: float, flops: float, dim: int = 8) -> Block:
    return Block(name, score, params, flops, 'cnn', dim, dim)


def test_budget_picks_lower_scoring_chain() -> None:
    groups = [[cnn('big', 5, 100, 10), cnn('small', 1, 10, 10)], [cnn('mid', 2, 20, 10)]]
    assert [b.name for b in solve_reassembly(groups)[0].blocks] == ['big', 'mid']
    best = solve_reassembly(groups, max_params=50)[0]
    assert [b.name for b in best.blocks] == ['small', 'mid']
    assert (best.score, best.params, best.flops) == (3, 30, 20)


def test_adapter_cost_counts_in_budget() -> None:
    # big -> b needs an 8 -> 4 adapter: 8 * 4 + 4 = 36 params, 32 FLOPs per position.
    a = [Block('wide', 5, 10, 10, 'cnn', 8, 8), Block('narrow', 4, 10, 10, 'cnn', 4, 4)]
    b = [Block('b', 1, 10, 10, 'cnn', 4, 4)]
    assert default_adapter_cost(a[0], b[0]) == (36.0, 32.0)
    assert solve_reassembly([a, b])[0].params == 56
    assert [s.blocks[0].name for s in solve_reassembly([a, b], max_params=55)] == ['narrow']


def test_error_names_tightest_constraint() -> None:
    groups = [[cnn('a', 1, 10, 100), cnn('b', 2, 20, 50)], [cnn('c', 1, 5, 5)]]
    with pytest.raises(ValueError, match='max_params=14 is below the minimum achievable params 15'):
        solve_reassembly(groups, max_params=14, max_flops=1000)
    with pytest.raises(ValueError, match='min_flops=200 is above the maximum achievable flops 105'):
        solve_reassembly(groups, min_flops=200)
    with pytest.raises(ValueError, match=r'max_params=1 .*; max_flops=2 '):
        solve_reassembly(groups, max_params=1, max_flops=2)
    # a: 15 params, 105 flops; b: 25 params, 55 flops. Each budget alone fits one chain.
    with pytest.raises(ValueError, match='feasible alone but not jointly'):
        solve_reassembly(groups, max_params=20, max_flops=60)
    with pytest.raises(ValueError, match=r'no chain has params within \[min_params=16'):
        solve_reassembly(groups, min_params=16, max_params=24)


def test_vit_to_cnn_refused_unless_allowed() -> None:
    groups = [[Block('v', 9, 1, 1, 'vit', 4, 4), cnn('c0', 1, 1, 1, dim=4)],
              [cnn('c1', 1, 1, 1, dim=4)]]
    assert [b.name for b in solve_reassembly(groups)[0].blocks] == ['c0', 'c1']
    allowed = solve_reassembly(groups, allow_vit_to_cnn=True)[0]
    assert [b.name for b in allowed.blocks] == ['v', 'c1']
    # the kind change costs an adapter even at equal widths: 4 * 4 + 4 params.
    assert allowed.params == 2 + 20
    only_vit = [[groups[0][0]], groups[1]]
    with pytest.raises(ValueError, match='no compatible chain'):
        solve_reassembly(only_vit)


def test_top_m_returns_all_when_fewer_exist_and_is_deterministic() -> None:
    groups = [[cnn('a', 3, 1, 1), cnn('b', 2, 1, 1)], [cnn('c', 1, 1, 1), cnn('d', 0.5, 1, 1)]]
    solutions = solve_reassembly(groups, top_m=10)
    assert [s.score for s in solutions] == [4, 3.5, 3, 2.5]
    assert solutions == solve_reassembly(groups, top_m=10)


@pytest.mark.parametrize('kwargs, word', [({'top_m': 0}, 'top_m'),
                                          ({'min_params': 5, 'max_params': 1}, 'min_params=5'),
                                          ({'groups': [[]]}, 'groups')])
def test_bad_arguments(kwargs: dict, word: str) -> None:
    kwargs.setdefault('groups', [[cnn('a', 1, 1, 1)]])
    with pytest.raises(ValueError, match=word):
        solve_reassembly(**kwargs)


def test_bad_block_kind() -> None:
    with pytest.raises(ValueError, match="'rnn'"):
        Block('x', 1, 1, 1, 'rnn', 1, 1)
