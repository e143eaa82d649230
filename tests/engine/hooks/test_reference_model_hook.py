"""ReferenceModelHook in a Runner on Split-Digits: each kind's life cycle and checkpoints."""
import copy
from pathlib import Path

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mm_cl_addon.compat import load_checkpoint
from mm_cl_addon.continual import TaskHook
from tests.conftest import small_digits_config


class TeacherProbe(TaskHook):
    """Snapshots the teacher when task 1 starts and after task 1's last iteration."""

    priority = 'LOWEST'  # after ReferenceModelHook's update

    def __init__(self):
        self.at_start = self.at_end = None
        self.kd_losses = []

    def before_task(self, runner, task_id):
        if task_id == 1:
            self.at_start = copy.deepcopy(runner.model.reference.module.state_dict())

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.train_loop.task_id == 1:
            self.at_end = copy.deepcopy(runner.model.reference.module.state_dict())
            self.kd_losses.append(float(outputs['loss_kd']))


@pytest.mark.parametrize('kind', ['frozen', 'ema', 'anneal', 'swa'])
def test_each_kind_trains_and_moves_as_defined(tmp_path, kind):
    cfg = small_digits_config(tmp_path / 'work')
    cfg.model.type = 'ReferenceKDClassifier'
    cfg.custom_hooks = [dict(type='ReferenceModelHook', kind=kind, start_epoch=None,
                             momentum=0.05, gamma=10)]
    runner = Runner.from_cfg(cfg)
    probe = TeacherProbe()
    runner.register_hook(probe)
    runner.train()
    name = 'head.fc.weight'
    moved = not torch.equal(probe.at_start[name], probe.at_end[name])
    assert moved == (kind != 'frozen')
    assert probe.kd_losses and all(loss >= 0 for loss in probe.kd_losses)
    saved = load_checkpoint(Path(runner.work_dir) / 'epoch_2.pth')
    assert name in {key.split('module.', 1)[-1] for key in saved['reference_model']}


def test_no_reference_before_start_and_refresh_every_epoch(tmp_path):
    cfg = small_digits_config(tmp_path / 'work', tasks=((0, 1, 2, 3),), epochs_per_task=3)
    cfg.model.type = 'ReferenceKDClassifier'
    cfg.custom_hooks = [dict(type='ReferenceModelHook', kind='frozen', start_epoch=1,
                             refresh_interval=1)]
    seen = []

    class Watch(Hook):
        priority = 'LOWEST'

        def before_train_epoch(self, runner):
            reference = runner.model.reference
            seen.append(None if reference is None else torch.equal(
                reference.module['head'].fc.weight, runner.model.head.fc.weight))

    runner = Runner.from_cfg(cfg)
    runner.register_hook(Watch())
    runner.train()
    assert seen == [None, True, True]  # copied at epoch 1, refreshed at epoch 2
