"""DeRy's partition against brute-force enumeration of cuts and centres on small zoos."""
from __future__ import annotations

from itertools import product

import numpy as np
import pytest

from mm_cl_addon.reassembly.partition import (
    Partition,
    PartitionBlock,
    best_cuts,
    block_similarity,
    blocks_of,
    model_gain,
    node_tables,
    partition_zoo,
    size_bounds,
)
from mm_cl_addon.similarity import cka_matrix


def random_zoo(seed: int, lengths: tuple[int, ...]) -> tuple[dict[str, int], dict]:
    """Random similarities in [0, 1], each pair given once in a random orientation."""
    rng = np.random.default_rng(seed)
    num_nodes = {f'm{i}': length for i, length in enumerate(lengths)}
    sim = {}
    for a, b in product(num_nodes, num_nodes):
        if a < b:
            matrix = rng.uniform(size=(num_nodes[a], num_nodes[b]))
            if rng.random() < 0.5:
                sim[(a, b)] = matrix
            else:
                sim[(b, a)] = matrix.T
    return num_nodes, sim


def all_cuts(length: int, k: int, low: int, high: int) -> list[tuple[int, ...]]:
    found = []
    for sizes in product(range(low, high + 1), repeat=k):
        if sum(sizes) == length:
            found.append(tuple(np.cumsum((0, *sizes)).tolist()))
    return found


def brute_force_score(num_nodes: dict[str, int], sim: dict, k: int, eps: float) -> float:
    """Best total over every cut combination, each group's centre chosen exhaustively."""
    tables = node_tables(num_nodes, sim)
    options = [all_cuts(length, k, *size_bounds(m, length, k, eps))
               for m, length in num_nodes.items()]
    best = -np.inf
    for combo in product(*options):
        groups = zip(*(blocks_of(m, cuts) for m, cuts in zip(num_nodes, combo)))
        total = sum(max(sum(block_similarity(tables, other, centre) for other in members
                            if other is not centre) for centre in members) for members in groups)
        best = max(best, total)
    return best


def check_valid(part: Partition, num_nodes: dict[str, int], k: int, eps: float) -> None:
    for model, length in num_nodes.items():
        cuts = part.cuts(model)
        assert len(cuts) == k + 1 and cuts[0] == 0 and cuts[-1] == length
        for start, end in zip(cuts[:-1], cuts[1:]):
            assert abs((end - start) - length / k) <= eps * length / k + 1e-9
    for g, centre in enumerate(part.centres):
        assert centre.group == g and centre in part.group(g)
        assert len(part.group(g)) == len(num_nodes)


@pytest.mark.parametrize('seed', range(6))
def test_dp_matches_enumeration_of_one_models_cuts(seed):
    num_nodes, sim = random_zoo(seed, (4, 5, 6))
    tables = node_tables(num_nodes, sim)
    rng = np.random.default_rng(seed)
    k, eps = 2, 0.5
    bounds = {m: size_bounds(m, length, k, eps) for m, length in num_nodes.items()}
    options = {m: all_cuts(num_nodes[m], k, *bounds[m]) for m in num_nodes}
    cuts = {m: options[m][rng.integers(len(options[m]))] for m in num_nodes}
    centre_models = tuple(rng.choice(list(num_nodes), size=k).tolist())
    for model in num_nodes:
        gain = model_gain(tables, model, cuts, centre_models)
        value, best = best_cuts(num_nodes[model], k, *bounds[model], gain)
        brute = max(sum(gain(j, c[j], c[j + 1]) for j in range(k)) for c in options[model])
        assert value == pytest.approx(brute)
        assert sum(gain(j, best[j], best[j + 1]) for j in range(k)) == pytest.approx(value)


@pytest.mark.parametrize('seed', range(6))
def test_search_matches_brute_force(seed):
    num_nodes, sim = random_zoo(100 + seed, (4, 5, 6))
    part = partition_zoo(num_nodes, sim, K=2, eps=0.5, trial=30, seed=seed)
    check_valid(part, num_nodes, 2, 0.5)
    assert part.score == pytest.approx(brute_force_score(num_nodes, sim, 2, 0.5))


def test_cuts_cover_all_nodes_within_bounds():
    num_nodes, sim = random_zoo(7, (12, 17, 20, 9))
    for k, eps in ((1, 0.0), (3, 0.2), (4, 0.5)):
        check_valid(partition_zoo(num_nodes, sim, K=k, eps=eps, trial=3), num_nodes, k, eps)


