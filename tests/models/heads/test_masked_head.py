import pytest
import torch
from mmpretrain.models.heads import LinearClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mm_cl_addon.models.heads import MaskedClsHead

MASK = torch.tensor([[True, False, True, False], [False, False, True, True]])


def make_head(mask_mode='s', inv_mode='v1', mask_loss='kd', in_channels=4, num_classes=3,
              mask_ratio=0.5, **options):
    torch.manual_seed(0)
    head = MaskedClsHead(num_classes, in_channels, mask_ratio=mask_ratio, mask_mode=mask_mode,
                         inv_mode=inv_mode, mask_loss=mask_loss, **options)
    head.init_weights()
    return head


def hand_masked(pre, mask, token):
    """Masked feature built entry by entry: token[0] for a shared token, token[j] otherwise."""
    out = pre.clone()
    for i in range(pre.shape[0]):
        for j in range(pre.shape[1]):
            if mask[i, j]:
                out[i, j] = token[0] if token.numel() == 1 else token[j]
    return out


def hand_kd(student, reference, temperature):
    p = (reference / temperature).softmax(dim=1)
    q = (student / temperature).softmax(dim=1)
    return (p * (p.log() - q.log())).sum(dim=1).mean() * temperature**2


def test_each_mask_hides_exactly_int_d_times_r_channels_and_masks_differ():
    head = make_head(in_channels=64, mask_ratio=0.9)
    masks = head.sample_masks(32, 64)
    assert masks.dtype == torch.bool and masks.shape == (32, 64)
    assert (masks.sum(dim=1) == int(64 * 0.9)).all()
    assert len({tuple(row.tolist()) for row in masks}) == 32


def test_masks_are_reproducible_with_a_seeded_generator():
    head = make_head(in_channels=64, mask_ratio=0.9)
    first = head.sample_masks(8, 64, torch.Generator().manual_seed(3))
    again = head.sample_masks(8, 64, torch.Generator().manual_seed(3))
    other = head.sample_masks(8, 64, torch.Generator().manual_seed(4))
    assert torch.equal(first, again)
    assert not torch.equal(first, other)


@pytest.mark.parametrize('mode, learnable, size', [('s', True, 1), ('a', True, 4),
                                                   ('sgf', False, 1), ('agf', False, 4)])
def test_tokens_learn_only_in_s_and_a(mode, learnable, size):
    head = make_head(mode)
    assert head.mask_token.shape == (size,)
    assert head.mask_token.requires_grad is learnable
    assert any(t is head.mask_token for t in head.parameters()) is learnable
    assert 'mask_token' in head.state_dict()
    optimizer = torch.optim.SGD([p for p in head.parameters() if p.requires_grad], lr=1.0)
    before = head.mask_token.detach().clone()
    loss = head.masked_loss((torch.randn(6, 4),), torch.randn(6, 3), mask=MASK.repeat(3, 1))
    loss['loss_mask'].backward()
    optimizer.step()
    assert torch.equal(head.mask_token, before) is not learnable


def test_shared_token_fills_every_masked_channel_with_one_value():
    head = make_head('s')
    with torch.no_grad():
        head.mask_token.fill_(1.5)
    pre = torch.randn(2, 4)
    out = head.apply_mask(pre, MASK)
    expected = torch.tensor([[1.5, pre[0, 1], 1.5, pre[0, 3]],
                             [pre[1, 0], pre[1, 1], 1.5, 1.5]])
    assert torch.equal(out, expected)


def test_vector_token_fills_each_masked_channel_with_its_own_value():
    head = make_head('a')
    with torch.no_grad():
        head.mask_token.copy_(torch.tensor([10.0, 20.0, 30.0, 40.0]))
    pre = torch.randn(2, 4)
    out = head.apply_mask(pre, MASK)
    expected = torch.tensor([[10.0, pre[0, 1], 30.0, pre[0, 3]],
                             [pre[1, 0], pre[1, 1], 30.0, 40.0]])
    assert torch.equal(out, expected)


def test_apply_mask_rejects_a_mask_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r'shape \(2, 3\)'):
        make_head().apply_mask(torch.randn(2, 4), torch.zeros(2, 3, dtype=torch.bool))


@pytest.mark.parametrize('alias, mode', [('sgd', 'sgf'), ('agd', 'agf')])
def test_readme_aliases_name_the_frozen_modes(alias, mode):
    head = make_head(alias)
    assert head.mask_mode == mode
    assert not head.mask_token.requires_grad


