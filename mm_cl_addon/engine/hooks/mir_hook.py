"""Maximally Interfered Retrieval (MIR): replay the stored samples a step would hurt most."""
from __future__ import annotations

import torch
from mmengine.model import BaseModel
from mmpretrain.registry import HOOKS

from ...continual.loss_probe import batch_loss, per_sample_losses
from .replay_hook import ReplayHook


def interference_scores(model: BaseModel, inputs: torch.Tensor, data_samples: list,
                        candidate_inputs: torch.Tensor, candidate_samples: list,
                        lr: float) -> torch.Tensor:
    """How much one virtual SGD step on a batch raises each candidate's loss, ``[N]``.

    The virtual step is ``theta - lr * grad L(batch)``; it is applied through
    ``functional_call``, so the model itself (weights, gradients, BatchNorm
    statistics) is left untouched.
    """
    params = {name: p for name, p in model.named_parameters() if p.requires_grad}
    loss = batch_loss(model, inputs, data_samples)
    grads = torch.autograd.grad(loss, list(params.values()), allow_unused=True)
    virtual = {name: (p - lr * grad).detach()
               for (name, p), grad in zip(params.items(), grads) if grad is not None}
    before = per_sample_losses(model, candidate_inputs, candidate_samples)
    after = per_sample_losses(model, candidate_inputs, candidate_samples, params=virtual)
    return after - before


@HOOKS.register_module()
class MIRHook(ReplayHook):
    """MIR (Aljundi et al., 2019): ER whose replayed samples are the most interfered ones.

    Each step draws ``candidates`` samples from the buffer (more than
    ``replay_batch_size``: with as many, MIR would be plain ER), makes a virtual
    SGD step of the model on the current batch with ``virtual_lr``, and replays
    the ``replay_batch_size`` candidates whose loss that step raises most. The
    losses are per sample, in eval mode (see
    :func:`~mm_cl_addon.continual.loss_probe.per_sample_losses`). The buffer
    is ER's, saved under ``mir_buffer``.

    Args:
        buffer_size: samples the buffer keeps.
        replay_batch_size: replayed samples added to each batch.
        candidates: samples scored per step, > ``replay_batch_size``.
        virtual_lr: step size of the virtual update; None: the optimizer's
            current learning rate (first parameter group).
        seed: seed of the buffer's generator; None: derived from the run's seed.
        policy: the buffer's policy, ``'reservoir'`` or ``'random'``.
    """

    checkpoint_key = 'mir_buffer'

    def __init__(self, buffer_size: int, replay_batch_size: int, candidates: int,
                 virtual_lr: float | None = None, seed: int | None = None,
                 policy: str = 'reservoir') -> None:
        super().__init__(buffer_size, replay_batch_size, seed=seed, policy=policy)
        if int(candidates) != candidates or candidates <= replay_batch_size:
            raise ValueError(f'MIRHook: candidates={candidates!r} must be an integer larger '
                             f'than replay_batch_size={replay_batch_size!r}')
        if virtual_lr is not None and virtual_lr <= 0:
            raise ValueError(f'MIRHook: virtual_lr={virtual_lr!r} must be > 0 (or None)')
        self.candidates = int(candidates)
        self.virtual_lr = virtual_lr

    def replay_samples(self, runner, data_batch: dict) -> tuple[torch.Tensor, list]:
        inputs, samples = self.buffer.sample(self.candidates)
        if len(samples) <= self.replay_batch_size:
            return inputs, samples  # nothing to choose from yet
        lr = self.virtual_lr
        if lr is None:
            lr = next(iter(runner.optim_wrapper.get_lr().values()))[0]
        scores = interference_scores(self.model(runner), data_batch['inputs'],
                                     data_batch['data_samples'], inputs, samples, lr)
        chosen = scores.topk(self.replay_batch_size).indices.tolist()
        return inputs[chosen], [samples[i] for i in chosen]