def test_reproducible_from_seed():
    num_nodes, sim = random_zoo(8, (12, 17, 20, 9))
    first = partition_zoo(num_nodes, sim, K=3, eps=0.4, trial=2, seed=5)
    assert partition_zoo(num_nodes, sim, K=3, eps=0.4, trial=2, seed=5) == first
    others = {partition_zoo(num_nodes, sim, K=3, eps=0.4, trial=1, num_iter=0, seed=s).blocks
              for s in range(4)}
    assert len(others) > 1


def test_identical_models_get_identical_cuts():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(64, 16))

    def layers(depth: int, mix: float, seed: int) -> list[np.ndarray]:
        local = np.random.default_rng(seed)
        out, x = [], base
        for _ in range(depth):
            x = np.tanh(x @ (np.eye(16) + mix * local.normal(size=(16, 16))))
            out.append(x)
        return out

    feats = {'a': layers(8, 0.6, 1), 'c': layers(10, 0.6, 2)}
    feats['b'] = [x.copy() for x in feats['a']]
    num_nodes = {m: len(x) for m, x in feats.items()}
    sim = {(p, q): cka_matrix(feats[p], feats[q]).numpy() for p, q in (('a', 'b'), ('a', 'c'),
                                                                       ('b', 'c'))}
    part = partition_zoo(num_nodes, sim, K=3, eps=0.5)
    assert part.cuts('a') == part.cuts('b')


def test_infeasible_bounds_name_the_model():
    num_nodes, sim = random_zoo(9, (6, 5))
    with pytest.raises(ValueError, match="model 'm1'.*K=2"):
        partition_zoo(num_nodes, sim, K=2, eps=0.1)
    with pytest.raises(ValueError, match="model 'm0'"):
        partition_zoo({'m0': 2, 'm1': 6}, {('m0', 'm1'): np.zeros((2, 6))}, K=3)


def test_blocks_at_different_positions_are_similar():
    sim = {('x', 'y'): np.full((6, 6), 0.5)}
    tables = node_tables({'x': 6, 'y': 6}, sim)
    assert block_similarity(tables, PartitionBlock('x', 2, 4, 1),
                            PartitionBlock('y', 4, 6, 2)) == pytest.approx(1.0)
    assert block_similarity(tables, PartitionBlock('x', 0, 2, 0),
                            PartitionBlock('y', 0, 3, 1)) == pytest.approx(1.5)
    assert block_similarity(tables, PartitionBlock('x', 0, 2, 0),
                            PartitionBlock('y', 2, 4, 1)) == pytest.approx(0.5)


def test_bad_sim_and_arguments_are_named():
    with pytest.raises(ValueError, match=r"\('a', 'b'\)"):
        partition_zoo({'a': 4, 'b': 4}, {}, K=2)
    with pytest.raises(ValueError, match='shape'):
        partition_zoo({'a': 4, 'b': 4}, {('b', 'a'): np.zeros((4, 3))}, K=2)
    with pytest.raises(ValueError, match='symmetric'):
        partition_zoo({'a': 2, 'b': 2}, {('a', 'b'): np.eye(2), ('b', 'a'): np.ones((2, 2))}, K=1)
    with pytest.raises(ValueError, match='K must'):
        partition_zoo({'a': 4}, {}, K=0)
    with pytest.raises(ValueError, match="num_nodes\\['a'\\]"):
        partition_zoo({'a': 0}, {}, K=1)


def test_json_round_trip(tmp_path):
    num_nodes, sim = random_zoo(3, (5, 6, 7))
    part = partition_zoo(num_nodes, sim, K=2, trial=2)
    part.save(tmp_path / 'partition.json')
    assert Partition.load(tmp_path / 'partition.json') == part


@pytest.mark.parametrize('text, fault', [
    ('{"score": 1.0, "centres": [', 'is not valid JSON'),
    ('', r'is empty \(0 bytes\)'),
    ('[1, 2]', 'expected a mapping at the top level'),
    ('{"score": 1.0, "centres": []}', "is not a partition \\(KeyError: 'blocks'\\)"),
    ('{"score": 1.0, "centres": [], "blocks": ["a"]}', 'is not a partition \\(TypeError'),
])
def test_a_truncated_empty_or_wrong_partition_file_names_the_file(tmp_path, text, fault):
    path = tmp_path / 'partition.json'
    path.write_text(text)
    with pytest.raises(ValueError, match=f'partition file .*partition\\.json: {fault}'):
        Partition.load(path)
    with pytest.raises(FileNotFoundError, match='absent.json does not exist; write it with'):
        Partition.load(tmp_path / 'absent.json')
