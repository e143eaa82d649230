"""Per-sample losses: the batched path of plain classifiers equals one forward per sample."""
from __future__ import annotations

import torch
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mm_cl_addon.continual.loss_probe import _forward_loss, is_plain_classifier, per_sample_losses


def _classifier(kind: str = 'ImageClassifier'):
    torch.manual_seed(0)
    return MODELS.build(dict(
        type=kind, backbone=dict(type='SmallConvNet', widths=(8, 16)),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=4, in_channels=16,
                  loss=dict(type='CrossEntropyLoss', loss_weight=0.7)),
        data_preprocessor=dict(type='ClsDataPreprocessor', mean=[78.0], std=[96.0])))


def _one_by_one(model, inputs, samples, params=None) -> torch.Tensor:
    data = model.data_preprocessor(dict(inputs=inputs, data_samples=samples), False)
    state = {**dict(model.named_buffers()), **(params or {})}
    was_training = model.training
    model.eval()
    with torch.no_grad():
        losses = torch.stack([_forward_loss(model, dict(inputs=data['inputs'][i:i + 1],
                                                        data_samples=[data['data_samples'][i]]),
                                            state) for i in range(len(samples))])
    model.train(was_training)
    return losses


def test_the_batched_path_equals_one_pass_per_sample_with_and_without_new_params():
    model = _classifier().train()
    inputs = torch.randint(0, 255, (6, 1, 8, 8), dtype=torch.uint8)
    samples = [DataSample().set_gt_label(i % 4) for i in range(6)]
    assert is_plain_classifier(model)
    torch.testing.assert_close(per_sample_losses(model, inputs, samples),
                               _one_by_one(model, inputs, samples), rtol=1e-5, atol=1e-6)
    shifted = {n: p + 0.1 for n, p in model.named_parameters()}
    torch.testing.assert_close(per_sample_losses(model, inputs, samples, params=shifted),
                               _one_by_one(model, inputs, samples, params=shifted),
                               rtol=1e-5, atol=1e-6)
    assert model.training  # restored


def test_models_with_their_own_loss_keep_the_per_sample_path():
    assert not is_plain_classifier(_classifier('ReferenceKDClassifier'))
