"""PackNetHook in a Runner on task-incremental Split-Digits: old tasks never change."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import mm_cl_addon.engine.hooks.packnet_hook  # noqa: F401  (registers PackNetHook)
from mm_cl_addon.compat import load_checkpoint
from mm_cl_addon.engine.hooks.packnet_hook import PackNetHook
from mm_cl_addon.models.layers.owner_masks import OWNER_BUFFER, owner_of
from tests.engine.hooks.task_logits import (
    TaskLogitsProbe,
    assert_same_run,
    task_il_digits_config,
)

TASKS = ((0, 1), (2, 3), (4, 5))
RATIO = 0.5
OPTIMIZERS = {
    'sgd': dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4),
    'adamw': dict(type='AdamW', lr=0.01, weight_decay=0.05),
}


class Probe(TaskLogitsProbe):
    """Also each layer's owners right after the task's pruning."""

    def __init__(self, packnet: PackNetHook) -> None:
        super().__init__(packnet)
        self.owners: list[dict[str, torch.Tensor]] = []

    def after_phase(self, runner, task_id, phase):
        if phase == 'train':  # PackNetHook (higher priority) has pruned already
            self.owners.append({name: owner_of(m).clone()
                                for name, m in self.hook.modules.items()})


def _config(work_dir: Path, optimizer: dict, other_params: str = 'frozen') -> Config:
    cfg = task_il_digits_config(work_dir, TASKS)
    cfg.optim_wrapper = dict(optimizer=optimizer)
    cfg.custom_hooks = [dict(type='PackNetHook', prune_ratio=RATIO, retrain_epochs=1,
                             prefixes=['backbone'], other_params=other_params)]
    return cfg


def _run(tmp_path: Path, optimizer: dict, other_params: str = 'frozen'):
    runner = Runner.from_cfg(_config(tmp_path / 'work', optimizer, other_params))
    packnet = next(h for h in runner.hooks if isinstance(h, PackNetHook))
    probe = Probe(packnet)
    runner.register_hook(probe)
    runner.train()
    return runner, packnet, probe


@pytest.mark.parametrize('optimizer,other_params',
                         [('sgd', 'frozen'), ('adamw', 'frozen'), ('sgd', 'per_task')])
def test_old_task_logits_are_bit_identical(tmp_path, optimizer, other_params):
    runner, packnet, probe = _run(tmp_path, OPTIMIZERS[optimizer], other_params)
    probe.assert_unchanged(len(TASKS))  # bit for bit (atol 0)
    # The val loop evaluates each task with the same masks: its accuracy never moves.
    rows = runner.train_loop.accuracy_rows
    for seen in range(len(TASKS)):
        assert len({rows[k][seen] for k in range(seen + 1, len(rows))}) == 1, seen
    # Pruning frees exactly round(ratio * n) of each layer's task weights.
    assert len(probe.owners) == len(TASKS)
    for task, owners in enumerate(probe.owners, start=1):
        for name, owner in owners.items():
            assert set(owner.unique().tolist()) <= set(range(task + 1)), name
            kept = int((owner == task).sum())
            before = kept + int((owner == 0).sum())
            assert before - kept == round(RATIO * before), (name, task)
    # Owners survive a checkpoint, as tensors in the model state.
    saved = load_checkpoint(Path(runner.work_dir) / f'epoch_{2 * len(TASKS)}.pth')
    for name, module in packnet.modules.items():
        assert torch.equal(saved['state_dict'][f'{name}.{OWNER_BUFFER}'], owner_of(module))
    assert int(owner_of(packnet.modules['backbone.stages.0.0']).max()) == len(TASKS)


@pytest.mark.parametrize('other_params', ['frozen', 'per_task'])
def test_resume_mid_sequence_rebuilds_the_hook_state(tmp_path, other_params):
    runner, packnet, _ = _run(tmp_path, OPTIMIZERS['sgd'], other_params)
    cfg = _config(tmp_path / 'resumed', OPTIMIZERS['sgd'], other_params)
    cfg.resume = True
    cfg.load_from = str(Path(runner.work_dir) / 'epoch_3.pth')  # task 2 trained, not pruned
    resumed = Runner.from_cfg(cfg)
    resumed.train()
    assert_same_run(resumed, runner)


def test_arguments_are_checked():
    with pytest.raises(ValueError, match='prune_ratio=1.5'):
        PackNetHook(prune_ratio=1.5)
    with pytest.raises(ValueError, match='retrain_epochs=-1'):
        PackNetHook(prune_ratio=0.5, retrain_epochs=-1)
    with pytest.raises(ValueError, match="other_params='shared'"):
        PackNetHook(prune_ratio=0.5, other_params='shared')


def test_per_task_mode_trains_and_keeps_each_tasks_batchnorm(tmp_path):
    _, packnet, _ = _run(tmp_path, OPTIMIZERS['sgd'], 'per_task')
    snapshots = packnet.per_task.snapshots
    assert sorted(snapshots) == [1, 2, 3]
    assert 'backbone.stages.0.2.running_mean' in snapshots[1]
    assert not any(name.endswith(('.weight', OWNER_BUFFER)) and 'stages.0.0' in name
                   for name in snapshots[1])
    for name in ('backbone.stages.0.2.weight', 'backbone.stages.0.2.running_mean',
                 'backbone.stages.0.0.bias'):
        assert not torch.equal(snapshots[1][name], snapshots[3][name]), name
