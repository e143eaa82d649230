"""DeRy's reassembled network (Yang et al., "Deep Model Reassembly", NeurIPS 2022) as a backbone.

A DeRy network is a chain of parts cut out of zoo models, ``[model_name, start_node, end_node]``
each, joined by stitching adapters. Nodes follow :mod:`mm_cl_addon.reassembly.block_table`: node
0 is the input of a model's first block (its stem's output) and node i the output of its i-th
block, so part (s, e] runs blocks s+1..e. This module reads the zoo manifest, builds the source
models and assembles the network; the cutting is :mod:`mm_cl_addon.reassembly.cutting` and the
adapters :mod:`mm_cl_addon.models.layers.stitching`. Each part runs at its source model's native
layout and the adapter in front of it resamples to that layout. See docs/dery_backbone.md.
"""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import timm
import torch
import torchvision
from mmengine.fileio import load
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from mm_cl_addon.compat.checkpoint import load_checkpoint
from mm_cl_addon.models.layers.stitching import make_stitch
from mm_cl_addon.reassembly.cutting import SourceCuts

LIBRARIES = ('timm', 'mmpretrain', 'torchvision', 'mm_cl_addon')
STEMS = ('source', 'fresh')


@dataclass(frozen=True)
class ZooEntry:
    """One model of the zoo manifest: how to build it locally and where its weights are."""

    name: str
    arch: str
    library: str
    checkpoint: str | None = None
    blocks: tuple[str, ...] | None = None
    kwargs: dict = field(default_factory=dict)
    input_size: tuple[int, ...] | None = None


def load_zoo(zoo: str | os.PathLike | Mapping) -> dict[str, ZooEntry]:
    """Read a zoo manifest (YAML/JSON file, or the same mapping inline) keyed by model name.

    Relative checkpoint paths are taken from the manifest's folder, so a zoo can move as a whole.
    """
    base = ''
    if isinstance(zoo, Mapping):
        manifest = zoo
    else:
        path = os.fspath(zoo)
        if not os.path.isfile(path):
            raise FileNotFoundError(f'DeRy zoo manifest {path!r} is not a file')
        manifest, base = load(path), os.path.dirname(os.path.abspath(path))
    if not isinstance(manifest, Mapping) or not isinstance(manifest.get('models'), list):
        raise ValueError(f'DeRy zoo manifest {zoo!r} must be a mapping with a "models" list')
    known = {f for f in ZooEntry.__dataclass_fields__}
    entries: dict[str, ZooEntry] = {}
    for i, raw in enumerate(manifest['models']):
        missing = {'name', 'arch', 'library'} - set(raw)
        unknown = set(raw) - known
        if missing or unknown:
            raise ValueError(f'DeRy zoo manifest {zoo!r}, models[{i}]: missing keys '
                             f'{sorted(missing)}, unknown keys {sorted(unknown)}; expected '
                             f'name, arch, library and optionally {sorted(known - missing)}')
        if raw['library'] not in LIBRARIES:
            raise ValueError(f'DeRy zoo model {raw["name"]!r}: library must be one of '
                             f'{LIBRARIES}, got {raw["library"]!r}')
        if raw['name'] in entries:
            raise ValueError(f'DeRy zoo manifest {zoo!r} names model {raw["name"]!r} twice')
        checkpoint = raw.get('checkpoint')
        if checkpoint:
            checkpoint = os.path.join(base, os.path.expanduser(checkpoint))
        entries[raw['name']] = ZooEntry(
            name=raw['name'], arch=raw['arch'], library=raw['library'],
            checkpoint=checkpoint or None,
            blocks=None if raw.get('blocks') is None else tuple(raw['blocks']),
            kwargs=dict(raw.get('kwargs') or {}),
            input_size=None if raw.get('input_size') is None else tuple(raw['input_size']))
    return entries


def _strip_prefixes(state: Mapping[str, Any]) -> dict[str, Any]:
    """Plain model keys from a DDP (``module.``) or mmpretrain classifier (``backbone.``) save."""
    state = {k.removeprefix('module.'): v for k, v in state.items()}
    if any(k.startswith('backbone.') for k in state):
        state = {k.removeprefix('backbone.'): v for k, v in state.items()
                 if k.startswith('backbone.')}
    return state


def build_source_model(entry: ZooEntry) -> nn.Module:
    """Build ``entry``'s model locally (never a hub download) and load its checkpoint, if any."""
    if entry.library == 'timm':
        model = timm.create_model(entry.arch, pretrained=False, **entry.kwargs)
    elif entry.library == 'torchvision':
        model = torchvision.models.get_model(entry.arch, weights=None, **entry.kwargs)
    else:  # mmpretrain and mm_cl_addon models both live in mmpretrain's MODELS registry
        model = MODELS.build(dict(type=entry.arch, **entry.kwargs))
    if entry.checkpoint is None:
        return model
    state = load_checkpoint(entry.checkpoint)
    for key in ('state_dict', 'model'):
        if isinstance(state, Mapping) and isinstance(state.get(key), Mapping):
            state = state[key]
            break
    try:
        missing, unexpected = model.load_state_dict(_strip_prefixes(state), strict=False)
    except RuntimeError as err:
        raise ValueError(f'DeRy zoo model {entry.name!r}: checkpoint {entry.checkpoint} does '
                         f'not fit {entry.library} {entry.arch}: {err}') from err
    if missing:
        raise ValueError(f'DeRy zoo model {entry.name!r}: checkpoint {entry.checkpoint} lacks '
                         f'{len(missing)} weights of {entry.arch}, e.g. {missing[:5]}')
    if unexpected:
        print_log(f'DeRy zoo model {entry.name!r}: ignored {len(unexpected)} checkpoint keys '
                  f'that {entry.arch} does not have, e.g. {unexpected[:5]}', logger='current')
    return model


