"""MIRHook: on a case solved by hand, it replays the samples a virtual step hurts most."""
import math
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmpretrain.structures import DataSample
from torch import nn

from mm_cl_addon.engine.hooks.mir_hook import MIRHook, interference_scores


class TinyClassifier(BaseModel):
    """Two-class logits ``W x`` with ``W = 0``: every loss starts at log 2."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2, bias=False)
        nn.init.zeros_(self.fc.weight)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        logits = self.fc(inputs)
        if mode == 'loss':
            labels = torch.cat([sample.gt_label for sample in data_samples])
            return dict(loss=F.cross_entropy(logits, labels))
        return logits


def _batch(points, labels):
    return (torch.tensor(points, dtype=torch.float32),
            [DataSample().set_gt_label(label) for label in labels])


# The current batch is x = (1, 0) of class 0; one SGD step of size 1 moves W to
# [[.5, 0], [-.5, 0]], so a stored (a, 0) of class 1 goes from log 2 to log(1 + e^a).
CURRENT = _batch([[1.0, 0.0]], [0])
CANDIDATES = _batch([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.5, 0.0]], [1, 1, 1, 0, 1])
EXPECTED = [math.log1p(math.e) - math.log(2), math.log1p(math.e ** 2) - math.log(2), 0.0,
            math.log1p(math.e ** -1) - math.log(2), math.log1p(math.e ** 0.5) - math.log(2)]


def test_scores_are_the_closed_form_loss_increases():
    model = TinyClassifier()
    scores = interference_scores(model, *CURRENT, *CANDIDATES, lr=1.0)
    assert scores.tolist() == pytest.approx(EXPECTED, abs=1e-6)
    assert not model.fc.weight.any() and model.fc.weight.grad is None  # the model is untouched


def test_replays_the_maximally_interfered_candidates():
    hook = MIRHook(buffer_size=10, replay_batch_size=2, candidates=5, virtual_lr=1.0)
    hook.buffer.add_batch(*CANDIDATES)
    inputs, samples = CURRENT
    batch = dict(inputs=inputs.clone(), data_samples=list(samples))
    hook.before_train_iter(SimpleNamespace(model=TinyClassifier()), 0, batch)
    replayed = batch['inputs'][1:].tolist()
    assert sorted(replayed) == [[1.0, 0.0], [2.0, 0.0]]  # scores 1.43 and 0.62, both class 1
    assert [int(s.gt_label) for s in batch['data_samples'][1:]] == [1, 1]
    assert len(hook.buffer) == 5


def test_needs_more_candidates_than_replayed_samples():
    with pytest.raises(ValueError, match='candidates=4 must be an integer larger'):
        MIRHook(buffer_size=10, replay_batch_size=4, candidates=4)
