"""DeRy's reassembled network (Yang et al., "Deep Model Reassembly", NeurIPS 2022) as a backbone.

A DeRy network is a chain of parts cut out of zoo models, ``[model_name, start_node, end_node]``
or ``[model_name, start_node, end_node, weights]`` each, joined by stitching adapters. Nodes
follow :mod:`mm_cl_addon.reassembly.block_table`: node 0 is the input of a model's first block
(its stem's output) and node i the output of its i-th block, so part (s, e] runs blocks
s+1..e. This module assembles the network; the zoo manifest
and its models are :mod:`mm_cl_addon.reassembly.zoo` (the reader and builder tools/dery uses),
the cutting is :mod:`mm_cl_addon.reassembly.cutting` and the adapters
:mod:`mm_cl_addon.models.layers.stitching`. Each part runs at its source model's native
layout and the adapter in front of it resamples to that layout. See docs/dery_backbone.md.
"""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence

import torch
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from mm_cl_addon.models.layers.stitching import make_stitch
from mm_cl_addon.reassembly.cutting import SourceCuts
from mm_cl_addon.reassembly.zoo import ZooModel, build_zoo_model, load_zoo

STEMS = ('source', 'fresh')
ZOO_WEIGHTS, RANDOM_WEIGHTS = 'zoo', 'random'  # a part's ``weights``, besides a checkpoint path


def _part_source(spec: Sequence, index: int, entries: Mapping[str, ZooModel],
                 zoo: str | Mapping) -> tuple[str, int, int, ZooModel]:
    """``(name, start, end, entry)`` of ``blocks[index]``; the entry carries the part's weights.

    ``weights`` (the optional 4th element): ``None`` or ``'zoo'`` keeps the manifest's
    checkpoint, ``'random'`` builds the model without one (from the current random state), any
    other string is a checkpoint path, relative to the manifest's folder as the manifest's own.
    """
    if (not isinstance(spec, (list, tuple)) or len(spec) not in (3, 4) or spec[0] not in entries
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in spec[1:3])
            or (len(spec) == 4 and spec[3] is not None and not isinstance(spec[3], str))):
        raise ValueError(f'DeRy blocks[{index}] = {spec!r}: expected [model_name, start_node, '
                         f'end_node] or [model_name, start_node, end_node, weights] with a model '
                         f'of the zoo {sorted(entries)}, integer nodes and weights None, '
                         f'{ZOO_WEIGHTS!r}, {RANDOM_WEIGHTS!r} or a checkpoint path')
    name, start, end = spec[:3]
    weights = spec[3] if len(spec) == 4 else None
    entry = entries[name]
    if weights == RANDOM_WEIGHTS:
        entry = dataclasses.replace(entry, checkpoint=None)
    elif weights not in (None, ZOO_WEIGHTS):
        base = '' if isinstance(zoo, Mapping) else os.path.dirname(os.path.abspath(zoo))
        path = os.path.join(base, os.path.expanduser(weights))
        if not os.path.isfile(path):
            raise FileNotFoundError(f'DeRy blocks[{index}] = {spec!r}: checkpoint {path!r} is '
                                    'not a file')
        entry = dataclasses.replace(entry, checkpoint=path)
    return name, start, end, entry


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
        blocks: ``[model_name, start_node, end_node]`` or ``[model_name, start_node, end_node,
            weights]`` per part, in depth order. ``weights``: ``None`` / ``'zoo'`` (the
            manifest's checkpoint, the default), ``'random'`` (no checkpoint) or a checkpoint
            path (relative to the manifest's folder), loaded by the manifest's one rule.
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
        entries = {entry.name: entry for entry in load_zoo(zoo)}
        parsed = [_part_source(spec, i, entries, zoo) for i, spec in enumerate(blocks)]
        # One source model per (zoo model, checkpoint): parts that share both share a model.
        sources: dict[tuple[str, str | None], nn.Module] = {}
        cuts: dict[tuple[str, str | None, tuple[int, ...]], SourceCuts] = {}

        def cuts_of(entry: ZooModel, size: Sequence[int]) -> SourceCuts:
            model_key = (entry.name, entry.checkpoint)
            if model_key not in sources:
                # Weights of checkpoint-less models come from the current random state (the
                # config's seed); the model is built in train mode, as mmengine builds models.
                sources[model_key] = build_zoo_model(entry, seed=None)
                sources[model_key].train()
            key = (*model_key, tuple(size))
            if key not in cuts:
                cuts[key] = SourceCuts(sources[model_key], entry.name, size, entry.blocks, cutter)
            return cuts[key]

        def native(entry: ZooModel) -> SourceCuts:
            return cuts_of(entry, entry.input_size or input_size)

        first = parsed[0][3]
        self.stem = cuts_of(first, input_size).stem()
        if stem == 'fresh':
            _reinitialise(self.stem)
        layout = cuts_of(first, input_size).layouts[0]
        parts, stitches = [], []
        for i, (_, start, end, entry) in enumerate(parsed):
            source = native(entry)
            last = i == len(parsed) - 1
            parts.append(source.part(start, end, tail=last))
            stitches.append(make_stitch(layout, source.layouts[start]))
            layout = source.out_layout(end, tail=last)
        self.parts, self.stitches = nn.ModuleList(parts), nn.ModuleList(stitches)
        self.checkpoints = [entry.checkpoint for *_, entry in parsed]
        self.out_layout = layout
        self.out_channels = layout.channels
        self.cut_methods = [native(entry).cutter.method for *_, entry in parsed]
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
