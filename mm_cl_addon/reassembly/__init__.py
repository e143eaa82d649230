"""DeRy reassembly (Yang et al., "Deep Model Reassembly", NeurIPS 2022): the partition of a zoo
into groups of functionally equivalent blocks, the exact block-chain search as a 0-1 integer
program under parameter/FLOP budgets, and training-free proxies (NASWOT, SynFlow) that can
supply each candidate block's score.

The offline pipeline's pieces: :mod:`.zoo` (manifests, models, data), :mod:`.features` (pooled
block-boundary features and their files), :mod:`.costs` (per-block params/FLOPs),
:mod:`.sim_tables` (node similarity tables for :func:`partition_zoo`) and :mod:`.cutting`
(parts of zoo models for the DeRy backbone).
"""
from .block_table import block_names, detect_family
from .costs import block_costs, estimate_flops, node_shapes_table
from .cutting import SourceCuts
from .features import NodeFeatures, extract_features, read_features, read_meta, save_features
from .integer_program import Block, Solution, default_adapter_cost, solve_reassembly
from .partition import Partition, PartitionBlock, block_similarity, partition_zoo
from .proxies import PROXIES, naswot_score, synflow_score
from .sim_tables import (
    SIM_FUNCS,
    load_index,
    load_similarity,
    node_similarity,
    save_index,
    save_pair,
)
from .zoo import DatasetSamples, ZooModel, build_zoo_model, load_zoo

__all__ = ['PROXIES', 'SIM_FUNCS', 'Block', 'DatasetSamples', 'NodeFeatures', 'Partition',
           'PartitionBlock', 'Solution', 'SourceCuts', 'ZooModel', 'block_costs', 'block_names',
           'block_similarity', 'build_zoo_model', 'default_adapter_cost', 'detect_family',
           'estimate_flops', 'extract_features', 'load_index', 'load_similarity', 'load_zoo',
           'naswot_score', 'node_shapes_table', 'node_similarity', 'partition_zoo',
           'read_features', 'read_meta', 'save_features', 'save_index', 'save_pair',
           'solve_reassembly', 'synflow_score']
