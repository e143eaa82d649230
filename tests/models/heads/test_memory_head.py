"""MemoryHead: same logits as its MemoryLinear, and trainable inside an ImageClassifier."""
import pytest
import torch
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mm_cl_addon.models import Flatten, MemoryHead


def test_logits_are_the_memory_linear_of_the_last_feature():
    torch.manual_seed(0)
    head = MemoryHead(3, 8, num_memories=5, delta=2, psi='sign', similarity='dot_scaled',
                      memory_update='WTA', key_update='ad_hoc_WTA')
    first, last = torch.randn(4, 2), torch.randn(4, 8)
    assert torch.equal(head((first, last)), head.fc(last))
    assert head.fc.delta == 2 and head.fc.psi == 'sign' and head.fc.key_update == 'ad_hoc_WTA'
    assert head.fc.out_features == 3 and head.fc.in_features == 8


def test_flatten_returns_the_pixels_as_one_feature():
    x = torch.randn(2, 1, 8, 8)
    (out,) = Flatten()(x)
    assert torch.equal(out, x.reshape(2, 64))


def classifier():
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='ImageClassifier', backbone=dict(type='Flatten'),
        head=dict(type='MemoryHead', num_classes=10, in_channels=64, num_memories=6, delta=2,
                  key_update='ad_hoc_WTA', memory_update='WTA')))


def test_loss_and_predict_through_an_image_classifier():
    model = classifier()
    inputs = torch.randn(4, 1, 8, 8)
    samples = [DataSample().set_gt_label(label) for label in (0, 3, 3, 9)]
    losses = model(inputs, samples, mode='loss')
    losses['loss'].backward()
    assert model.head.fc.memories.grad is not None and model.head.fc.memories.grad.any()
    keys = model.head.fc.keys.clone()
    model.head.update_keys()
    assert not torch.equal(model.head.fc.keys, keys)
    model.eval()
    predictions = model(inputs, [DataSample() for _ in range(4)], mode='predict')
    assert len(predictions) == 4 and predictions[0].pred_score.shape == (10,)
    expected = model.head.fc(inputs.flatten(1)).argmax(1)
    assert [int(p.pred_label) for p in predictions] == expected.tolist()


def test_misspelled_argument_is_named_by_the_registry():
    with pytest.raises(TypeError, match='num_memory'):
        MODELS.build(dict(type='MemoryHead', num_classes=3, in_channels=4, num_memory=5))


def test_invalid_layer_option_names_the_argument():
    with pytest.raises(ValueError, match='key_update'):
        MemoryHead(3, 4, num_memories=5, key_update='ad_hoc')
