"""Node similarity tables between zoo models: what tools/dery/compute_sim.py writes and
:func:`~.partition.partition_zoo` reads.

A table directory holds ``<a>__<b>.npy`` per pair of models ([L_a, L_b] similarity of nodes
1..L_a to nodes 1..L_b) and ``index.json`` (``sim_func``, ``num_nodes`` and ``blocks`` per model,
``pairs``). Every file is written atomically.
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from torch import Tensor

from ..similarity import cka_matrix
from ..utils import atomic_write, atomic_write_json

SIM_FUNCS = {'cka': 'linear', 'rbf_cka': 'rbf', 'lr': 'lr'}
SIM_INDEX = 'index.json'


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
    """The ``index.json`` of a table directory written by compute_sim."""
    index_path = Path(sim_dir) / SIM_INDEX
    if not index_path.is_file():
        raise FileNotFoundError(f'{index_path} not found; run tools/dery/compute_sim.py first')
    return json.loads(index_path.read_text())


def load_similarity(sim_dir: str | os.PathLike
                    ) -> tuple[dict[str, int], dict[tuple[str, str], np.ndarray]]:
    """``(num_nodes, sim)`` for ``partition_zoo(num_nodes, sim, K)`` from compute_sim's output."""
    index = load_index(sim_dir)
    sim = {(a, b): np.load(pair_path(sim_dir, a, b)) for a, b in index['pairs']}
    return dict(index['num_nodes']), sim
