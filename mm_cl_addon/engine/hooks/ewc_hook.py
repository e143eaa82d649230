"""Elastic weight consolidation (Kirkpatrick et al., 2017) as a task hook with a loss term."""
from __future__ import annotations

import torch
from mmpretrain.registry import HOOKS

from ...regularization import EWCState, empirical_fisher
from .loss_term_hook import LossTermHook

CHECKPOINT_KEY = 'ewc'


@HOOKS.register_module()
class EWCHook(LossTermHook):
    """Adds ``loss_ewc = lambda / 2 * sum_k sum_p F_k,p (theta_p - theta*_k,p)^2``.

    After each task the diagonal empirical Fisher ``F`` of every trainable parameter is
    estimated on that task's training data (each sample's own gradient, eval mode; at most
    ``fisher_samples`` samples) and stored with the parameters ``theta*`` (see
    :class:`~mm_cl_addon.regularization.EWCState` for the ``separate`` and ``online`` modes).
    Anchors and importances travel in checkpoints, for resuming.

    Examples:
        >>> custom_hooks = [dict(type='EWCHook', ewc_lambda=100.0)]
        >>> custom_hooks = [dict(type='EWCHook', ewc_lambda=100.0, mode='online', decay=0.9)]
    """

    checkpoint_key = CHECKPOINT_KEY

    def __init__(self, ewc_lambda: float, mode: str = 'separate', decay: float = 1.0,
                 fisher_samples: int | None = None) -> None:
        super().__init__()
        if ewc_lambda < 0:
            raise ValueError(f'EWCHook: ewc_lambda={ewc_lambda!r} must be >= 0')
        if fisher_samples is not None and fisher_samples < 1:
            raise ValueError(f'EWCHook: fisher_samples={fisher_samples!r} must be >= 1 or None')
        self.ewc_lambda = float(ewc_lambda)
        self.fisher_samples = fisher_samples
        self.state = EWCState(mode, decay)

    def loss_terms(self, model, inputs: torch.Tensor, data_samples: list | None
                   ) -> dict[str, torch.Tensor]:
        penalty = self.state.penalty(dict(model.named_parameters()))
        return {} if penalty is None else {'loss_ewc': 0.5 * self.ewc_lambda * penalty}

    def after_task(self, runner, task_id: int) -> None:
        model = self.model(runner)
        fisher = empirical_fisher(model, runner.train_loop.dataloader, self.fisher_samples)
        self.state.consolidate(dict(model.named_parameters()), fisher)

    def state_dict(self) -> dict:
        return self.state.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.state.load_state_dict(state)
