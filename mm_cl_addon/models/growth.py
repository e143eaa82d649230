"""Widening a model in place while every old output stays what it was (CPG's "grow").

The model is rebuilt from its config with a larger ``width_multiplier`` for the
backbone, and every tensor of the old model is copied into the leading slices of
the new one. Inside the masked scope the new entries keep their fresh
initialisation (they become free weights for the current task); outside it
(heads), new entries are zero, so old heads ignore the new features.

"Leading slices" is per chunk where a module stacks blocks along a dimension (a key/value
projection's keys then values, a GEGLU's values then gates): a model's modules may declare
such layouts with a ``growth_chunks()`` method returning ``{relative module name: (dim,
n_chunks)}`` (see :func:`growth_layout`); every tensor of such a module (weight, bias, owner and
pick buffers, piggyback masks) is then cut into ``n_chunks`` equal blocks along ``dim`` and each
old block goes into the leading slices of its new block. Undeclared modules embed plainly.
"""
from __future__ import annotations

import copy
import inspect
from collections.abc import Mapping, Sequence

import torch
from mmpretrain.registry import MODELS
from torch import nn

from .layers.owner_masks import in_scope

Chunks = tuple[int, int]  # (dimension, number of equal blocks stacked along it)


def embed_leading(target: torch.Tensor, source: torch.Tensor,
                  chunks: Chunks | None = None) -> torch.Tensor:
    """``target`` with ``source`` written into its leading slices; shapes may only grow.

    With ``chunks=(dim, n)`` both tensors are ``n`` equal blocks along ``dim``, and block i of
    ``source`` goes into the leading slices of block i of ``target``.
    """
    if source.dim() != target.dim() or any(s > t for s, t in zip(source.shape, target.shape)):
        raise ValueError(f'cannot embed a tensor of shape {tuple(source.shape)} into one of '
                         f'shape {tuple(target.shape)}')
    if chunks is not None:
        dim, count = chunks
        if target.shape[dim] % count or source.shape[dim] % count:
            raise ValueError(f'cannot cut shapes {tuple(source.shape)} and '
                             f'{tuple(target.shape)} into {count} equal chunks along '
                             f'dimension {dim}')
        return torch.cat([embed_leading(t, s) for t, s in zip(target.chunk(count, dim),
                                                              source.chunk(count, dim))], dim)
    out = target.detach().clone()
    out[tuple(slice(0, size) for size in source.shape)] = source.to(out.device, out.dtype)
    return out


def growth_layout(model: nn.Module) -> dict[str, Chunks]:
    """Chunked modules of ``model`` by full dotted name, from every module's ``growth_chunks()``."""
    layout = {}
    for name, module in model.named_modules():
        declare = getattr(module, 'growth_chunks', None)
        if callable(declare):
            for relative, chunks in declare().items():
                layout['.'.join(filter(None, (name, relative)))] = tuple(chunks)
    return layout


def chunks_of(layout: Mapping[str, Chunks], key: str) -> Chunks | None:
    """The chunks of the tensor ``key`` (``<module>.<tensor>``, as in a state dict or a
    module-name-keyed mask dict with ``.weight`` appended) under ``layout``."""
    return layout.get(key.rpartition('.')[0])


def check_growable(model_cfg: Mapping) -> None:
    """Refuse a backbone that cannot be widened, naming it."""
    backbone = model_cfg.get('backbone')
    if not isinstance(backbone, Mapping) or 'type' not in backbone:
        raise ValueError('growth needs model.backbone to be a config dict with a type')
    backbone_cls = MODELS.get(backbone['type'])
    if backbone_cls is None or 'width_multiplier' not in inspect.signature(
            backbone_cls.__init__).parameters:
        raise ValueError(f"growth needs a backbone with a width_multiplier argument (such as "
                         f"SmallConvNet or PerceiverIOBackbone); {backbone['type']!r} has none")


def widened_config(model_cfg: Mapping, width_multiplier: float) -> dict:
    """The model config with the backbone widened and the head's ``in_channels`` following.

    The head's input width is the widened backbone's last ``out_channels`` (the same for a
    backbone whose output width does not grow, such as ``PerceiverIOBackbone``).
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
    new weights start free. Chunked modules (:func:`growth_layout`) embed every tensor per chunk.
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
    layout = growth_layout(new)
    grown = {}
    for key, target in new_state.items():
        if key not in old_state:
            raise KeyError(f'growth: the widened model has {key!r}, the old one does not')
        if not in_scope(key, scope) and old_state[key].shape != target.shape:
            target = torch.zeros_like(target)
        grown[key] = embed_leading(target, old_state[key], chunks_of(layout, key))
    new.load_state_dict(grown)
    for name, child in new.named_children():
        setattr(model, name, child)
