"""Losses that pull a student's outputs towards a reference model's (distillation).

Plain functions rather than registered modules: the masked head and the
knowledge-distillation wrapper call them on logits they compute themselves, so
mmpretrain's ``loss(cls_score, label, avg_factor=...)`` convention does not fit.
"""
from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

MaskLoss = Callable[[torch.Tensor, torch.Tensor, float], torch.Tensor]


def _check_pair(name: str, pred: torch.Tensor, target: torch.Tensor) -> None:
    if pred.ndim != 2 or pred.shape != target.shape:
        raise ValueError(f'{name}: expected two [N, D] tensors of the same shape, got '
                         f'{tuple(pred.shape)} and {tuple(target.shape)}')


def kd_loss(student_logits: torch.Tensor, reference_logits: torch.Tensor,
            temperature: float, scale_by_t2: bool = True,
            detach_reference: bool = True) -> torch.Tensor:
    """``KL(softmax(ref / T) || softmax(student / T))`` averaged over the batch.

    Multiplying by ``T**2`` (Hinton et al., 2015) keeps the gradient's size
    independent of ``T``, so the weight against cross-entropy need not change with
    it. The reference is a detached target unless ``detach_reference`` is False
    (classifier-only KD: the frozen reference head runs on the student's own features,
    and its logits pass gradients back into them).
    """
    _check_pair('kd_loss', student_logits, reference_logits)
    if temperature <= 0:
        raise ValueError(f'kd_loss: temperature={temperature!r} must be positive')
    log_student = F.log_softmax(student_logits / temperature, dim=1)
    reference = reference_logits.detach() if detach_reference else reference_logits
    log_reference = F.log_softmax(reference / temperature, dim=1)
    loss = F.kl_div(log_student, log_reference, reduction='batchmean', log_target=True)
    return loss * temperature**2 if scale_by_t2 else loss


def cosine_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean over samples of ``1 - cos(pred_i, target_i)``: matches directions, not scale."""
    _check_pair('cosine_loss', pred, target)
    return (1 - F.cosine_similarity(pred, target, dim=1)).mean()


def l2_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error over all entries: ``mean_i ||pred_i - target_i||^2 / D``.

    Dividing by ``D`` keeps the loss's scale independent of the number of classes.
    """
    _check_pair('l2_loss', pred, target)
    return F.mse_loss(pred, target)


# One signature, (pred, target, temperature), so a head can call any entry; only kd
# uses the temperature.
MASK_LOSSES: dict[str, MaskLoss] = {
    # The caller decides whether the target is detached (MaskedClsHead.masked_loss does).
    'kd': lambda pred, target, temperature: kd_loss(pred, target, temperature,
                                                    detach_reference=False),
    'cosine': lambda pred, target, temperature: cosine_loss(pred, target),
    'l2': lambda pred, target, temperature: l2_loss(pred, target),
}
