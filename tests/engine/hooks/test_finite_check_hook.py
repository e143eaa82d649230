"""FiniteCheckHook: training stops at the first NaN/Inf, and the last good checkpoint stays."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from mm_cl_addon.compat import load_checkpoint
from mm_cl_addon.continual import TaskHook
from mm_cl_addon.engine import build_runner
from mm_cl_addon.engine.hooks import FiniteCheckHook, NonFiniteTrainingError


class _BlowUpAtTask(TaskHook):
    """Sets an absurd learning rate when task ``task`` starts."""

    def __init__(self, task: int) -> None:
        self.task = task

    def before_task(self, runner, task_id: int) -> None:
        if task_id == self.task:
            for group in runner.optim_wrapper.optimizer.param_groups:
                group['lr'] = group['initial_lr'] = 1e12


def test_nan_in_task_2_keeps_task_1s_checkpoint_loadable_and_named(digits_cfg):
    runner = build_runner(digits_cfg)
    runner.register_hook(_BlowUpAtTask(task=1))
    with pytest.raises(NonFiniteTrainingError,
                       match=r"at task 2/2, phase 'train', epoch 2, iteration \d+: non-finite loss "
                             r".*the last good checkpoint is .*epoch_1\.pth"):
        runner.train()
    work_dir = Path(digits_cfg.work_dir)
    assert (work_dir / 'last_checkpoint').read_text() == str(work_dir / 'epoch_1.pth')
    assert not (work_dir / 'epoch_2.pth').exists()
    state = load_checkpoint(work_dir / 'epoch_1.pth')['state_dict']
    assert all(torch.isfinite(value).all() for value in state.values() if value.is_floating_point())
    assert not (work_dir / 'continual_accuracy.json').exists()


@pytest.mark.parametrize('break_config', [
    lambda cfg: cfg.optim_wrapper.optimizer.update(lr=1e12),
    lambda cfg: cfg.model.head.loss.update(loss_weight=float('nan')),
    lambda cfg: cfg.data_preprocessor.update(std=[0.0]),
], ids=['huge-lr', 'nan-loss-weight', 'zero-std'])
def test_broken_settings_stop_in_the_first_task_before_any_checkpoint(digits_cfg, break_config):
    break_config(digits_cfg)
    with pytest.raises(NonFiniteTrainingError, match=r"at task 1/2, phase 'train'.*no checkpoint "
                                                     'was written'):
        build_runner(digits_cfg).train()
    assert not (Path(digits_cfg.work_dir) / 'last_checkpoint').exists()


def _runner_stub(work_dir) -> SimpleNamespace:
    loop = SimpleNamespace(describe_position=lambda: 'task 3/5, phase \'prune\', epoch 7')
    return SimpleNamespace(work_dir=str(work_dir), train_loop=loop)


def test_non_finite_weights_refuse_the_save_and_name_the_tensors(tmp_path):
    state = {f'layer{i}.weight': torch.full((2,), float('inf')) for i in range(7)}
    state['ok.weight'] = torch.ones(2)
    state['step'] = torch.tensor(3)  # integers are never non-finite
    with pytest.raises(NonFiniteTrainingError,
                       match=r"task 3/5, phase 'prune', epoch 7: checkpoint not written: "
                             r'state_dict hold NaN or Inf \(layer0\.weight, .*layer4\.weight and 2 '
                             'more\\); no checkpoint was written'):
        FiniteCheckHook().before_save_checkpoint(_runner_stub(tmp_path), dict(state_dict=state))
    finite = dict(state_dict={'ok.weight': torch.ones(2), 'step': torch.tensor(3)})
    FiniteCheckHook().before_save_checkpoint(_runner_stub(tmp_path), finite)


def test_finite_losses_and_non_loss_entries_pass(tmp_path):
    hook = FiniteCheckHook()
    outputs = dict(loss=torch.tensor(0.5), loss_cls=torch.tensor(0.5),
                   accuracy=torch.tensor(float('nan')))  # not a loss term
    hook.after_train_iter(_runner_stub(tmp_path), 0, outputs=outputs)
    with pytest.raises(NonFiniteTrainingError, match=r'non-finite loss \(loss_kd=inf\)'):
        hook.after_train_iter(_runner_stub(tmp_path), 0,
                              outputs=dict(loss=torch.tensor(1.0), loss_kd=float('inf')))


def test_every_tool_run_gets_the_hook_once(digits_cfg):
    runner = build_runner(digits_cfg)
    assert sum(isinstance(hook, FiniteCheckHook) for hook in runner.hooks) == 1
