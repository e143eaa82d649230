"""DeRy's zoo partition (Yang et al., "Deep Model Reassembly", NeurIPS 2022, Sec. 3).

Every model is cut into K contiguous blocks of near-even size; the k-th blocks of all models form
group k, so groups stay ordered by depth and a reassembled network can take one block per group.
Each group has a centre (medoid) block, one of its members. Cuts and centres are found by
k-medoids style alternating maximisation of the total similarity of blocks to their group centre,
over random restarts: each model in turn is re-cut by dynamic programming over cut points, the
other models held fixed; then each group's centre becomes its member most similar to the others.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from itertools import combinations
from pathlib import Path
from typing import Any, Union

import numpy as np

from ..utils import atomic_write_json
from ..utils.files import InputFileError, read_json

Cuts = tuple[int, ...]  # boundaries 0 = c_0 < c_1 < ... < c_K = L; block k is (c_k, c_{k+1}]
Tables = dict[tuple[str, str], np.ndarray]
PathLike = Union[str, Path]


@dataclass(frozen=True)
class PartitionBlock:
    """Nodes (start, end] of ``model`` in ``group``: its input is node ``start``, output ``end``."""

    model: str
    start: int
    end: int
    group: int


@dataclass(frozen=True)
class Partition:
    """Blocks of every model (model-major, group order), one centre per group, and the score."""

    blocks: tuple[PartitionBlock, ...]
    centres: tuple[PartitionBlock, ...]
    score: float

    @property
    def num_groups(self) -> int:
        return len(self.centres)

    def cuts(self, model: str) -> Cuts:
        """The model's block boundaries, 0 first and its node count last."""
        ends = [block.end for block in self.blocks if block.model == model]
        if not ends:
            raise KeyError(f'model {model!r} is not in the partition')
        return (0, *ends)

    def group(self, k: int) -> tuple[PartitionBlock, ...]:
        """Members of group ``k``, one block per model."""
        if not 0 <= k < self.num_groups:
            raise IndexError(f'group k={k} out of range [0, {self.num_groups})')
        return tuple(block for block in self.blocks if block.group == k)

    def to_json(self) -> dict[str, Any]:
        return {'score': self.score, 'centres': [asdict(block) for block in self.centres],
                'blocks': [asdict(block) for block in self.blocks]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Partition:
        """The partition of :meth:`to_json`'s form; other keys (tools/dery/partition.py adds
        block names and shapes) are ignored."""
        def block(entry: Mapping[str, Any]) -> PartitionBlock:
            return PartitionBlock(*(entry[key] for key in ('model', 'start', 'end', 'group')))
        return cls(blocks=tuple(block(entry) for entry in data['blocks']),
                   centres=tuple(block(entry) for entry in data['centres']),
                   score=float(data['score']))

    def save(self, path: PathLike) -> None:
        atomic_write_json(path, self.to_json())

    @classmethod
    def load(cls, path: PathLike) -> Partition:
        """A :meth:`save` (or tools/dery/partition.py) file; errors name the file."""
        what = 'partition file'
        data = read_json(path, what, expected=dict,
                         hint='write it with tools/dery/partition.py or Partition.save')
        try:
            return cls.from_json(data)
        except (KeyError, TypeError, ValueError) as error:
            raise InputFileError(path, what, f'is not a partition ({type(error).__name__}: '
                                 f'{error}); it needs "score", "centres" and "blocks" of '
                                 '{model, start, end, group}') from error


def pair_matrix(sim: Mapping[tuple[str, str], Any], a: str, b: str, shape: tuple[int, int]
                ) -> np.ndarray:
    """sim[(a, b)], or sim[(b, a)] transposed; both given must agree, as similarity is symmetric."""
    found = []
    if (a, b) in sim:
        found.append(np.asarray(sim[(a, b)], dtype=np.float64))
    if (b, a) in sim:
        found.append(np.asarray(sim[(b, a)], dtype=np.float64).T)
    if not found:
        raise ValueError(f'sim has no entry for models ({a!r}, {b!r}) in either order')
    for matrix in found:
        if matrix.shape != shape:
            raise ValueError(f'sim for models ({a!r}, {b!r}) must have shape {shape} (nodes of '
                             f'{a!r} x nodes of {b!r}), got {matrix.shape}')
        if not np.isfinite(matrix).all():
            raise ValueError(f'sim for models ({a!r}, {b!r}) has non-finite values')
    if len(found) == 2 and not np.allclose(*found):
        raise ValueError(f'sim[({a!r}, {b!r})] and sim[({b!r}, {a!r})].T differ; '
                         'block similarity must be symmetric')
    return found[0]


def node_tables(num_nodes: Mapping[str, int], sim: Mapping[tuple[str, str], Any]) -> Tables:
    """[L_a + 1, L_b + 1] node similarities per ordered pair of distinct models.

    Index 0 is the model input, which has no entry in ``sim``: two inputs are the same data
    (similarity 1) and an input is taken as unlike any inner node (similarity 0).
    """
    for key in sim:
        unknown = [name for name in key if name not in num_nodes]
        if unknown:
            raise ValueError(f'sim key {key!r} names model(s) {unknown} missing from num_nodes')
    tables: Tables = {}
    for a, b in combinations(num_nodes, 2):
        table = np.zeros((num_nodes[a] + 1, num_nodes[b] + 1))
        table[0, 0] = 1.0
        table[1:, 1:] = pair_matrix(sim, a, b, (num_nodes[a], num_nodes[b]))
        tables[(a, b)], tables[(b, a)] = table, table.T
    return tables


def block_similarity(tables: Tables, a: PartitionBlock, b: PartitionBlock) -> float:
    """sim(inputs) + sim(outputs) of two blocks of different models, at any stage positions."""
    table = tables[(a.model, b.model)]
    return float(table[a.start, b.start] + table[a.end, b.end])


def size_bounds(model: str, length: int, k: int, eps: float) -> tuple[int, int]:
    """Smallest and largest block size n with |n - L/K| <= eps L/K that can still cover L nodes."""
    mean = length / k
    low = max(1, math.ceil((1 - eps) * mean - 1e-9))
    high = math.floor((1 + eps) * mean + 1e-9)
    if low > high or k * low > length or k * high < length:
        raise ValueError(f'model {model!r}: its {length} nodes cannot be cut into K={k} blocks of '
                         f'{(1 - eps) * mean:g} to {(1 + eps) * mean:g} nodes each '
                         f'(L/K = {mean:g}, eps={eps}); raise eps or change K')
    return low, high


def random_cuts(length: int, k: int, low: int, high: int, rng: np.random.Generator) -> Cuts:
    """Cuts drawn uniformly from all feasible ones: count completions, then sample forwards."""
    ways = [[0] * (length + 1) for _ in range(k + 1)]  # ways[j][p]: (p, L] into j blocks
    ways[0][length] = 1
    for j in range(1, k + 1):
        for p in range(length + 1):
            ways[j][p] = sum(ways[j - 1][p + n] for n in range(low, min(high, length - p) + 1))
    cuts = [0]
    for j in range(k, 0, -1):
        sizes = list(range(low, min(high, length - cuts[-1]) + 1))
        weights = np.array([float(ways[j - 1][cuts[-1] + n]) for n in sizes])
        cuts.append(cuts[-1] + sizes[rng.choice(len(sizes), p=weights / weights.sum())])
    return tuple(cuts)


def best_cuts(length: int, k: int, low: int, high: int,
              gain: Callable[[int, int, int], float]) -> tuple[float, Cuts]:
    """Cuts maximising sum_j gain(j, c_j, c_{j+1}) over block sizes in [low, high], by DP.

    Ties keep the first cuts found, so the result is deterministic.
    """
    best = np.full((k + 1, length + 1), -math.inf)
    back = np.zeros((k + 1, length + 1), dtype=np.int64)
    best[0, 0] = 0.0
    for j in range(1, k + 1):
        for end in range(length + 1):
            for size in range(low, min(high, end) + 1):
                start = end - size
                if best[j - 1, start] == -math.inf:
                    continue
                value = best[j - 1, start] + gain(j - 1, start, end)
                if value > best[j, end]:
                    best[j, end], back[j, end] = value, start
    if best[k, length] == -math.inf:
        raise ValueError(f'no feasible cuts of {length} nodes into K={k} blocks of '
                         f'{low}..{high} nodes')
    cuts = [length]
    for j in range(k, 0, -1):
        cuts.append(int(back[j, cuts[-1]]))
    return float(best[k, length]), tuple(reversed(cuts))


def blocks_of(model: str, cuts: Cuts) -> list[PartitionBlock]:
    return [PartitionBlock(model, s, e, g) for g, (s, e) in enumerate(zip(cuts[:-1], cuts[1:]))]


def model_gain(tables: Tables, model: str, cuts: Mapping[str, Cuts],
               centre_models: tuple[str, ...]) -> Callable[[int, int, int], float]:
    """Gain of ``model``'s block (s, e] in group j, the other models' blocks held fixed.

    A member scores its similarity to the centre; the centre (its model holds group j's centre)
    scores every other member's similarity to it, so the centre may move too.
    """
    current = {other: blocks_of(other, other_cuts) for other, other_cuts in cuts.items()}

    def gain(j: int, start: int, end: int) -> float:
        block = PartitionBlock(model, start, end, j)
        if centre_models[j] == model:
            others = [blocks[j] for other, blocks in current.items() if other != model]
        else:
            others = [current[centre_models[j]][j]]
        return sum(block_similarity(tables, block, other) for other in others)
    return gain


def choose_centres(tables: Tables, cuts: Mapping[str, Cuts],
                   previous: tuple[str, ...] | None) -> tuple[tuple[str, ...], float]:
    """Model holding each group's centre: the member most similar to the others (ties: previous)."""
    groups = zip(*(blocks_of(model, model_cuts) for model, model_cuts in cuts.items()))
    centre_models, score = [], 0.0
    for k, members in enumerate(groups):
        totals = [sum(block_similarity(tables, other, member) for other in members
                      if other is not member) for member in members]
        pick = max(range(len(members)), key=lambda i: (
            totals[i], previous is not None and members[i].model == previous[k]))
        centre_models.append(members[pick].model)
        score += totals[pick]
    return tuple(centre_models), score


def check_arguments(num_nodes: Mapping[str, int], k: int, eps: float, trial: int,
                    num_iter: int) -> None:
    if not num_nodes:
        raise ValueError('num_nodes must name at least one model')
    for model, length in num_nodes.items():
        if not isinstance(length, (int, np.integer)) or isinstance(length, bool) or length < 1:
            raise ValueError(f'num_nodes[{model!r}] must be an integer >= 1, got {length!r}')
    for name, value, least in (('K', k, 1), ('trial', trial, 1), ('num_iter', num_iter, 0)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < least:
            raise ValueError(f'{name} must be an integer >= {least}, got {value!r}')
    if not (math.isfinite(eps) and eps >= 0):
        raise ValueError(f'eps must be finite and >= 0, got {eps!r}')


def partition_zoo(num_nodes: Mapping[str, int], sim: Mapping[tuple[str, str], Any], K: int,
                  eps: float = 0.2, trial: int = 10, num_iter: int = 50,
                  seed: int = 0) -> Partition:
    """Cut every model into K near-even blocks and pick group centres maximising similarity.

    ``sim[(a, b)]`` is the [L_a, L_b] similarity of a's nodes 1..L_a to b's (e.g. linear CKA),
    one entry per pair of distinct models in either order. Each of ``trial`` restarts draws
    uniform random cuts, then alternates best centres and best cuts for up to ``num_iter`` rounds
    while the score rises; the best restart (first on ties) is returned.
    """
    check_arguments(num_nodes, K, eps, trial, num_iter)
    bounds = {model: size_bounds(model, length, K, eps) for model, length in num_nodes.items()}
    tables = node_tables(num_nodes, sim)
    rng = np.random.default_rng(seed)
    best: Partition | None = None
    for _ in range(trial):
        cuts = {model: random_cuts(num_nodes[model], K, *bounds[model], rng)
                for model in num_nodes}
        centre_models, score = choose_centres(tables, cuts, None)
        for _ in range(num_iter):
            for model in num_nodes:
                gain = model_gain(tables, model, cuts, centre_models)
                cuts[model] = best_cuts(num_nodes[model], K, *bounds[model], gain)[1]
            centre_models, new_score = choose_centres(tables, cuts, centre_models)
            converged = new_score <= score + 1e-12 * max(1.0, abs(score))
            score = new_score
            if converged:
                break
        if best is None or score > best.score:
            blocks = tuple(block for model in num_nodes for block in blocks_of(model, cuts[model]))
            centres = tuple(blocks_of(model, cuts[model])[k]
                            for k, model in enumerate(centre_models))
            best = Partition(blocks=blocks, centres=centres, score=score)
    return best