@pytest.mark.parametrize('option, value', [
    ('mask_mode', 'b'), ('mask_mode', 'SGF'), ('inv_mode', 'v3'), ('mask_loss', 'mse'),
    ('mask_ratio', 0), ('mask_ratio', 1.0), ('mask_ratio', 1.5), ('mask_ratio', 0.1),
    ('mask_loss_weight', -1.0), ('temperature', 0.0)])
def test_bad_options_are_rejected_naming_the_value(option, value):
    with pytest.raises(ValueError, match=f'{option}={value!r}'):
        make_head(**{option: value})


@pytest.mark.parametrize('mode', ['s', 'a', 'sgf'])
@pytest.mark.parametrize('inv_mode', ['v1', 'v2'])
@pytest.mark.parametrize('mask_loss', ['kd', 'cosine', 'l2'])
def test_masked_loss_equals_a_hand_computation(mode, inv_mode, mask_loss):
    head = make_head(mode, inv_mode, mask_loss, mask_loss_weight=0.5, temperature=3.0)
    if head.mask_token.requires_grad:
        with torch.no_grad():
            head.mask_token.copy_(torch.randn(head.mask_token.shape))
    pre, reference = torch.randn(2, 4), torch.randn(2, 3)
    weight, bias = head.fc.weight.detach(), head.fc.bias.detach()
    token = head.mask_token.detach()
    z_masked = hand_masked(pre, MASK, token) @ weight.T + bias
    z_inverse = hand_masked(pre, ~MASK, token) @ weight.T + bias
    if inv_mode == 'v1':
        student, target = z_masked + z_inverse, reference
    else:
        student, target = z_masked, reference - z_inverse
    if mask_loss == 'kd':
        expected = hand_kd(student, target, 3.0)
    elif mask_loss == 'cosine':
        expected = (1 - (student * target).sum(1) / (student.norm(dim=1) * target.norm(dim=1)))
        expected = expected.mean()
    else:
        expected = ((student - target) ** 2).sum(1).mean() / 3
    loss = head.masked_loss((pre,), reference, mask=MASK)
    assert set(loss) == {'loss_mask'}
    assert loss['loss_mask'].item() == pytest.approx(0.5 * expected.item(), rel=1e-5)


@pytest.mark.parametrize('inv_mode', ['v1', 'v2'])
@pytest.mark.parametrize('mask_loss', ['kd', 'cosine', 'l2'])
def test_gradient_reaches_fc_and_kept_channels_only(inv_mode, mask_loss):
    head = make_head('a', inv_mode, mask_loss)
    pre = torch.randn(2, 4, requires_grad=True)
    reference = torch.randn(2, 3, requires_grad=True)
    head.masked_loss((pre,), reference, mask=MASK)['loss_mask'].backward()
    assert reference.grad is None
    assert head.fc.weight.grad.abs().sum() > 0 and head.fc.bias.grad.abs().sum() > 0
    # kept channels feed z_m; masked ones only the constant z_inv, so they get none
    assert (pre.grad[~MASK] != 0).all()
    assert (pre.grad[MASK] == 0).all()


def test_masked_loss_draws_a_mask_when_none_is_given():
    head = make_head(in_channels=64, mask_ratio=0.9)
    loss = head.masked_loss((torch.randn(5, 64),), torch.randn(5, 3))['loss_mask']
    assert loss.ndim == 0 and torch.isfinite(loss)


def test_plain_training_and_prediction_are_linear_cls_heads():
    masked = MODELS.build(dict(type='MaskedClsHead', num_classes=3, in_channels=4,
                               mask_ratio=0.5, mask_mode='a', inv_mode='v2', topk=(1, 2),
                               cal_acc=True))
    linear = LinearClsHead(num_classes=3, in_channels=4, topk=(1, 2), cal_acc=True)
    assert masked.init_cfg == linear.init_cfg
    linear.fc.load_state_dict(masked.fc.state_dict())
    feats = (torch.randn(4, 4),)
    samples = [DataSample().set_gt_label(label) for label in (0, 2, 1, 2)]
    losses = masked.loss(feats, samples)
    assert set(losses) == {'loss', 'accuracy_top-1', 'accuracy_top-2'}
    torch.testing.assert_close(losses, linear.loss(feats, samples), rtol=0, atol=0)
    for ours, theirs in zip(masked.predict(feats), linear.predict(feats)):
        assert torch.equal(ours.pred_score, theirs.pred_score)
        assert torch.equal(ours.pred_label, theirs.pred_label)
