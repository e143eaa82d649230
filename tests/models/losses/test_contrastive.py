"""ContrastiveLoss: the supervised contrastive formula, its invariances, and use in a head."""
from __future__ import annotations

import math

import pytest
import torch
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mm_cl_addon.models import ContrastiveLoss

EMBEDDINGS = [[1.0, 0.0, 2.0], [0.5, 1.0, 1.5], [-1.0, 0.5, 0.0], [0.0, -2.0, 1.0]]
LABELS = [0, 1, 0, 0]  # anchors 0, 2 and 3 have positives; anchor 1 has none
TEMPERATURE = 0.5


def by_hand(vectors: list[list[float]], labels: list[int], temperature: float) -> float:
    """L_out written out loop by loop, averaged over the anchors that have a positive."""
    unit = [[x / math.sqrt(sum(v * v for v in vector)) for x in vector] for vector in vectors]

    def similarity(i: int, j: int) -> float:
        return sum(a * b for a, b in zip(unit[i], unit[j])) / temperature

    anchor_losses = []
    for i in range(len(unit)):
        others = [a for a in range(len(unit)) if a != i]
        positives = [p for p in others if labels[p] == labels[i]]
        if not positives:
            continue
        denominator = sum(math.exp(similarity(i, a)) for a in others)
        log_probs = [math.log(math.exp(similarity(i, p)) / denominator) for p in positives]
        anchor_losses.append(-sum(log_probs) / len(positives))
    return sum(anchor_losses) / len(anchor_losses)


def test_equals_the_formula_computed_by_hand():
    loss = ContrastiveLoss(temperature=TEMPERATURE)(torch.tensor(EMBEDDINGS),
                                                     torch.tensor(LABELS))
    assert loss.item() == pytest.approx(by_hand(EMBEDDINGS, LABELS, TEMPERATURE), rel=1e-5)


def test_loss_weight_sum_and_per_anchor_values():
    features, labels = torch.tensor(EMBEDDINGS), torch.tensor(LABELS)
    mean = ContrastiveLoss(temperature=TEMPERATURE)(features, labels)
    per_anchor = ContrastiveLoss(temperature=TEMPERATURE, reduction='none')(features, labels)
    assert per_anchor.shape == (4,) and per_anchor[1] == 0
    assert per_anchor.sum().item() == pytest.approx(3 * mean.item(), rel=1e-6)
    doubled = ContrastiveLoss(temperature=TEMPERATURE, loss_weight=2.0)(features, labels)
    assert doubled.item() == pytest.approx(2 * mean.item(), rel=1e-6)
    weighted = ContrastiveLoss(temperature=TEMPERATURE)(
        features, labels, weight=torch.tensor([1.0, 1.0, 0.0, 0.0]), reduction_override='sum')
    assert weighted.item() == pytest.approx(per_anchor[0].item(), rel=1e-6)
    by_batch = ContrastiveLoss(temperature=TEMPERATURE)(features, labels, avg_factor=4)
    assert by_batch.item() == pytest.approx(per_anchor.sum().item() / 4, rel=1e-6)


def test_invariant_to_scaling_the_embeddings():
    torch.manual_seed(0)
    features, labels = torch.randn(8, 5), torch.tensor([0, 1, 2, 0, 1, 2, 0, 3])
    loss = ContrastiveLoss()
    scales = torch.rand(8, 1) * 10 + 0.1
    assert loss(features * scales, labels).item() == pytest.approx(
        loss(features, labels).item(), rel=1e-5)


def test_no_positives_gives_a_graph_connected_zero():
    features = torch.randn(3, 4, requires_grad=True)
    loss = ContrastiveLoss()(features, torch.tensor([0, 1, 2]))
    assert loss.item() == 0 and loss.requires_grad
    loss.backward()
    assert torch.equal(features.grad, torch.zeros_like(features))
    single = torch.randn(1, 4, requires_grad=True)
    ContrastiveLoss()(single, torch.tensor([5])).backward()
    assert torch.isfinite(single.grad).all()


def test_gradient_flows_and_pulls_positives_together():
    features = torch.tensor(EMBEDDINGS, requires_grad=True)
    labels = torch.tensor(LABELS)
    ContrastiveLoss(temperature=TEMPERATURE)(features, labels).backward()
    assert torch.isfinite(features.grad).all() and features.grad.abs().sum() > 0
    with torch.no_grad():
        stepped = features - 0.1 * features.grad
    assert by_hand(stepped.tolist(), LABELS, TEMPERATURE) < by_hand(EMBEDDINGS, LABELS,
                                                                      TEMPERATURE)


@pytest.mark.parametrize('label', [torch.eye(4)[[0, 1, 0, 0]], torch.tensor([0, 1, 0]),
                                   torch.tensor([0.0, 1.0, 0.0, 0.0])])
def test_labels_must_be_class_indices(label):
    with pytest.raises(ValueError, match='expected 4 integer class indices'):
        ContrastiveLoss()(torch.tensor(EMBEDDINGS), label)


@pytest.mark.parametrize('cfg', [dict(temperature=0.0), dict(reduction='avg')])
def test_bad_settings_are_errors(cfg):
    with pytest.raises(ValueError, match='ContrastiveLoss'):
        ContrastiveLoss(**cfg)


def test_a_misspelled_config_key_fails():
    with pytest.raises(TypeError, match='temprature'):
        MODELS.build(dict(type='ContrastiveLoss', temprature=0.1))


def test_works_as_the_loss_of_a_linear_cls_head():
    torch.manual_seed(0)
    head = MODELS.build(dict(type='LinearClsHead', num_classes=3, in_channels=6,
                             loss=dict(type='ContrastiveLoss', temperature=0.2)))
    feats = (torch.randn(6, 6),)
    labels = [0, 1, 2, 0, 1, 1]
    batch = [DataSample().set_gt_label(label) for label in labels]
    loss = head.loss(feats, batch)['loss']
    logits = head(feats).detach().tolist()
    # ClsHead passes avg_factor=batch size, so the lone class-2 anchor counts as 0: 5 of 6.
    assert loss.item() == pytest.approx(by_hand(logits, labels, 0.2) * 5 / 6, rel=1e-5)
    loss.backward()
    assert head.fc.weight.grad.abs().sum() > 0


def test_sum_of_losses_adds_its_members():
    from mm_cl_addon.models.losses import SumOfLosses

    torch.manual_seed(0)
    scores, labels = torch.randn(6, 4), torch.tensor([0, 0, 1, 1, 2, 3])
    both = SumOfLosses([dict(type='CrossEntropyLoss', loss_weight=1.0),
                        dict(type='ContrastiveLoss', temperature=0.1, loss_weight=0.5)])
    expected = (torch.nn.functional.cross_entropy(scores, labels)
                + 0.5 * ContrastiveLoss(temperature=0.1)(scores, labels, avg_factor=6))
    assert torch.allclose(both(scores, labels, avg_factor=6), expected)
