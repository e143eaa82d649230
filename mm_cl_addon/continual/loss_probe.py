"""A model's loss on a side batch, without side effects: MIR's virtual step, A-GEM's reference.

Both methods evaluate the model on data other than the training batch (and
MIR with parameters other than its own) inside a training step. Running the
model as it is would update BatchNorm running statistics with that data, so
the forward pass goes through ``torch.func.functional_call`` with copies of the
buffers (and, optionally, replacement parameters).
"""
from __future__ import annotations

import torch
from mmengine.model import BaseModel, is_model_wrapper
from torch.func import functional_call


def bare_model(model) -> BaseModel:
    """The model inside a DDP/FSDP wrapper, or the model itself."""
    return model.module if is_model_wrapper(model) else model


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


@torch.no_grad()
def per_sample_losses(model: BaseModel, inputs: torch.Tensor, data_samples: list,
                      params: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
    """The loss of every sample on its own, ``[N]``, in eval mode and without gradients.

    One forward pass per sample: any model's ``loss`` works this way, and in
    eval mode a sample's loss does not depend on the others drawn with it.
    """
    data = model.data_preprocessor(dict(inputs=inputs, data_samples=data_samples), False)
    state = {**dict(model.named_buffers()), **(params or {})}
    was_training = model.training
    model.eval()
    try:
        return torch.stack([
            _forward_loss(model, dict(inputs=data['inputs'][i:i + 1],
                                      data_samples=[data['data_samples'][i]]), state)
            for i in range(len(data_samples))])
    finally:
        model.train(was_training)
