"""A small CNN for the embedded digits data and other low-resolution inputs."""
from __future__ import annotations

from collections.abc import Sequence

import torch
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS
from torch import nn


@MODELS.register_module()
class SmallConvNet(BaseModule):
    """Stages of (3x3 conv, ReLU, BatchNorm, 2x2 max-pool).

    BatchNorm comes after the ReLU so that the features are centred: with
    ReLU last, fine-tuning on a new task can drive every unit to zero (the
    cheapest way to lower old classes' logits) and the network dies.

    Returns a one-element tuple with the last feature map, as mmpretrain
    backbones do, so ``GlobalAveragePooling`` and any ``ClsHead`` follow.

    Args:
        in_channels: channels of the input image.
        widths: output channels of each stage before ``width_multiplier``.
        width_multiplier: scales every stage's width (rounded, at least 1).
        norm: add BatchNorm after each convolution.
    """

    def __init__(self, in_channels: int = 1, widths: Sequence[int] = (32, 64),
                 width_multiplier: float = 1.0, norm: bool = True,
                 init_cfg: dict | list | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not widths or width_multiplier <= 0:
            raise ValueError(f'SmallConvNet: widths={widths!r} must be non-empty and '
                             f'width_multiplier={width_multiplier!r} positive')
        self.out_channels = [max(1, round(w * width_multiplier)) for w in widths]
        stages, previous = [], in_channels
        for width in self.out_channels:
            layers: list[nn.Module] = [nn.Conv2d(previous, width, 3, padding=1),
                                       nn.ReLU(inplace=True)]
            if norm:
                layers.append(nn.BatchNorm2d(width))
            layers.append(nn.MaxPool2d(2))
            stages.append(nn.Sequential(*layers))
            previous = width
        self.stages = nn.Sequential(*stages)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor]:
        return (self.stages(x),)
