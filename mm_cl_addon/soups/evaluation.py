"""Score state dicts on a config's held-out (val) or test split with one Runner.

Building a Runner per checkpoint would repeat the data set, model and
evaluator set-up for every ingredient and every greedy trial; one Runner
whose model weights are swapped is what the soup recipes need.
"""
from __future__ import annotations

from typing import Any

import torch
from mmengine.config import Config
from mmpretrain.utils import get_ori_model
from torch import nn

from ..engine import build_runner
from .batchnorm import reestimate_batchnorm

SPLITS = ('val', 'test')


def _forward_for_statistics(model: nn.Module, batch: Any) -> Any:
    data = model.data_preprocessor(batch, True)
    return model(data['inputs'], mode='tensor')


class RunnerEvaluator:
    """Evaluates state dicts through the config's ``val`` or ``test`` loop.

    Args:
        cfg: a config with the split's dataloader and evaluator.
        split: ``'val'`` (held-out data for choosing soups) or ``'test'``.
        metric: the metric that :meth:`__call__` returns.
        bn_batches: re-estimate BatchNorm statistics on this many training
            batches after loading each state dict (averaged models can have
            stale statistics); 0 disables, None uses the whole training set.
    """

    def __init__(self, cfg: Config, split: str = 'val', metric: str = 'accuracy/top1',
                 bn_batches: int | None = 0) -> None:
        if split not in SPLITS:
            raise ValueError(f'RunnerEvaluator: split={split!r} is not one of {SPLITS}')
        cfg = cfg.copy()
        cfg.load_from, cfg.resume = None, False
        self.runner = build_runner(cfg)
        self.runner.call_hook('before_run')  # as Runner.val()/test() do before their loops
        self.loop = self.runner.val_loop if split == 'val' else self.runner.test_loop
        self.metric = metric
        self.bn_batches = bn_batches
        self._train_loader = None

    @property
    def model(self) -> nn.Module:
        return get_ori_model(self.runner.model)

    def load(self, state_dict: dict[str, torch.Tensor]) -> None:
        """Put ``state_dict`` into the model (strictly), re-estimating BN if asked."""
        self.model.load_state_dict(state_dict, strict=True)
        if self.bn_batches != 0:
            if self._train_loader is None:
                self._train_loader = self.runner.build_dataloader(
                    self.runner.cfg.train_dataloader, seed=self.runner.seed)
            reestimate_batchnorm(self.model, self._train_loader, _forward_for_statistics,
                                 num_batches=self.bn_batches)

    def evaluated_weights(self, state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """``state_dict`` as it is evaluated: with re-estimated BN statistics where enabled."""
        if self.bn_batches == 0:
            return state_dict
        self.load(state_dict)
        return {key: value.detach().clone() for key, value in self.model.state_dict().items()}

    def metrics(self, state_dict: dict[str, torch.Tensor]) -> dict[str, float]:
        self.load(state_dict)
        return {key: float(value) for key, value in self.loop.run().items()}

    def __call__(self, state_dict: dict[str, torch.Tensor]) -> float:
        metrics = self.metrics(state_dict)
        if self.metric not in metrics:
            raise KeyError(f'RunnerEvaluator: metric={self.metric!r} is not among the '
                           f'evaluation metrics {sorted(metrics)}')
        return metrics[self.metric]

