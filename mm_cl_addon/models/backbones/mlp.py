"""``MLP``: a small fully connected backbone for low-dimensional inputs (the 2D streams)."""
from __future__ import annotations

from mmcv.cnn import build_activation_layer
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS
from torch import Tensor, nn


@MODELS.register_module()
class MLP(BaseModule):
    """``depth`` blocks of ``Linear(., hidden)`` and an activation; returns ``(features,)``.

    The MLP baseline of the Memory Head and Continual Neural Computation papers is
    ``Linear(2, h) -> Tanh -> Linear(h, classes)``: this backbone with ``depth=1`` and a
    ``LinearClsHead`` on top. The input is flattened first, so the ``[B, 2, 1, 1]`` batches
    of ``Points2DDataset`` (and any other shape) work unchanged.

    Args:
        in_features: size of the flattened input.
        hidden: width of every hidden layer.
        depth: number of hidden layers (>= 1).
        activation: activation config for mmcv's ``build_activation_layer``
            (the papers use ``Tanh``).
        init_cfg: mmengine initialisation config; None keeps PyTorch's default
            ``nn.Linear`` initialisation, as in the papers' code.
    """

    def __init__(self, in_features: int, hidden: int, depth: int = 1,
                 activation: dict | None = None, init_cfg: dict | list[dict] | None = None
                 ) -> None:
        super().__init__(init_cfg=init_cfg)
        for name, value in (('in_features', in_features), ('hidden', hidden), ('depth', depth)):
            if int(value) < 1:
                raise ValueError(f'MLP: {name} must be >= 1, got {value}')
        activation = dict(type='Tanh') if activation is None else dict(activation)
        layers: list[nn.Module] = []
        width = in_features
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), build_activation_layer(activation)]
            width = hidden
        self.layers = nn.Sequential(*layers)
        self.in_features, self.out_features = in_features, hidden

    def forward(self, x: Tensor) -> tuple[Tensor]:
        x = x.flatten(1)
        if x.shape[1] != self.in_features:
            raise ValueError(f'MLP expects {self.in_features} input features per sample, got '
                             f'{x.shape[1]} (input shape {tuple(x.shape)})')
        return (self.layers(x),)
