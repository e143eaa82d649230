"""A multimodal Perceiver IO backbone with one key/value input projection per modality.

Built on ``perceiver_pytorch.PerceiverIO`` (0.11): its encoder is one cross-attention
block whose context LayerNorm and ``to_kv`` projection are shared by every input
token. MM-Pick-a-back transfers a modality's key/value projection between models,
so here each modality gets its own LayerNorm and ``to_kv``: the two modules are
swapped for :class:`ModalityLayerNorm` and :class:`ModalityLinear`, which route each
token by its modality: the backbone sets each modality's span of tokens before every forward.

``width_multiplier`` widens only the widths that no LayerNorm sees (CPG's growth must leave
old tasks' outputs unchanged, and a wider LayerNorm would renormalise old features): the
number of attention heads (the head size stays) and the GEGLU feed-forward hidden width.
``growth_chunks`` tells :func:`mm_cl_addon.models.growth.grow_model` which of those weights
are two blocks stacked along the output features (keys and values, GEGLU values and gates).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS
from perceiver_pytorch import PerceiverIO
from perceiver_pytorch import perceiver_io as io_parts
from perceiver_pytorch import perceiver_pytorch as block_parts
from torch import nn

MODALITIES = ('image', 'text')
NUM_BYTES = 256  # UTF-8 byte values; padding is masked out, so no extra token is needed
FF_MULT = 4  # perceiver-pytorch's FeedForward: hidden width = FF_MULT x its input width
# perceiver-pytorch defines its attention and GEGLU twice: PerceiverIO's decoder uses those
# of perceiver_io, the encoder and latent blocks (PerceiverBlock) those of perceiver_pytorch.
ATTENTION_TYPES = (io_parts.Attention, block_parts.Attention)
GEGLU_TYPES = (io_parts.GEGLU, block_parts.GEGLU)


Span = tuple[int, int, int]  # (modality position, first token, end token)


class ModalityIndex:
    """Which tokens of the batch being encoded belong to which modality, shared by the routed
    modules: contiguous spans, as the backbone concatenates each modality's tokens."""

    def __init__(self) -> None:
        self.spans: list[Span] | None = None

    def get(self) -> list[Span]:
        if self.spans is None:
            raise RuntimeError('no modality index set: call the backbone, not its encoder')
        return self.spans


def route(modules: nn.ModuleDict, tokens: torch.Tensor, index: ModalityIndex) -> torch.Tensor:
    """Each span of ``tokens`` through its modality's module, joined back in order."""
    layers = list(modules.values())
    parts = [layers[position](tokens[:, start:end]) for position, start, end in index.get()]
    return parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)


class ModalityLayerNorm(nn.Module):
    """One ``nn.LayerNorm`` per modality; token t uses its modality's."""

    def __init__(self, dim: int, modalities: Sequence[str], index: ModalityIndex) -> None:
        super().__init__()
        self.norms = nn.ModuleDict({name: nn.LayerNorm(dim) for name in modalities})
        self._index = index

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return route(self.norms, tokens, self._index)


class ModalityLinear(nn.Module):
    """One bias-free ``nn.Linear`` per modality (each maskable by PackNet/CPG); routed per token."""

    def __init__(self, in_features: int, out_features: int, modalities: Sequence[str],
                 index: ModalityIndex) -> None:
        super().__init__()
        self.linears = nn.ModuleDict({name: nn.Linear(in_features, out_features, bias=False)
                                      for name in modalities})
        self._index = index

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return route(self.linears, tokens, self._index)


def fourier_position_features(height: int, width: int, num_bands: int,
                              max_freq: float) -> torch.Tensor:
    """[H*W, 2(2 num_bands + 1)]: sin/cos of each coordinate in [-1, 1] at num_bands
    frequencies up to max_freq / 2, and the coordinate itself (Perceiver's encoding)."""
    axes = [torch.linspace(-1.0, 1.0, size) for size in (height, width)]
    grid = torch.stack(torch.meshgrid(*axes, indexing='ij'), dim=-1).reshape(-1, 2)
    scales = torch.linspace(1.0, max_freq / 2, num_bands)
    angles = grid.unsqueeze(-1) * scales * math.pi  # [HW, 2, bands]
    features = torch.cat([angles.sin(), angles.cos(), grid.unsqueeze(-1)], dim=-1)
    return features.reshape(grid.shape[0], -1)


def scaled_width(base: int, width_multiplier: float) -> int:
    """``base x width_multiplier`` rounded half up, at least 1 (monotone in the multiplier, so a
    wider model never has fewer units of any kind)."""
    return max(1, math.floor(base * width_multiplier + 0.5))


