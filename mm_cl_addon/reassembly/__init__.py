"""DeRy reassembly (Yang et al., "Deep Model Reassembly", NeurIPS 2022): the exact block-chain
search as a 0-1 integer program under parameter/FLOP budgets, and training-free proxies (NASWOT,
SynFlow) that can supply each candidate block's score.
"""
from .integer_program import Block, Solution, default_adapter_cost, solve_reassembly
from .proxies import PROXIES, naswot_score, synflow_score

__all__ = ['PROXIES', 'Block', 'Solution', 'default_adapter_cost', 'naswot_score',
           'solve_reassembly', 'synflow_score']
