"""LwFHook: the term equals KD on the old classes against the frozen copy, step by step."""
from __future__ import annotations

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmpretrain.utils import get_ori_model

from mm_cl_addon.engine.hooks import LwFHook
from mm_cl_addon.models.losses.distillation import kd_loss
from tests.conftest import small_digits_config


class _Recorder(Hook):
    """The preprocessed inputs, the model's parameters and the logged terms of each step."""

    priority = 'LOWEST'

    def __init__(self) -> None:
        self.steps: list[dict] = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        model = get_ori_model(runner.model)
        data = model.data_preprocessor(data_batch, True)
        state = {n: t.detach().clone() for n, t in model.state_dict().items()}
        self.steps.append(dict(inputs=data['inputs'], state=state))

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.steps[-1]['loss_lwf'] = float(outputs['loss_lwf']) if 'loss_lwf' in outputs else None


def _run(tmp_path, tasks=((0, 1), (2, 3), (4, 5)), **hook):
    cfg = small_digits_config(tmp_path, tasks=tasks)
    cfg.custom_hooks = [dict(type='LwFHook', **hook)]
    runner = Runner.from_cfg(cfg)
    recorder = _Recorder()
    runner.register_hook(recorder)
    runner.train()
    return runner, next(h for h in runner.hooks if isinstance(h, LwFHook)), recorder


def test_the_term_is_kd_on_the_old_classes_against_the_previous_task_model(tmp_path):
    runner, lwf, recorder = _run(tmp_path, alpha=[0.0, 2.0, 3.0], temperature=2.0)
    per_task = len(recorder.steps) // 3
    assert all(step['loss_lwf'] is None for step in recorder.steps[:per_task])
    model = get_ori_model(runner.model)
    # The last task's teacher is the model after task 2: the state before task 3's first step.
    teacher = {k: v for k, v in recorder.steps[2 * per_task]['state'].items()}
    for step in recorder.steps[2 * per_task:2 * per_task + 3]:
        with torch.no_grad():
            model.load_state_dict(teacher)
            model.eval()
            old = model.head(model.extract_feat(step['inputs']))
            model.load_state_dict(step['state'])
            model.train()
            new = model.head(model.extract_feat(step['inputs']))
        columns = [0, 1, 2, 3]  # tasks 1 and 2
        expected = 3.0 * kd_loss(new[:, columns], old[:, columns], 2.0, scale_by_t2=False)
        assert step['loss_lwf'] == pytest.approx(float(expected), rel=1e-4)
    assert lwf.old_classes == [[0, 1], [2, 3], [4, 5]]


def test_multi_head_models_distil_each_old_head_on_its_own():
    head = type('Head', (), {'heads': [1, 2, 3], 'task_classes': [[3, 7], [0, 1, 2], [5]]})()
    hook = LwFHook()
    hook.old_classes = [[3, 7], [0, 1, 2]]
    assert hook._distilled_columns(head) == [[0, 1], [2, 3, 4]]
    single = type('Head', (), {})()
    assert hook._distilled_columns(single) == [[0, 1, 2, 3, 7]]


def test_the_frozen_copy_carries_no_hooks_and_survives_a_resume(tmp_path):
    runner, lwf, _ = _run(tmp_path, tasks=((0, 1), (2, 3)))
    copy = lwf.previous
    assert not any(module._forward_hooks for module in copy.modules())
    assert not any(p.requires_grad for p in copy.parameters())
    checkpoint = {}
    lwf.before_save_checkpoint(runner, checkpoint)
    fresh = LwFHook()
    runner._resume = True
    fresh.after_load_checkpoint(runner, checkpoint)
    for name, value in copy.state_dict().items():
        assert torch.equal(fresh.previous.state_dict()[name], value)
    assert fresh.old_classes == lwf.old_classes


@pytest.mark.parametrize('kwargs', [dict(alpha=-1.0), dict(alpha=[]), dict(temperature=0.0)])
def test_bad_arguments_are_named(kwargs):
    with pytest.raises(ValueError, match='LwFHook'):
        LwFHook(**kwargs)
