"""What one part of a reassembled network hands the next: a CNN map or ViT tokens."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Layout:
    """The tensor between two parts: why an adapter is needed and what it must produce.

    ``'cnn'``: a map [N, channels, H, W] with ``size`` (H, W). ``'vit'``: tokens
    [N, prefix + H W, channels], ``prefix`` leading tokens (class/register tokens) before the
    patch tokens of an H x W grid ``size``.
    """

    kind: str
    channels: int
    size: tuple[int, int]
    prefix: int = 0
