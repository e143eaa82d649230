"""EnsembleClassifier: members learn from their own losses and optimizers; predictions average."""
import copy

import pytest
import torch
from mmengine.optim import OptimWrapperDict
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mm_cl_addon.models.classifiers.ensemble import EnsembleOptimWrapperConstructor

MEMBER = dict(type='ImageClassifier',
              backbone=dict(type='SmallConvNet', in_channels=1, widths=(4, 8)),
              neck=dict(type='GlobalAveragePooling'),
              head=dict(type='LinearClsHead', num_classes=3, in_channels=8))


def _ensemble(members=2):
    model = MODELS.build(dict(type='EnsembleClassifier', members=[MEMBER] * members))
    model.init_weights()
    return model


def _batch():
    generator = torch.Generator().manual_seed(0)
    return dict(inputs=torch.randn(6, 1, 8, 8, generator=generator),
                data_samples=[DataSample().set_gt_label(i % 3) for i in range(6)])


def test_each_member_steps_on_its_own_loss_with_its_own_optimizer():
    model = _ensemble()
    wrappers = EnsembleOptimWrapperConstructor(
        dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)))(model)
    assert isinstance(wrappers, OptimWrapperDict) and set(wrappers.keys()) == {'member0', 'member1'}
    wrappers['member0'].optimizer.param_groups[0]['lr'] = 0.0
    alone = copy.deepcopy(model.members[1])
    alone_optimizer = torch.optim.SGD(alone.parameters(), lr=0.1, momentum=0.9)
    before = copy.deepcopy(model.members[0].state_dict())
    log_vars = model.train_step(_batch(), wrappers)
    assert {'member0.loss', 'member1.loss'} <= set(log_vars)
    for key, value in model.members[0].state_dict().items():
        if 'running' not in key and 'num_batches' not in key:
            assert torch.equal(value, before[key])  # lr 0: member 1's loss never reaches it
    data = model.data_preprocessor(_batch(), True)
    loss = alone.loss(data['inputs'], data['data_samples'])['loss']
    loss.backward()
    alone_optimizer.step()
    for (name, p), q in zip(model.members[1].named_parameters(), alone.parameters()):
        assert torch.allclose(p, q, atol=1e-6), name  # exactly the member trained alone


def test_prediction_is_the_mean_of_member_probabilities():
    model = _ensemble(3).eval()
    inputs = _batch()['inputs']
    expected = torch.stack([m(inputs, mode='tensor').softmax(-1) for m in model.members]).mean(0)
    predictions = model(inputs, [DataSample() for _ in range(6)], mode='predict')
    scores = torch.stack([p.pred_score for p in predictions])
    assert torch.allclose(scores, expected, atol=1e-6)
    assert [int(p.pred_label) for p in predictions] == expected.argmax(1).tolist()
    assert torch.allclose(model(inputs), expected, atol=1e-6)


def test_single_optimizer_sums_member_losses_and_bad_configs_fail():
    model = _ensemble()
    losses = model(**model.data_preprocessor(_batch(), True), mode='loss')
    assert set(losses) == {'member0.loss', 'member1.loss'}
    with pytest.raises(ValueError, match='members'):
        MODELS.build(dict(type='EnsembleClassifier', members=[]))
    with pytest.raises(TypeError, match="type='EnsembleClassifier'"):
        EnsembleOptimWrapperConstructor(dict(optimizer=dict(type='SGD', lr=0.1)))(
            model.members[0])
