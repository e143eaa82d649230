"""Model soups: combine fine-tuned models by averaging their weights, or their votes.

* :func:`uniform_soup` and :func:`greedy_soup` (Wortsman et al., "Model soups", ICML 2022),
* :func:`wise_ft` (Wortsman et al., "Robust fine-tuning of zero-shot models", CVPR 2022),
* :func:`reestimate_batchnorm`, for soups of models with BatchNorm,
* :func:`hard_vote` and :func:`vote_attributes`, for prediction files of any models.

Recipes take paths (read through :func:`mm_cl_addon.compat.load_checkpoint`) or dicts, and return
mmengine-style checkpoints ``{'state_dict': ..., 'meta': {...}}``.
"""
from .batchnorm import reestimate_batchnorm
from .greedy import ACCEPT_RULES, greedy_soup
from .state_dicts import check_compatible, is_averaged, read_state_dict
from .uniform import uniform_soup
from .voting import (
    Prediction,
    VoteResult,
    hard_vote,
    read_predictions,
    vote_attributes,
    write_votes,
)
from .wise_ft import wise_ft

__all__ = [
    'ACCEPT_RULES', 'Prediction', 'VoteResult', 'check_compatible', 'greedy_soup', 'hard_vote',
    'is_averaged', 'read_predictions', 'read_state_dict', 'reestimate_batchnorm',
    'uniform_soup', 'vote_attributes', 'wise_ft', 'write_votes'
]
