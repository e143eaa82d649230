"""Widening a model in place while every old output stays what it was (CPG's "grow").

The model is rebuilt from its config with a larger ``width_multiplier`` for the
backbone, and every tensor of the old model is copied into the leading slices of
the new one. Inside the masked scope the new entries keep their fresh
initialisation (they become free weights for the current task); outside it
(heads), new entries are zero, so old heads ignore the new features.
"""
from __future__ import annotations

import copy
import inspect
from collections.abc import Mapping, Sequence

import torch
from mmpretrain.registry import MODELS
from torch import nn

from .layers.owner_masks import in_scope


def embed_leading(target: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
    """``target`` with ``source`` written into its leading slices; shapes may only grow."""
    if source.dim() != target.dim() or any(s > t for s, t in zip(source.shape, target.shape)):
        raise ValueError(f'cannot embed a tensor of shape {tuple(source.shape)} into one of '
                         f'shape {tuple(target.shape)}')
    out = target.detach().clone()
    out[tuple(slice(0, size) for size in source.shape)] = source.to(out.device, out.dtype)
    return out


def check_growable(model_cfg: Mapping) -> None:
    """Refuse a backbone that cannot be widened, naming it."""
    backbone = model_cfg.get('backbone')
    if not isinstance(backbone, Mapping) or 'type' not in backbone:
        raise ValueError('growth needs model.backbone to be a config dict with a type')
    backbone_cls = MODELS.get(backbone['type'])
    if backbone_cls is None or 'width_multiplier' not in inspect.signature(
            backbone_cls.__init__).parameters:
        raise ValueError(f"growth needs a backbone with a width_multiplier argument (such as "
                         f"SmallConvNet); {backbone['type']!r} has none")


def widened_config(model_cfg: Mapping, width_multiplier: float) -> dict:
    """The model config with the backbone widened and the head's ``in_channels`` following.

    The head's input width is the widened backbone's last ``out_channels``.
    """
    check_growable(model_cfg)
    cfg = copy.deepcopy(dict(model_cfg))
    cfg['backbone'] = dict(cfg['backbone'], width_multiplier=width_multiplier)
    head = cfg.get('head')
    if isinstance(head, Mapping) and 'in_channels' in head:
        out_channels = getattr(MODELS.build(cfg['backbone']), 'out_channels', None)
        if not out_channels:
            raise ValueError(f"growth: {cfg['backbone']['type']!r} does not expose out_channels "
                             f"for the head's in_channels")
        cfg['head'] = dict(head, in_channels=int(out_channels[-1]))
    return cfg


def grow_model(model: nn.Module, model_cfg: Mapping, width_multiplier: float,
               scope: Sequence[str] | None, extra_buffers: Sequence[str] = ()) -> None:
    """Rebuild ``model``'s children at ``width_multiplier``, old values in the leading slices.

    ``model`` keeps its identity (hooks and the runner hold it); its children are
    replaced (see :func:`widened_config`). ``extra_buffers`` names buffers that masked modules carry
    (owners, picks): they are created zero-filled on the new modules first, so
    new weights start free.
    """
    new = MODELS.build(widened_config(model_cfg, width_multiplier))
    device = next(model.parameters()).device
    new.to(device)
    old_modules = dict(model.named_modules())
    for name, module in new.named_modules():
        for buffer in extra_buffers:
            old = getattr(old_modules.get(name), buffer, None)
            if old is not None:
                module.register_buffer(buffer, torch.zeros(module.weight.shape, dtype=old.dtype,
                                                           device=device))
    old_state = model.state_dict()
    new_state = new.state_dict()
    lost = sorted(set(old_state) - set(new_state))
    if lost:
        raise KeyError(f'growth: the widened model lacks {lost}')
    grown = {}
    for key, target in new_state.items():
        if key not in old_state:
            raise KeyError(f'growth: the widened model has {key!r}, the old one does not')
        if not in_scope(key, scope) and old_state[key].shape != target.shape:
            target = torch.zeros_like(target)
        grown[key] = embed_leading(target, old_state[key])
    new.load_state_dict(grown)
    for name, child in new.named_children():
        setattr(model, name, child)
