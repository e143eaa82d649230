"""The empirical Fisher equals its closed form on softmax regression, sample by sample."""
from __future__ import annotations

import pytest
import torch
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mm_cl_addon.regularization import empirical_fisher


def _softmax_regression(features: int, classes: int):
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='ImageClassifier', backbone=dict(type='Flatten'),
        head=dict(type='LinearClsHead', num_classes=classes, in_channels=features),
        data_preprocessor=dict(type='ClsDataPreprocessor')))
    return model


def _batch(x: torch.Tensor, y: list[int]) -> dict:
    return dict(inputs=[row.view(-1, 1, 1) for row in x],
                data_samples=[DataSample().set_gt_label(label) for label in y])


def test_fisher_is_the_mean_of_per_sample_squared_gradients():
    model = _softmax_regression(4, 3)
    x = torch.randn(6, 4)
    y = [0, 2, 1, 1, 0, 2]
    fisher = empirical_fisher(model, [_batch(x[:4], y[:4]), _batch(x[4:], y[4:])])
    weight, bias = model.head.fc.weight.detach(), model.head.fc.bias.detach()
    p = torch.softmax(x @ weight.T + bias, dim=1)
    residual = p - torch.nn.functional.one_hot(torch.tensor(y), 3).float()  # dNLL/dlogits
    expected_w = torch.stack([torch.outer(r, xi) ** 2 for r, xi in zip(residual, x)]).mean(0)
    expected_b = (residual ** 2).mean(0)
    torch.testing.assert_close(fisher['head.fc.weight'], expected_w, rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(fisher['head.fc.bias'], expected_b, rtol=1e-5, atol=1e-7)
    batch_gradient_squared = (residual.mean(0)) ** 2  # what a batch-level estimate would give
    assert not torch.allclose(expected_b, batch_gradient_squared)


def test_max_samples_and_model_mode():
    model = _softmax_regression(4, 3).train()
    x = torch.randn(6, 4)
    first_two = empirical_fisher(model, [_batch(x, [0, 1, 2, 0, 1, 2])], max_samples=2)
    assert torch.allclose(first_two['head.fc.bias'],
                          empirical_fisher(model, [_batch(x[:2], [0, 1])])['head.fc.bias'])
    assert model.training  # restored
    with pytest.raises(ValueError, match='held no samples'):
        empirical_fisher(model, [])
    with pytest.raises(TypeError, match='needs a classifier'):
        empirical_fisher(torch.nn.Linear(2, 2), [])


def test_the_vectorised_and_the_one_by_one_gradients_agree_on_a_convnet():
    from mm_cl_addon.regularization.fisher import (
        _squared_gradients_batched,
        _squared_gradients_one_by_one,
    )
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='ImageClassifier', backbone=dict(type='SmallConvNet', widths=(8, 16)),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=4, in_channels=16),
        data_preprocessor=dict(type='ClsDataPreprocessor'))).eval()
    params = {n: p for n, p in model.named_parameters()}
    inputs = torch.randn(5, 1, 8, 8)
    samples = [DataSample().set_gt_label(i % 4) for i in range(5)]
    batched = _squared_gradients_batched(model, params, inputs, samples)
    looped = _squared_gradients_one_by_one(model, params, inputs, samples)
    for name in params:
        torch.testing.assert_close(batched[name], looped[name], rtol=1e-4, atol=1e-7)
