"""A linear head that can also score a channel-masked copy of its feature (masked model).

Against forgetting, the student's pooled feature ``f`` is masked channel-wise and
the logits of the masked feature, completed by the (constant) logits of the
complementary mask, are matched to a reference model's logits. Which channels are
masked changes every sample and every step, so every subset of channels has to
carry the reference's knowledge. Plain cross-entropy training (``loss``,
``predict``) is ``LinearClsHead``'s, unchanged.
"""
from __future__ import annotations

import torch
from mmpretrain.models.heads import LinearClsHead
from mmpretrain.registry import MODELS
from torch import nn

from ..losses.distillation import MASK_LOSSES

MASK_MODES = ('s', 'a', 'sgf', 'agf')
MODE_ALIASES = {'sgd': 'sgf', 'agd': 'agf'}  # the names the original README uses
SHARED_TOKEN_MODES = ('s', 'sgf')  # one value for every masked channel
LEARNABLE_TOKEN_MODES = ('s', 'a')
INV_MODES = ('v1', 'v2')
LINEAR_INIT = dict(type='Normal', layer='Linear', std=0.01)  # LinearClsHead's default


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@MODELS.register_module()
class MaskedClsHead(LinearClsHead):
    """``LinearClsHead`` plus :meth:`masked_loss`, the masked model's distillation term.

    With ``m(f)`` the feature whose masked channels are replaced by the mask token
    and ``m'(f)`` the same under the complementary mask, ``z_m = W m(f) + b`` and
    ``z_inv = sg(W m'(f) + b)`` (``sg``: no gradient), the loss against the
    reference logits ``z_ref`` is ``L(z_m + z_inv, z_ref)`` for ``inv_mode='v1'``
    and ``L(z_m, z_ref - z_inv)`` for ``'v2'``.

    Args:
        num_classes: number of classes.
        in_channels: width ``D`` of the pooled feature.
        mask_ratio: share of channels masked per sample, ``0 < r < 1``; each sample
            gets exactly ``int(D * r)``.
        mask_mode: the token masked channels take: ``'s'`` one learnable scalar,
            ``'a'`` a learnable value per channel, ``'sgf'``/``'agf'`` the same as
            frozen zeros (buffers, so no optimizer sees them). ``'sgd'`` and
            ``'agd'`` are accepted for ``'sgf'`` and ``'agf'``.
        inv_mode: how the complementary logits enter the loss, ``'v1'`` or ``'v2'``.
        mask_loss: ``L``: ``'kd'`` (with ``temperature``), ``'cosine'`` or ``'l2'``.
        mask_loss_weight: factor on the masked loss.
        temperature: softmax temperature of ``'kd'``.
        loss, topk, cal_acc, init_cfg: as for ``LinearClsHead``.
    """

    def __init__(self, num_classes: int, in_channels: int, *, mask_ratio: float,
                 mask_mode: str, inv_mode: str, mask_loss: str = 'kd',
                 mask_loss_weight: float = 1.0, temperature: float = 2.0,
                 loss: dict | nn.Module | None = None, topk: int | tuple[int, ...] = (1,),
                 cal_acc: bool = False, init_cfg: dict | list[dict] | None = LINEAR_INIT) -> None:
        mask_mode = MODE_ALIASES.get(mask_mode, mask_mode)
        self._check_options(in_channels, mask_ratio, mask_mode, inv_mode, mask_loss,
                            mask_loss_weight, temperature)
        if loss is None:
            loss = dict(type='CrossEntropyLoss', loss_weight=1.0)
        super().__init__(num_classes, in_channels, loss=loss, topk=topk, cal_acc=cal_acc,
                         init_cfg=init_cfg)
        self.mask_ratio = float(mask_ratio)
        self.mask_mode = mask_mode
        self.inv_mode = inv_mode
        self.mask_loss = mask_loss
        self.mask_loss_weight = float(mask_loss_weight)
        self.temperature = float(temperature)
        token = torch.zeros(1 if mask_mode in SHARED_TOKEN_MODES else in_channels)
        if mask_mode in LEARNABLE_TOKEN_MODES:
            self.mask_token = nn.Parameter(token)
        else:
            self.register_buffer('mask_token', token)

    @staticmethod
    def _check_options(in_channels: int, mask_ratio: float, mask_mode: str, inv_mode: str,
                       mask_loss: str, mask_loss_weight: float, temperature: float) -> None:
        if not _is_number(mask_ratio) or not 0 < mask_ratio < 1:
            raise ValueError(f'MaskedClsHead: mask_ratio={mask_ratio!r} must be a number '
                             f'strictly between 0 and 1')
        if int(in_channels * mask_ratio) < 1:
            raise ValueError(f'MaskedClsHead: mask_ratio={mask_ratio!r} masks no channel of '
                             f'in_channels={in_channels}; expected int(in_channels * '
                             f'mask_ratio) >= 1')
        if mask_mode not in MASK_MODES:
            raise ValueError(f'MaskedClsHead: mask_mode={mask_mode!r} is not one of '
                             f'{MASK_MODES} (or the aliases {tuple(MODE_ALIASES)})')
        if inv_mode not in INV_MODES:
            raise ValueError(f'MaskedClsHead: inv_mode={inv_mode!r} is not one of {INV_MODES}')
        if mask_loss not in MASK_LOSSES:
            raise ValueError(f'MaskedClsHead: mask_loss={mask_loss!r} is not one of '
                             f'{tuple(MASK_LOSSES)}')
        if not _is_number(mask_loss_weight) or mask_loss_weight < 0:
            raise ValueError(f'MaskedClsHead: mask_loss_weight={mask_loss_weight!r} must be a '
                             f'number >= 0')
        if not _is_number(temperature) or temperature <= 0:
            raise ValueError(f'MaskedClsHead: temperature={temperature!r} must be a number > 0')

    def sample_masks(self, batch_size: int, dim: int,
                     generator: torch.Generator | None = None) -> torch.Tensor:
        """``[batch_size, dim]`` booleans, True for a masked channel.

        Every row has exactly ``int(dim * mask_ratio)`` True, drawn independently
        per sample (the lowest ranks of uniform noise), so the masked model's
        capacity is the same for every sample.
        """
        if batch_size < 0 or dim < 1:
            raise ValueError(f'MaskedClsHead.sample_masks: batch_size={batch_size} and '
                             f'dim={dim} must be >= 0 and >= 1')
        device = self.fc.weight.device
        noise = torch.rand(batch_size, dim, generator=generator,
                           device=device if generator is None else generator.device)
        chosen = noise.argsort(dim=1)[:, :int(dim * self.mask_ratio)]
        mask = torch.zeros(batch_size, dim, dtype=torch.bool, device=noise.device)
        return mask.scatter_(1, chosen, True).to(device)

    def apply_mask(self, pre_logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``pre_logits`` with each True entry of ``mask`` replaced by the mask token."""
        if pre_logits.ndim != 2 or pre_logits.shape[1] != self.in_channels:
            raise ValueError(f'MaskedClsHead: pre_logits of shape {tuple(pre_logits.shape)} '
                             f'must be [N, in_channels={self.in_channels}] (a pooled feature)')
        if mask.dtype != torch.bool or mask.shape != pre_logits.shape:
            raise ValueError(f'MaskedClsHead: mask of dtype {mask.dtype} and shape '
                             f'{tuple(mask.shape)} must be bool of the pre-logits\' shape '
                             f'{tuple(pre_logits.shape)}')
        return torch.where(mask, self.mask_token.to(pre_logits.dtype), pre_logits)

    def masked_loss(self, feats: tuple[torch.Tensor, ...], reference_logits: torch.Tensor,
                    mask: torch.Tensor | None = None,
                    detach_reference: bool = True) -> dict[str, torch.Tensor]:
        """``{'loss_mask': mask_loss_weight * L}``, ``L`` as in the class docstring.

        ``mask`` (True = masked) is drawn with :meth:`sample_masks` unless given.
        The complementary logits ``z_inv`` are constants; so are the reference
        logits unless ``detach_reference`` is False (classifier-only KD, where they
        come from the frozen reference head on the student's own features).
        """
        pre_logits = self.pre_logits(feats)
        if mask is None:
            mask = self.sample_masks(*pre_logits.shape)
        masked_logits = self.fc(self.apply_mask(pre_logits, mask))
        with torch.no_grad():
            inverse_logits = self.fc(self.apply_mask(pre_logits, ~mask))
        if detach_reference:
            reference_logits = reference_logits.detach()
        if reference_logits.shape != masked_logits.shape:
            raise ValueError(f'MaskedClsHead: reference_logits of shape '
                             f'{tuple(reference_logits.shape)} must match the logits\' shape '
                             f'{tuple(masked_logits.shape)}')
        loss_fn = MASK_LOSSES[self.mask_loss]
        if self.inv_mode == 'v1':
            loss = loss_fn(masked_logits + inverse_logits, reference_logits, self.temperature)
        else:
            loss = loss_fn(masked_logits, reference_logits - inverse_logits, self.temperature)
        return {'loss_mask': self.mask_loss_weight * loss}
