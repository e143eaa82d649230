import pytest
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from mm_cl_addon.models import MultiTaskClsHead

TASKS = [[3, 7], [0, 1, 5]]


def samples(task_ids, labels):
    return [DataSample(metainfo=dict(task_id=t)).set_gt_label(y) for t, y in zip(task_ids, labels)]


@pytest.fixture
def head():
    torch.manual_seed(0)
    return MultiTaskClsHead(task_classes=TASKS, in_channels=4)


def test_each_sample_is_scored_by_its_own_task_head(head):
    feats = (torch.randn(3, 4),)
    batch = samples([0, 1, 0], [7, 5, 3])
    logits = head.routed_logits(feats, batch)
    assert logits.shape == (3, 8)
    assert torch.equal(logits[0, [3, 7]], head.heads[0](feats[0][:1])[0])
    assert torch.equal(logits[1, [0, 1, 5]], head.heads[1](feats[0][1:2])[0])
    assert torch.isinf(logits[0, [0, 1, 2, 4, 5, 6]]).all()
    predictions = head.predict(feats, batch)
    assert predictions[1].pred_score[[2, 3, 4, 6, 7]].sum() == 0
    assert int(predictions[0].pred_label) in (3, 7)


def test_loss_is_the_task_heads_cross_entropy(head):
    feats = (torch.randn(2, 4),)
    batch = samples([0, 1], [7, 0])
    expected = (F.cross_entropy(head.heads[0](feats[0][:1]), torch.tensor([1]))
                + F.cross_entropy(head.heads[1](feats[0][1:]), torch.tensor([0]))) / 2
    assert head.loss(feats, batch)['loss'].item() == pytest.approx(expected.item(), rel=1e-6)


def test_forward_concatenates_every_head(head):
    assert head((torch.randn(5, 4),)).shape == (5, 5)


def test_missing_task_id_is_named(head):
    with pytest.raises(KeyError, match="data sample 0 has no 'task_id'"):
        head.loss((torch.randn(1, 4),), [DataSample().set_gt_label(3)])


def test_unknown_task_id_is_named(head):
    with pytest.raises(ValueError, match='task_id=2 of data sample 0 has no head'):
        head.loss((torch.randn(1, 4),), samples([2], [3]))