def _reinitialise(stem: nn.Module) -> None:
    """A fresh stem: every layer's own reset, loose tensors (class token, position embedding,
    norms traced as functions) as timm initialises them."""
    reset = set()
    with torch.no_grad():
        for module in stem.modules():
            if module is not stem and hasattr(module, 'reset_parameters'):
                module.reset_parameters()
                reset.update(id(p) for p in module.parameters())
        for name, param in stem.named_parameters():
            if id(param) in reset:
                continue
            if param.dim() == 1 and name.endswith('weight'):
                param.fill_(1.0)
            elif param.dim() == 1 and name.endswith('bias'):
                param.zero_()
            else:
                nn.init.trunc_normal_(param, std=0.02)


@MODELS.register_module()
class DeRy(BaseModule):
    """A network reassembled from zoo model blocks, joined by stitching adapters.

    Returns a one-element tuple like mmpretrain backbones: the last part's map [N, C, H, W]
    (follow with ``GlobalAveragePooling``), or for a token part the feature vector [N, C] that
    mmpretrain's heads take with no neck: its first token when its model has prefix tokens
    (the class token), else the mean of its patch tokens.

    Args:
        blocks: ``[model_name, start_node, end_node]`` per part, in depth order.
        zoo: the zoo manifest (YAML/JSON path, or the same mapping inline).
        stem: ``'source'`` reuses the first part's model's stem (everything before its first
            block); ``'fresh'`` is the same stem initialised from scratch, as in the paper.
        freeze_blocks: freeze the reused parts (and a source stem); their BatchNorms stay in
            eval mode in ``train()``. Adapters and a fresh stem always train.
        input_size: (C, H, W) of the images this network takes; a zoo model without its own
            ``input_size`` runs its parts at this size.
        cutter: ``'auto'`` (torch.fx, else sequential), ``'fx'`` or ``'sequential'``.
    """

    def __init__(self, blocks: Sequence[Sequence], zoo: str | Mapping, stem: str = 'source',
                 freeze_blocks: bool = True, input_size: Sequence[int] = (3, 224, 224),
                 cutter: str = 'auto', init_cfg: dict | list | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if stem not in STEMS:
            raise ValueError(f'DeRy stem must be one of {STEMS}, got {stem!r}')
        if not blocks:
            raise ValueError('DeRy blocks is empty; give [model_name, start_node, end_node] '
                             'per part')
        entries = load_zoo(zoo)
        for i, spec in enumerate(blocks):
            if (len(spec) != 3 or spec[0] not in entries
                    or not all(isinstance(v, int) and not isinstance(v, bool) for v in spec[1:])):
                raise ValueError(f'DeRy blocks[{i}] = {spec!r}: expected [model_name, start_node, '
                                 f'end_node] with a model of the zoo {sorted(entries)} and '
                                 'integer nodes')
        sources: dict[str, nn.Module] = {}
        cuts: dict[tuple[str, tuple[int, ...]], SourceCuts] = {}

        def cuts_of(name: str, size: Sequence[int]) -> SourceCuts:
            size = tuple(size)
            if name not in sources:
                sources[name] = build_source_model(entries[name])
            if (name, size) not in cuts:
                cuts[name, size] = SourceCuts(sources[name], name, size, entries[name].blocks,
                                              cutter)
            return cuts[name, size]

        def native(name: str) -> SourceCuts:
            return cuts_of(name, entries[name].input_size or input_size)

        first = blocks[0][0]
        self.stem = cuts_of(first, input_size).stem()
        if stem == 'fresh':
            _reinitialise(self.stem)
        layout = cuts_of(first, input_size).layouts[0]
        parts, stitches = [], []
        for i, (name, start, end) in enumerate(blocks):
            source = native(name)
            last = i == len(blocks) - 1
            parts.append(source.part(start, end, tail=last))
            stitches.append(make_stitch(layout, source.layouts[start]))
            layout = source.out_layout(end, tail=last)
        self.parts, self.stitches = nn.ModuleList(parts), nn.ModuleList(stitches)
        self.out_layout = layout
        self.out_channels = layout.channels
        self.cut_methods = [native(name).cutter.method for name, _, _ in blocks]
        self.freeze_blocks = freeze_blocks
        self.frozen = [*self.parts, *([self.stem] if stem == 'source' else [])]
        if freeze_blocks:
            for module in self.frozen:
                module.requires_grad_(False)

    def init_weights(self) -> None:
        """Keep the zoo weights: adapters and a fresh stem are initialised on construction, and
        mmengine's recursive init would re-initialise reused layers that define init_weights."""
        if self.init_cfg:
            super().init_weights()

    def train(self, mode: bool = True) -> DeRy:
        """Frozen parts keep their BatchNorm statistics: their norms stay in eval mode."""
        super().train(mode)
        if self.freeze_blocks:
            for module in self.frozen:
                for norm in module.modules():
                    if isinstance(norm, _BatchNorm):
                        norm.eval()
        return self

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor]:
        x = self.stem(x)
        for stitch, part in zip(self.stitches, self.parts):
            x = part(stitch(x))
        if self.out_layout.kind == 'vit':
            x = x[:, 0] if self.out_layout.prefix else x.mean(dim=1)
        return (x,)
