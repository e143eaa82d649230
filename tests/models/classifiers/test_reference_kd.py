"""ReferenceKDClassifier and ReferenceModel: the teacher's kinds, eval mode, gradients."""
import copy

import pytest
import torch
from mmengine.model import ExponentialMovingAverage, MomentumAnnealingEMA, StochasticWeightAverage
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mm_cl_addon.models import ReferenceModel
from mm_cl_addon.models.losses.distillation import kd_loss


def build(head=None, **kwargs):
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='ReferenceKDClassifier',
        backbone=dict(type='SmallConvNet', widths=[4, 8]),
        neck=dict(type='GlobalAveragePooling'),
        head=head or dict(type='LinearClsHead', num_classes=10, in_channels=8),
        data_preprocessor=dict(num_classes=10, mean=[78.0], std=[96.0], to_rgb=False),
        **kwargs))


def batch(n=6):
    torch.manual_seed(1)
    inputs = torch.randn(n, 1, 8, 8)
    samples = [DataSample().set_gt_label(i % 10) for i in range(n)]
    return inputs, samples


def perturb(model, scale=0.1):
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(scale * torch.randn_like(parameter))


def test_plain_cross_entropy_until_a_reference_exists():
    model = build()
    inputs, samples = batch()
    assert set(model.loss(inputs, samples)) == {'loss'}
    model.reference = ReferenceModel(model.reference_source())
    model.eval()  # the teacher always runs in eval mode; compare like with like
    losses = model.loss(inputs, samples)
    assert set(losses) == {'loss', 'loss_kd'}
    assert losses['loss_kd'].item() == pytest.approx(0.0, abs=1e-6)  # teacher == student


def test_kd_term_equals_the_formula():
    model = build(kd_weight=0.5, temperature=3.0)
    model.reference = ReferenceModel(model.reference_source())
    perturb(model)
    inputs, samples = batch()
    model.eval()  # BatchNorm in the same mode for the hand computation
    teacher = model.reference.module
    with torch.no_grad():
        target = teacher['head'](teacher['neck'](teacher['backbone'](inputs)))
    expected = 0.5 * kd_loss(model.head(model.extract_feat(inputs)), target, 3.0)
    assert model.loss(inputs, samples)['loss_kd'].item() == pytest.approx(expected.item())


def test_reference_stays_in_eval_mode_and_out_of_the_student():
    model = build()
    model.reference = ReferenceModel(model.reference_source(), kind='ema')
    model.train()
    assert not model.reference.module.training
    assert not any(name.startswith('reference') for name in model.state_dict())
    assert all(not p.requires_grad for p in model.reference.module.parameters())
    student_params = {id(p) for p in model.parameters()}
    assert not student_params & {id(p) for p in model.reference.module.parameters()}


@pytest.mark.parametrize('kind, mmengine_class, options', [
    ('ema', ExponentialMovingAverage, dict(momentum=0.1)),
    ('anneal', MomentumAnnealingEMA, dict(momentum=0.01, gamma=5)),
    ('swa', StochasticWeightAverage, dict()),
])
def test_averaged_references_follow_mmengine_formulas(kind, mmengine_class, options):
    model = build()
    reference = ReferenceModel(model.reference_source(), kind=kind, **options)
    history = [copy.deepcopy(model.reference_source().state_dict())]
    for _ in range(3):
        perturb(model)
        reference.update(model.reference_source())
        history.append(copy.deepcopy(model.reference_source().state_dict()))
    name = 'head.fc.weight'
    weights = [state[name] for state in history]
    if kind == 'ema':
        expected = weights[0]
        for w in weights[1:]:
            expected = (1 - 0.1) * expected + 0.1 * w
    elif kind == 'anneal':
        expected = weights[0]
        for step, w in enumerate(weights[1:], start=1):
            momentum = max(0.01, 5 / (5 + step))
            expected = (1 - momentum) * expected + momentum * w
    else:
        expected = sum(weights) / len(weights)
    assert torch.allclose(reference.module.state_dict()[name], expected, atol=1e-6)
    assert isinstance(reference.averaged, mmengine_class)
    assert not torch.allclose(expected, weights[-1])  # it moved, but not all the way


