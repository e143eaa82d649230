"""The diagonal empirical Fisher information of a classifier's parameters."""
from __future__ import annotations

from collections.abc import Iterable

import torch
from mmengine.model import BaseModel
from torch.func import functional_call, grad, vmap

from ..continual.loss_probe import is_plain_classifier
from ..utils.modes import eval_mode


def _classification_loss(model: BaseModel, inputs: torch.Tensor, data_samples: list
                         ) -> torch.Tensor:
    """The negative log-likelihood the head assigns to the true label (its own loss only:
    no distillation or regulariser term of the model or of hooks)."""
    losses = model.head.loss(model.extract_feat(inputs), data_samples)
    return sum(value for key, value in losses.items() if 'loss' in key)


def _squared_gradients_batched(model: BaseModel, params: dict[str, torch.Tensor],
                               inputs: torch.Tensor, data_samples: list
                               ) -> dict[str, torch.Tensor]:
    """Sum over the batch of each sample's squared gradient, all samples in one vectorised
    pass (``torch.func``): a plain classifier's loss is its head's cross-entropy."""
    buffers = dict(model.named_buffers())
    labels = torch.cat([sample.gt_label for sample in data_samples]).to(inputs.device)

    def loss(weights: dict, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        logits = functional_call(model, (weights, buffers), (x[None],), dict(mode='tensor'))
        return model.head.loss_module(logits, y[None])

    grads = vmap(grad(loss), in_dims=(None, 0, 0))(
        {name: p.detach() for name, p in params.items()}, inputs, labels)
    return {name: value.square().sum(0) for name, value in grads.items()}


def _squared_gradients_one_by_one(model: BaseModel, params: dict[str, torch.Tensor],
                                  inputs: torch.Tensor, data_samples: list
                                  ) -> dict[str, torch.Tensor]:
    """The same for any classifier: one backward pass per sample."""
    total = {name: torch.zeros_like(p) for name, p in params.items()}
    for i in range(len(data_samples)):
        loss = _classification_loss(model, inputs[i:i + 1], [data_samples[i]])
        for name, g in zip(params, torch.autograd.grad(loss, list(params.values()),
                                                       allow_unused=True)):
            if g is not None:
                total[name] += g.detach() ** 2
    return total


def empirical_fisher(model: BaseModel, batches: Iterable[dict],
                     max_samples: int | None = None) -> dict[str, torch.Tensor]:
    """``F_p = mean_i (d log p(y_i | x_i) / d theta_p)^2`` over the samples of ``batches``.

    EWC's importance (Kirkpatrick et al., 2017), from each sample's own gradient (the squared
    gradient of a batch mean, which some libraries use, is a different and smaller quantity).
    The model runs in eval mode, so BatchNorm uses its running statistics and a sample's
    gradient does not depend on the others; ``batches`` are raw loader batches, put through the
    model's data preprocessor. A plain classifier's per-sample gradients come from one
    vectorised pass per batch, any other model's from one backward pass per sample. Only
    parameters that require gradients get an entry.
    """
    if not (hasattr(model, 'extract_feat') and hasattr(model, 'head')):
        raise TypeError(f'empirical_fisher needs a classifier with extract_feat() and a head '
                        f'(an mmpretrain ImageClassifier), got {type(model).__name__}')
    params = {name: p for name, p in model.named_parameters() if p.requires_grad}
    squared = (_squared_gradients_batched if is_plain_classifier(model)
               else _squared_gradients_one_by_one)
    fisher = {name: torch.zeros_like(p) for name, p in params.items()}
    count = 0
    with eval_mode(model):
        for batch in batches:
            data = model.data_preprocessor(batch, False)
            take = len(data['data_samples']) if max_samples is None else min(
                len(data['data_samples']), max_samples - count)
            for name, value in squared(model, params, data['inputs'][:take],
                                       data['data_samples'][:take]).items():
                fisher[name] += value
            count += take
            if max_samples is not None and count >= max_samples:
                break
    if count == 0:
        raise ValueError('empirical_fisher: the batches held no samples')
    return {name: value / count for name, value in fisher.items()}
