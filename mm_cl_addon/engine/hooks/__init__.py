"""Hooks (registered in mmpretrain's HOOKS)."""
from .agem_hook import AGEMHook
from .cpg_hook import CPGHook
from .ewc_hook import EWCHook
from .finite_check_hook import FiniteCheckHook, NonFiniteTrainingError
from .gdumb_hook import GDumbHook
from .loss_term_hook import LossTermHook
from .lwf_hook import LwFHook
from .memory_key_hook import MemoryKeyUpdateHook
from .mir_hook import MIRHook
from .online_eval_hook import OnlineStreamEvalHook
from .packnet_hook import PackNetHook
from .reference_model_hook import ReferenceModelHook
from .replay_hook import ReplayHook

__all__ = ['AGEMHook', 'CPGHook', 'EWCHook', 'FiniteCheckHook', 'GDumbHook', 'LossTermHook',
           'LwFHook', 'MIRHook',
           'MemoryKeyUpdateHook', 'NonFiniteTrainingError', 'OnlineStreamEvalHook',
           'PackNetHook', 'ReferenceModelHook', 'ReplayHook']