def test_frozen_reference_does_not_move_until_refreshed():
    model = build()
    reference = ReferenceModel(model.reference_source(), kind='frozen')
    before = copy.deepcopy(reference.module.state_dict())
    perturb(model)
    reference.update(model.reference_source())
    assert all(torch.equal(before[k], v) for k, v in reference.module.state_dict().items())
    reference.refresh(model.reference_source())
    assert torch.equal(reference.module.state_dict()['head.fc.weight'], model.head.fc.weight)


def test_cls_only_head_frozen_but_gradients_reach_the_backbone():
    model = build(cls_only=True)
    model.reference = ReferenceModel(model.reference_source())
    assert set(model.reference.module) == {'head'}
    perturb(model)
    inputs, samples = batch()
    frozen = model.reference.module['head'].fc.weight.clone()
    model.zero_grad()
    loss = model.loss(inputs, samples)['loss_kd']
    loss.backward()
    assert model.reference.module['head'].fc.weight.grad is None
    assert torch.equal(model.reference.module['head'].fc.weight, frozen)
    # through the reference head as well as the student's: compare with a detached target
    with_path = model.backbone.stages[0][0].weight.grad.clone()
    model.zero_grad()
    feats = model.extract_feat(inputs)
    kd_loss(model.head(feats), model.reference.module['head'](feats).detach(),
            model.temperature).backward()
    assert not torch.allclose(with_path, model.backbone.stages[0][0].weight.grad)


def test_masked_head_replaces_plain_kd():
    model = build(head=dict(type='MaskedClsHead', num_classes=10, in_channels=8,
                            mask_ratio=0.5, mask_mode='s', inv_mode='v2'))
    model.reference = ReferenceModel(model.reference_source())
    assert set(model.loss(*batch())) == {'loss', 'loss_mask'}


def test_stored_features_for_rankme():
    model = build(store_features=True)
    inputs, samples = batch(3)
    predictions = model.predict(inputs, samples)
    assert predictions[0].feats.shape == (8,)


@pytest.mark.parametrize('mask_mode', ['s', 'a', 'sgf', 'agf'])
@pytest.mark.parametrize('inv_mode', ['v1', 'v2'])
@pytest.mark.parametrize('cls_only', [False, True])
def test_masked_train_step_for_every_mode(mask_mode, inv_mode, cls_only):
    from mmengine.optim import OptimWrapper

    model = build(head=dict(type='MaskedClsHead', num_classes=10, in_channels=8, mask_ratio=0.5,
                            mask_mode=mask_mode, inv_mode=inv_mode), cls_only=cls_only)
    model.reference = ReferenceModel(model.reference_source())
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.5))
    token = model.head.mask_token.clone()
    teacher = copy.deepcopy(model.reference.module.state_dict())
    inputs, samples = batch()
    log = model.train_step(dict(inputs=list(inputs), data_samples=samples), wrapper)
    assert torch.isfinite(log['loss']) and log['loss_mask'] > 0
    assert torch.equal(model.head.mask_token, token) == mask_mode.endswith('gf')
    assert all(torch.equal(v, model.reference.module.state_dict()[k]) for k, v in teacher.items())


def test_training_rankme_is_logged_without_gradients():
    from mm_cl_addon.evaluation.rankme import rankme

    model = build(train_rankme=True)
    inputs, samples = batch()
    losses = model.loss(inputs, samples)
    assert not losses['rankme'].requires_grad
    pooled = model.head.pre_logits(model.extract_feat(inputs)).detach()
    assert losses['rankme'].item() == pytest.approx(rankme(pooled).item(), rel=1e-5)
