"""EWCHook: the loss term is its closed form, anchors hold, and the state survives a resume."""
from __future__ import annotations

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmpretrain.utils import get_ori_model

from mm_cl_addon.compat import load_checkpoint
from mm_cl_addon.engine.hooks import EWCHook
from tests.conftest import small_digits_config


class _Recorder(Hook):
    """Each step's parameters (as the forward pass saw them) and its logged loss terms."""

    priority = 'LOWEST'

    def __init__(self) -> None:
        self.steps: list[tuple[dict, dict]] = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        params = {n: p.detach().clone() for n, p in get_ori_model(runner.model).named_parameters()}
        self.steps.append((params, {}))

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.steps[-1][1].update({k: float(v) for k, v in outputs.items() if 'loss' in k})


def _run(tmp_path, ewc_lambda: float, epochs: int = 1):
    cfg = small_digits_config(tmp_path, epochs_per_task=epochs)
    cfg.custom_hooks = [dict(type='EWCHook', ewc_lambda=ewc_lambda)]
    runner = Runner.from_cfg(cfg)
    recorder = _Recorder()
    runner.register_hook(recorder)
    runner.train()
    ewc = next(hook for hook in runner.hooks if isinstance(hook, EWCHook))
    return runner, ewc, recorder


def test_the_term_is_half_lambda_times_the_fisher_weighted_distance(tmp_path):
    runner, ewc, recorder = _run(tmp_path / 'run', ewc_lambda=50.0)
    first_task_steps = len(runner.train_loop.dataloader)  # one epoch per task, equal sizes
    assert all('loss_ewc' not in losses for _, losses in recorder.steps[:first_task_steps])
    anchor, importance = ewc.state.anchors[0], ewc.state.importances[0]
    for params, losses in recorder.steps[first_task_steps:]:
        expected = 0.5 * 50.0 * sum((importance[n] * (params[n] - anchor[n]) ** 2).sum()
                                    for n in importance)
        assert losses['loss_ewc'] == pytest.approx(float(expected), rel=1e-4, abs=1e-9)
    assert len(ewc.state.anchors) == 2  # task 2 consolidated too
    assert all(torch.all(value >= 0) for value in importance.values())


def test_a_large_lambda_holds_the_important_weights(tmp_path):
    def drift(runner, ewc) -> float:
        anchor, importance = ewc.state.anchors[0], ewc.state.importances[0]
        params = dict(get_ori_model(runner.model).named_parameters())
        return sum(float((importance[n] * (params[n] - anchor[n]) ** 2).sum()) for n in anchor)

    # lambda = 500 keeps SGD (lr 0.05) stable on this penalty: lr * lambda * max F < 2.
    free = drift(*_run(tmp_path / 'free', ewc_lambda=0.0, epochs=2)[:2])
    held = drift(*_run(tmp_path / 'held', ewc_lambda=500.0, epochs=2)[:2])
    assert held < 0.25 * free  # measured: 0.0146 against 0.0960


def test_the_state_is_checkpointed_and_restored_on_resume(tmp_path):
    runner, ewc, _ = _run(tmp_path / 'run', ewc_lambda=1.0)
    assert load_checkpoint(f'{runner.work_dir}/epoch_1.pth')['ewc']['anchors'] == []
    saved = load_checkpoint(f'{runner.work_dir}/epoch_2.pth')['ewc']  # task 1 consolidated
    assert len(saved['anchors']) == 1
    for name, value in ewc.state.anchors[0].items():
        assert torch.equal(saved['anchors'][0][name], value)
    fresh = EWCHook(ewc_lambda=1.0)
    fresh.after_load_checkpoint(type('R', (), {'_resume': True})(), dict(ewc=saved))
    assert torch.equal(fresh.state.importances[0]['head.fc.weight'],
                       ewc.state.importances[0]['head.fc.weight'])


@pytest.mark.parametrize('kwargs, message', [
    (dict(ewc_lambda=-1.0), 'ewc_lambda=-1.0 must be >= 0'),
    (dict(ewc_lambda=1.0, fisher_samples=0), 'fisher_samples=0'),
    (dict(ewc_lambda=1.0, mode='online', decay=0.0), r'decay=0.0 must be in \(0, 1\]'),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        EWCHook(**kwargs)
