"""A model's loss on a side batch, without side effects: MIR's virtual step, A-GEM's reference.

Both methods evaluate the model on data other than the training batch (and
MIR with parameters other than its own) inside a training step. Running the
model as it is would update BatchNorm running statistics with that data, so
the forward pass goes through ``torch.func.functional_call`` with copies of the
buffers (and, optionally, replacement parameters).
"""
from __future__ import annotations

import torch
from mmengine.model import BaseModel
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.models.heads import ClsHead
from mmpretrain.models.losses import CrossEntropyLoss
from torch.func import functional_call

from ..utils.modes import eval_mode


def _forward_loss(model: BaseModel, data: dict, state: dict) -> torch.Tensor:
    losses = functional_call(model, state, (), dict(data, mode='loss'), strict=False)
    return model.parse_losses(losses)[0]


def batch_loss(model: BaseModel, inputs: torch.Tensor, data_samples: list,
               params: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
    """The total training loss (``parse_losses``) of a raw batch, differentiable.

    The batch goes through the model's data preprocessor in training mode and
    the model runs in its current mode, on copied buffers; ``params`` replaces
    parameters by name.
    """
    data = model.data_preprocessor(dict(inputs=inputs, data_samples=data_samples), True)
    state = {name: buffer.clone() for name, buffer in model.named_buffers()}
    return _forward_loss(model, data, {**state, **(params or {})})


def is_plain_classifier(model: BaseModel) -> bool:
    """Whether the model's loss is exactly its head's cross-entropy on ``head(extract_feat)``
    (mmpretrain's ImageClassifier and ClsHead, loss methods not overridden), so one batched
    forward can give every sample's loss."""
    head = getattr(model, 'head', None)
    return (getattr(type(model), 'loss', None) is ImageClassifier.loss
            and isinstance(head, ClsHead)
            and type(head).loss is ClsHead.loss
            and isinstance(getattr(head, 'loss_module', None), CrossEntropyLoss))


@torch.no_grad()
def per_sample_losses(model: BaseModel, inputs: torch.Tensor, data_samples: list,
                      params: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
    """The loss of every sample on its own, ``[N]``, in eval mode and without gradients.

    In eval mode a sample's loss does not depend on the others drawn with it. A plain
    classifier's losses come from one batched forward pass (its cross-entropy without
    reduction); any other model's ``loss`` runs once per sample.
    """
    data = model.data_preprocessor(dict(inputs=inputs, data_samples=data_samples), False)
    state = {**dict(model.named_buffers()), **(params or {})}
    with eval_mode(model):
        if is_plain_classifier(model):
            logits = functional_call(model, state, (data['inputs'],), dict(mode='tensor'),
                                     strict=False)
            labels = torch.cat([sample.gt_label for sample in data['data_samples']])
            return model.head.loss_module(logits, labels.to(logits.device),
                                          reduction_override='none')
        return torch.stack([
            _forward_loss(model, dict(inputs=data['inputs'][i:i + 1],
                                      data_samples=[data['data_samples'][i]]), state)
            for i in range(len(data_samples))])
