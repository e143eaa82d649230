"""Node similarity tables between zoo models: what tools/dery/compute_sim.py writes and
:func:`~.partition.partition_zoo` reads.

A table directory holds ``<a>__<b>.npy`` per pair of models ([L_a, L_b] similarity of nodes
1..L_a to nodes 1..L_b) and ``index.json`` (``sim_func``, ``num_nodes`` and ``blocks`` per model,
``pairs``). Every file is written atomically.
"""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from torch import Tensor

from ..similarity import cka_matrix
from ..utils import atomic_write, atomic_write_json
from ..utils.files import InputFileError, read_json, read_npy

SIM_FUNCS = {'cka': 'linear', 'rbf_cka': 'rbf', 'lr': 'lr'}
SIM_INDEX = 'index.json'
SIM_INDEX_WHAT = 'similarity index'
SIM_TABLE_WHAT = 'similarity table'
COMPUTE_SIM_HINT = 'run tools/dery/compute_sim.py first'


def node_similarity(feats_a: Mapping[int, Tensor], feats_b: Mapping[int, Tensor],
                    sim_func: str = 'cka') -> np.ndarray:
    """[L_a, L_b] similarity of nodes 1..L_a to nodes 1..L_b, as ``partition_zoo`` expects
    (it fixes node 0, the model input, itself)."""
    if sim_func not in SIM_FUNCS:
        raise ValueError(f'sim_func must be one of {sorted(SIM_FUNCS)}, got {sim_func!r}')
    xs = [feats_a[node] for node in range(1, len(feats_a))]
    ys = [feats_b[node] for node in range(1, len(feats_b))]
    return cka_matrix(xs, ys, method=SIM_FUNCS[sim_func]).numpy()


def pair_path(sim_dir: str | os.PathLike, a: str, b: str) -> Path:
    return Path(sim_dir) / f'{a}__{b}.npy'


def save_pair(sim_dir: str | os.PathLike, a: str, b: str, matrix: np.ndarray) -> Path:
    path = pair_path(sim_dir, a, b)
    with atomic_write(path, 'wb') as handle:
        np.save(handle, matrix)
    return path


def save_index(sim_dir: str | os.PathLike, sim_func: str, metas: Mapping[str, Mapping[str, Any]],
               pairs: Sequence[Sequence[str]]) -> Path:
    """``index.json``: the similarity function, each model's node count and block names (from
    its :func:`~.features.read_meta` metadata) and the pairs that have a table."""
    path = Path(sim_dir) / SIM_INDEX
    atomic_write_json(path, {
        'sim_func': sim_func,
        'num_nodes': {name: meta['num_nodes'] for name, meta in metas.items()},
        'blocks': {name: meta['blocks'] for name, meta in metas.items()},
        'pairs': [list(pair) for pair in pairs]})
    return path


def load_index(sim_dir: str | os.PathLike) -> dict[str, Any]:
    """The ``index.json`` of a table directory written by compute_sim, its ``num_nodes`` and
    ``pairs`` checked (they give every table's expected shape)."""
    path = Path(sim_dir) / SIM_INDEX
    index = read_json(path, SIM_INDEX_WHAT, expected=dict, hint=COMPUTE_SIM_HINT)
    num_nodes, pairs = index.get('num_nodes'), index.get('pairs')
    if not isinstance(num_nodes, dict) or not all(
            type(length) is int and length > 0 for length in num_nodes.values()):
        raise InputFileError(path, SIM_INDEX_WHAT, '"num_nodes" must map each model to its '
                             f'positive node count, got {num_nodes!r}')
    if not isinstance(pairs, list) or not all(
            isinstance(pair, list) and len(pair) == 2 and all(name in num_nodes for name in pair)
            for pair in pairs):
        raise InputFileError(path, SIM_INDEX_WHAT, '"pairs" must be a list of [a, b] pairs of '
                             f'models of "num_nodes" {sorted(num_nodes)}, got {pairs!r}')
    return index


def load_pair(sim_dir: str | os.PathLike, a: str, b: str, shape: tuple[int, int]) -> np.ndarray:
    """One pair's table, checked to be the finite [L_a, L_b] matrix ``index.json`` promises
    (a table of another zoo or a diverged CKA would silently skew the partition)."""
    path = pair_path(sim_dir, a, b)
    matrix = read_npy(path, SIM_TABLE_WHAT, hint=COMPUTE_SIM_HINT)
    if matrix.shape != shape:
        raise InputFileError(path, SIM_TABLE_WHAT, f'has shape {list(matrix.shape)}, expected '
                             f'{list(shape)}: {SIM_INDEX} gives {a!r} {shape[0]} and {b!r} '
                             f'{shape[1]} nodes')
    if matrix.dtype.kind not in 'fiu':
        raise InputFileError(path, SIM_TABLE_WHAT, f'holds {matrix.dtype} values, expected numbers')
    if not np.isfinite(matrix).all():
        raise InputFileError(path, SIM_TABLE_WHAT, 'holds NaN or Inf; recompute it with '
                             'tools/dery/compute_sim.py')
    return matrix


def load_similarity(sim_dir: str | os.PathLike
                    ) -> tuple[dict[str, int], dict[tuple[str, str], np.ndarray]]:
    """``(num_nodes, sim)`` for ``partition_zoo(num_nodes, sim, K)`` from compute_sim's output."""
    index = load_index(sim_dir)
    num_nodes = dict(index['num_nodes'])
    sim = {(a, b): load_pair(sim_dir, a, b, (num_nodes[a], num_nodes[b]))
           for a, b in index['pairs']}
    return num_nodes, sim
