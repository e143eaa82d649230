"""A-GEM's gradient projection, as an mmengine optimizer wrapper."""
from __future__ import annotations

from collections.abc import Callable

import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS


def project_gradients(grads: list[torch.Tensor], reference: list[torch.Tensor]) -> bool:
    """Project ``g`` in place to ``g - (g.r / r.r) r`` if ``g.r < 0``; say whether it did.

    ``grads`` and ``reference`` are the per-parameter pieces of the two flat
    vectors ``g`` and ``r``; after a projection ``g.r = 0``.
    """
    dot = sum((g * r).sum() for g, r in zip(grads, reference))
    if dot >= 0:
        return False
    scale = dot / sum((r * r).sum() for r in reference)
    for g, r in zip(grads, reference):
        g.sub_(scale * r)
    return True


@OPTIM_WRAPPERS.register_module()
class AGEMOptimWrapper(OptimWrapper):
    """Averaged GEM (Chaudhry et al., 2019): never step against the memory's average gradient.

    Before each ``step()`` (so before gradient clipping), ``reference_loss()``
    gives the loss on a batch drawn from the episodic memory; its gradient
    ``r`` is compared with the current gradient ``g`` and, only when they
    conflict (``g.r < 0``), ``g`` is replaced by its projection
    ``g - (g.r / r.r) r``, the closest gradient that does not raise the memory
    loss to first order. ``AGEMHook`` fills the memory and sets
    ``reference_loss``; while it is None or returns None (empty memory) this is
    a plain ``OptimWrapper``. Whether the step was projected is logged as
    ``agem_projected``. Takes ``OptimWrapper``'s arguments.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.reference_loss: Callable[[], torch.Tensor | None] | None = None

    def step(self, **kwargs) -> None:
        loss = self.reference_loss() if self.reference_loss is not None else None
        if loss is not None:
            params = [p for group in self.optimizer.param_groups for p in group['params']
                      if p.grad is not None]
            reference = torch.autograd.grad(loss, params, allow_unused=True)
            reference = [torch.zeros_like(p) if r is None else r
                         for p, r in zip(params, reference)]
            projected = project_gradients([p.grad for p in params], reference)
            MessageHub.get_current_instance().update_scalar('train/agem_projected',
                                                            float(projected))
        super().step(**kwargs)
