"""MLP backbone: shapes, depth, activation, and the papers' 2D model through the registry."""
from __future__ import annotations

import pytest
import torch
from mmpretrain.registry import MODELS
from torch import nn

from mm_cl_addon.models.backbones import MLP


def test_forward_flattens_and_returns_one_feature():
    backbone = MLP(in_features=2, hidden=25)
    (features,) = backbone(torch.randn(7, 2, 1, 1))  # Points2DDataset's collated layout
    assert features.shape == (7, 25)
    assert features.abs().max() <= 1  # Tanh by default
    assert sum(p.numel() for p in backbone.parameters()) == 2 * 25 + 25


def test_depth_and_activation():
    backbone = MLP(in_features=4, hidden=8, depth=3, activation=dict(type='ReLU'))
    linears = [m for m in backbone.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(4, 8), (8, 8), (8, 8)]
    assert sum(isinstance(m, nn.ReLU) for m in backbone.modules()) == 3
    assert (backbone(torch.randn(3, 4))[0] >= 0).all()


def test_papers_mlp_classifier_builds_from_the_registry():
    model = MODELS.build(dict(
        type='ImageClassifier', backbone=dict(type='MLP', in_features=2, hidden=5),
        head=dict(type='LinearClsHead', num_classes=4, in_channels=5)))
    assert model(torch.randn(6, 2, 1, 1), mode='tensor').shape == (6, 4)


def test_errors():
    with pytest.raises(ValueError, match='depth'):
        MLP(in_features=2, hidden=5, depth=0)
    with pytest.raises(ValueError, match='expects 2 input features'):
        MLP(in_features=2, hidden=5)(torch.randn(3, 3))
