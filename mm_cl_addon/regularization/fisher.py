"""The diagonal empirical Fisher information of a classifier's parameters."""
from __future__ import annotations

from collections.abc import Iterable

import torch
from mmengine.model import BaseModel


def _classification_loss(model: BaseModel, inputs: torch.Tensor, data_samples: list
                         ) -> torch.Tensor:
    """The negative log-likelihood the head assigns to the true label (its own loss only:
    no distillation or regulariser term of the model or of hooks)."""
    losses = model.head.loss(model.extract_feat(inputs), data_samples)
    return sum(value for key, value in losses.items() if 'loss' in key)


def empirical_fisher(model: BaseModel, batches: Iterable[dict],
                     max_samples: int | None = None) -> dict[str, torch.Tensor]:
    """``F_p = mean_i (d log p(y_i | x_i) / d theta_p)^2`` over the samples of ``batches``.

    EWC's importance (Kirkpatrick et al., 2017), from each sample's own gradient (the squared
    gradient of a batch mean, which some libraries use, is a different and smaller quantity).
    The model runs in eval mode, so BatchNorm uses its running statistics and a sample's
    gradient does not depend on the others; ``batches`` are raw loader batches, put through the
    model's data preprocessor. Only parameters that require gradients get an entry.
    """
    if not (hasattr(model, 'extract_feat') and hasattr(model, 'head')):
        raise TypeError(f'empirical_fisher needs a classifier with extract_feat() and a head '
                        f'(an mmpretrain ImageClassifier), got {type(model).__name__}')
    params = {name: p for name, p in model.named_parameters() if p.requires_grad}
    fisher = {name: torch.zeros_like(p) for name, p in params.items()}
    count = 0
    was_training = model.training
    model.eval()
    try:
        for batch in batches:
            data = model.data_preprocessor(batch, False)
            for i in range(len(data['data_samples'])):
                loss = _classification_loss(model, data['inputs'][i:i + 1],
                                            [data['data_samples'][i]])
                grads = torch.autograd.grad(loss, list(params.values()), allow_unused=True)
                for name, grad in zip(params, grads):
                    if grad is not None:
                        fisher[name] += grad.detach() ** 2
                count += 1
                if max_samples is not None and count >= max_samples:
                    return {name: value / count for name, value in fisher.items()}
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError('empirical_fisher: the batches held no samples')
    return {name: value / count for name, value in fisher.items()}
