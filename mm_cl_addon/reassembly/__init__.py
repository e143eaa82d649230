"""DeRy reassembly (Yang et al., "Deep Model Reassembly", NeurIPS 2022): the partition of a zoo
into groups of functionally equivalent blocks, the exact block-chain search as a 0-1 integer
program under parameter/FLOP budgets, and training-free proxies (NASWOT, SynFlow) that can
supply each candidate block's score.
"""
from .integer_program import Block, Solution, default_adapter_cost, solve_reassembly
from .partition import Partition, PartitionBlock, block_similarity, partition_zoo
from .proxies import PROXIES, naswot_score, synflow_score

__all__ = ['PROXIES', 'Block', 'Partition', 'PartitionBlock', 'Solution', 'block_similarity',
           'default_adapter_cost', 'naswot_score', 'partition_zoo', 'solve_reassembly',
           'synflow_score']