def widen_feed_forwards(module: nn.Module, width_multiplier: float) -> None:
    """Give every GEGLU feed-forward under ``module`` ``scaled_width(FF_MULT x dim)`` hidden
    units: its first Linear is rebuilt ``dim -> 2 hidden`` (values, then gates, as GEGLU
    chunks them), its second ``hidden -> dim``. Names stay; nothing happens at width 1."""
    for sequential in list(module.modules()):
        if not (isinstance(sequential, nn.Sequential) and len(sequential) > 2
                and isinstance(sequential[1], GEGLU_TYPES)):
            continue
        dim = sequential[0].in_features
        hidden = scaled_width(FF_MULT * dim, width_multiplier)
        if 2 * hidden != sequential[0].out_features:
            sequential[0] = nn.Linear(dim, 2 * hidden)
            sequential[2] = nn.Linear(hidden, sequential[2].out_features)


@MODELS.register_module()
class PerceiverIOBackbone(BaseModule):
    """Perceiver IO over image tokens, text tokens or both, for mmpretrain classifiers.

    Inputs: an image batch ``[B, C, H, W]``, or a dict with ``'image'`` and/or
    ``'text'`` (``[B, L]`` UTF-8 byte values) with ``'text_length'`` (``[B]``, as
    ``PackMultiModalInputs`` gives) or ``'text_mask'`` (``[B, L]``, True on real
    bytes); without either, byte 0 is padding. Image tokens are pixels with Fourier
    position features; text tokens are byte embeddings plus learned positions (no
    tokenizer).
    Both are zero-padded to ``token_dim``; a paired batch concatenates them.
    Returns a one-element tuple: the output of a learned query cross-attending
    to the latents (``output='query'``) or the mean latent (``'mean'``).

    Args:
        modalities: the modalities with their own key/value projection.
        image_size: (H, W) of image inputs (sets the position features).
        image_channels: C of image inputs.
        text_max_bytes: longest text, in bytes.
        text_dim: width of the byte embeddings.
        num_freq_bands, max_freq: the Fourier position features.
        depth, num_latents, latent_dim, cross_heads, latent_heads, cross_dim_head,
        latent_dim_head: as ``perceiver_pytorch.PerceiverIO`` at ``width_multiplier=1``.
        output: ``'query'`` or ``'mean'``.
        width_multiplier: CPG's growth factor ``w`` (> 0). Heads become
            ``scaled_width(cross_heads, w)`` and ``scaled_width(latent_heads, w)`` (round half
            up, at least 1; head sizes unchanged, so attention inner widths are heads x
            dim_head), and every GEGLU feed-forward gets ``scaled_width(4 x latent_dim, w)``
            hidden units. Token, latent and query widths (the LayerNorms) and
            ``out_channels`` never change; ``w=1`` is exactly the plain architecture.
    """

    def __init__(self, modalities: Sequence[str] = MODALITIES, image_size: Sequence[int] = (16, 16),
                 image_channels: int = 3, text_max_bytes: int = 64, text_dim: int = 32,
                 num_freq_bands: int = 4, max_freq: float = 8.0, depth: int = 1,
                 num_latents: int = 16, latent_dim: int = 64, cross_heads: int = 1,
                 latent_heads: int = 4, cross_dim_head: int = 16, latent_dim_head: int = 16,
                 output: str = 'query', width_multiplier: float = 1.0,
                 init_cfg: dict | list | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        unknown = set(modalities) - set(MODALITIES)
        if unknown or not modalities:
            raise ValueError(f'PerceiverIOBackbone: modalities={list(modalities)!r} must be a '
                             f'non-empty subset of {MODALITIES}')
        if output not in ('query', 'mean'):
            raise ValueError(f"PerceiverIOBackbone: output={output!r} is not 'query' or 'mean'")
        if not width_multiplier > 0:
            raise ValueError(f'PerceiverIOBackbone: width_multiplier={width_multiplier!r} must '
                             f'be positive')
        self.modalities = list(modalities)
        self.output = output
        self.register_buffer('image_positions', fourier_position_features(
            *image_size, num_freq_bands, max_freq), persistent=False)
        image_dim = image_channels + self.image_positions.shape[1]
        self.token_dim = max(image_dim if 'image' in self.modalities else 0,
                             text_dim if 'text' in self.modalities else 0)
        if 'text' in self.modalities:
            self.byte_embedding = nn.Embedding(NUM_BYTES, text_dim)
            self.text_positions = nn.Parameter(torch.randn(text_max_bytes, text_dim) * 0.02)
        self.perceiver = PerceiverIO(
            depth=depth, dim=self.token_dim, queries_dim=latent_dim, num_latents=num_latents,
            latent_dim=latent_dim, cross_heads=scaled_width(cross_heads, width_multiplier),
            latent_heads=scaled_width(latent_heads, width_multiplier),
            cross_dim_head=cross_dim_head, latent_dim_head=latent_dim_head)
        widen_feed_forwards(self.perceiver, width_multiplier)
        self._modality_index = ModalityIndex()
        encoder = self.perceiver.cross_attend_block.cross_attn
        inner = encoder.fn.to_kv.out_features
        encoder.norm_context = ModalityLayerNorm(self.token_dim, self.modalities,
                                                 self._modality_index)
        encoder.fn.to_kv = ModalityLinear(self.token_dim, inner, self.modalities,
                                          self._modality_index)
        if output == 'query':
            self.query = nn.Parameter(torch.randn(1, latent_dim) * 0.02)
        self.out_channels = [latent_dim]

    def growth_chunks(self) -> dict[str, tuple[int, int]]:
        """The Linears whose output features are two stacked blocks, by module name: every
        attention's key/value projection (``to_kv``, each modality's too: keys, then values)
        and every GEGLU feed-forward's first Linear (values, then gates); each maps to
        ``(0, 2)``: dimension 0 in 2 chunks. Growth embeds each chunk's old rows in the
        leading rows of the same chunk (see ``mm_cl_addon.models.growth``)."""
        chunks = {}
        for name, module in self.named_modules():
            if isinstance(module, ATTENTION_TYPES):
                for sub, linear in module.to_kv.named_modules():
                    if isinstance(linear, nn.Linear):
                        chunks['.'.join(filter(None, (name, 'to_kv', sub)))] = (0, 2)
            elif (isinstance(module, nn.Sequential) and len(module) > 1
                  and isinstance(module[1], GEGLU_TYPES)):
                chunks[f'{name}.0'] = (0, 2)
        return chunks

    # ----------------------------------------------------------------- tokens
    def _pad(self, tokens: torch.Tensor) -> torch.Tensor:
        return F.pad(tokens, (0, self.token_dim - tokens.shape[-1]))

    def image_tokens(self, images: torch.Tensor) -> torch.Tensor:
        """[B, C, H, W] -> [B, H*W, token_dim]: pixel values and position features."""
        batch, _, height, width = images.shape
        if height * width != self.image_positions.shape[0]:
            raise ValueError(f'PerceiverIOBackbone: image of {height}x{width} does not match '
                             f'image_size ({self.image_positions.shape[0]} positions)')
        pixels = images.flatten(2).transpose(1, 2)
        positions = self.image_positions.to(pixels.dtype).expand(batch, -1, -1)
        return self._pad(torch.cat([pixels, positions], dim=-1))

    def text_tokens(self, text: torch.Tensor) -> torch.Tensor:
        """[B, L] byte values -> [B, L, token_dim]: byte embeddings plus learned positions."""
        if text.shape[1] > self.text_positions.shape[0]:
            raise ValueError(f'PerceiverIOBackbone: text of {text.shape[1]} bytes exceeds '
                             f'text_max_bytes={self.text_positions.shape[0]}')
        embedded = self.byte_embedding(text.long()) + self.text_positions[:text.shape[1]]
        return self._pad(embedded)

    @staticmethod
    def text_mask(inputs: Mapping) -> torch.Tensor:
        """[B, L] True on the real bytes: from ``text_mask``, ``text_length`` or nonzero bytes."""
        text = inputs['text']
        if inputs.get('text_mask') is not None:
            return inputs['text_mask'].bool()
        if inputs.get('text_length') is not None:
            positions = torch.arange(text.shape[1], device=text.device)
            return positions < inputs['text_length'].to(text.device).unsqueeze(1)
        return text != 0

    def _context(self, inputs: torch.Tensor | Mapping) -> tuple[torch.Tensor, list[Span],
                                                               torch.Tensor]:
        """Tokens, each modality's span of them and their attention mask (True = attend)."""
        if isinstance(inputs, torch.Tensor):
            inputs = {'image': inputs}
        parts, spans, masks, start = [], [], [], 0
        for position, name in enumerate(self.modalities):
            value = inputs.get(name)
            if value is None:
                continue
            if name == 'image':
                tokens = self.image_tokens(value)
                mask = torch.ones(tokens.shape[:2], dtype=torch.bool, device=tokens.device)
            else:
                tokens, mask = self.text_tokens(value), self.text_mask(inputs)
            parts.append(tokens)
            masks.append(mask)
            spans.append((position, start, start + tokens.shape[1]))
            start += tokens.shape[1]
        if not parts:
            raise ValueError(f'PerceiverIOBackbone: the inputs hold none of {self.modalities}')
        if len(parts) == 1:
            return parts[0], spans, masks[0]
        return torch.cat(parts, 1), spans, torch.cat(masks, 1)

    def forward(self, inputs: torch.Tensor | Mapping) -> tuple[torch.Tensor]:
        tokens, spans, mask = self._context(inputs)
        self._modality_index.spans = spans
        try:
            queries = self.query if self.output == 'query' else None
            out = self.perceiver(tokens, mask=mask, queries=queries)
        finally:
            self._modality_index.spans = None
        return (out[:, 0] if self.output == 'query' else out.mean(dim=1),)
