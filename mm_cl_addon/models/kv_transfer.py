"""MM-Pick-a-back's key/value transfer: one modality's input projection, from model to model.

The selected backbone (trained on another modality or task) gets the target
model's encoder key/value projection for the target modality: that modality's
context LayerNorm and ``to_kv`` of :class:`PerceiverIOBackbone`. Nothing else
changes. The copied weights become free (owner 0, no picks): the next task of a
PackNet/CPG run takes every free weight, so they are the current task's own.
"""
from __future__ import annotations

from collections.abc import Mapping

import torch

from .layers.owner_masks import OWNER_BUFFER, PICK_BUFFER

ENCODER = 'perceiver.cross_attend_block.cross_attn'


def kv_keys(modality: str, prefix: str = 'backbone.') -> dict[str, list[str]]:
    """The checkpoint keys of a modality's projection: tensors copied, masks reset."""
    norm = f'{prefix}{ENCODER}.norm_context.norms.{modality}'
    linear = f'{prefix}{ENCODER}.fn.to_kv.linears.{modality}'
    return dict(copied=[f'{norm}.weight', f'{norm}.bias', f'{linear}.weight'],
                reset=[f'{linear}.{OWNER_BUFFER}', f'{linear}.{PICK_BUFFER}'])


def transfer_kv(target: Mapping[str, torch.Tensor], backbone: Mapping[str, torch.Tensor],
                modality: str, prefix: str = 'backbone.') -> tuple[dict, list[str]]:
    """``backbone`` with ``modality``'s projection taken from ``target``; the changed keys.

    Missing keys or different shapes are errors naming the key, so a transfer
    can never silently copy nothing.
    """
    keys = kv_keys(modality, prefix)
    out = dict(backbone)
    for key in keys['copied']:
        for name, state in (('target', target), ('backbone', backbone)):
            if key not in state:
                raise KeyError(f'{name} checkpoint has no {key!r}: is it a PerceiverIOBackbone '
                               f'with modality {modality!r} under {prefix!r}?')
        if target[key].shape != backbone[key].shape:
            raise ValueError(f'{key}: target shape {tuple(target[key].shape)} differs from '
                             f'backbone shape {tuple(backbone[key].shape)}')
        out[key] = target[key].clone()
    for key in keys['reset']:
        if key in out:
            out[key] = torch.zeros_like(out[key])
    changed = [key for key in keys['copied'] + keys['reset'] if key in out]
    return out, changed
