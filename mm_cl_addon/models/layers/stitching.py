"""Stitching adapters of DeRy's reassembled networks (Yang et al., NeurIPS 2022).

A :class:`Layout` says what tensor one part hands the next (a CNN map or ViT tokens, its width
and grid); :func:`make_stitch` builds the adapter from one part's output layout to the next
part's native input layout: an identity where they match, else a :class:`Stitch`. Used by
:class:`~mm_cl_addon.models.backbones.DeRy`; see docs/dery_backbone.md.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ...reassembly.layout import Layout


def _resize(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Resample a map: average pooling when shrinking (no aliasing), bilinear otherwise."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    if x.shape[-2] >= size[0] and x.shape[-1] >= size[1]:
        return F.adaptive_avg_pool2d(x, size)
    return F.interpolate(x, size=size, mode='bilinear', align_corners=False)


def _conv_bn(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, bias=False),
                         nn.BatchNorm2d(out_channels))


class Stitch(nn.Module):
    """Maps one part's output layout to the next part's native input layout.

    cnn->cnn: resample to the target H x W, then 1x1 conv + BN when the channels differ.
    cnn->vit: resample to the target patch grid, flatten to tokens, Linear to the target width,
    prepend learnable prefix tokens. vit->vit: Linear on channels when the widths differ,
    resample the patch grid, keep the source prefix tokens up to the target's count and add
    learnable ones beyond it. vit->cnn: drop the prefix tokens, patch tokens back to a map,
    resample, 1x1 conv + BN.
    """

    def __init__(self, source: Layout, target: Layout) -> None:
        super().__init__()
        self.source, self.target = source, target
        cin, cout = source.channels, target.channels
        if target.kind == 'cnn':
            self.proj = (_conv_bn(cin, cout) if source.kind == 'vit' or cin != cout
                         else nn.Identity())
            extra = 0
        else:
            self.proj = nn.Linear(cin, cout) if source.kind == 'cnn' or cin != cout \
                else nn.Identity()
            kept = source.prefix if source.kind == 'vit' else 0
            extra = max(target.prefix - kept, 0)
        self.extra_tokens = nn.Parameter(torch.empty(1, extra, cout)) if extra else None
        if self.extra_tokens is not None:
            nn.init.trunc_normal_(self.extra_tokens, std=0.02)

    def _map(self, tokens: torch.Tensor) -> torch.Tensor:
        """Patch tokens [N, H W, C] of the source grid as a map [N, C, H, W]."""
        height, width = self.source.size
        return tokens.transpose(1, 2).reshape(tokens.shape[0], -1, height, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        source, target = self.source, self.target
        if target.kind == 'cnn':
            if source.kind == 'vit':
                x = self._map(x[:, source.prefix:])
            return self.proj(_resize(x, target.size))
        if source.kind == 'cnn':
            kept, patches = [], self.proj(_resize(x, target.size).flatten(2).transpose(1, 2))
        else:
            x = self.proj(x)
            kept, patches = [x[:, :min(source.prefix, target.prefix)]], x[:, source.prefix:]
            if source.size != target.size:
                patches = _resize(self._map(patches), target.size).flatten(2).transpose(1, 2)
        extra = [] if self.extra_tokens is None else [
            self.extra_tokens.expand(x.shape[0], -1, -1)]
        return torch.cat([*kept, *extra, patches], dim=1)


def make_stitch(source: Layout, target: Layout) -> nn.Module:
    """Identity where the layouts match, else a :class:`Stitch`."""
    return nn.Identity() if source == target else Stitch(source, target)
