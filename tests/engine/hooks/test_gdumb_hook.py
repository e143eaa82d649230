"""GDumbHook in a Runner: a balanced buffer, retraining from fresh weights on it alone, resume."""
import copy

import pytest
import torch
from mmengine.runner import Runner

from mm_cl_addon.compat import load_checkpoint
from mm_cl_addon.continual import TaskHook
from mm_cl_addon.continual.seeding import derive_seed
from mm_cl_addon.engine.hooks.gdumb_hook import RETRAIN_PHASE, GDumbHook, reinitialize
from tests.conftest import small_digits_config


class RetrainProbe(TaskHook):
    """Runs after GDumbHook: weights at each retrain start, and every retrain batch."""

    priority = 'LOWEST'

    def __init__(self):
        self.start_states, self.batches, self.buffers, self._phase = [], [], [], None

    def before_phase(self, runner, task_id, phase):
        self._phase = phase
        if phase == RETRAIN_PHASE:
            self.start_states.append(copy.deepcopy(runner.model.state_dict()))
            hook = next(h for h in runner.hooks if isinstance(h, GDumbHook))
            self.buffers.append({tuple(x.flatten().tolist()) for x in hook.buffer.inputs})

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if self._phase == RETRAIN_PHASE:
            self.batches.append(data_batch['inputs'].clone())


def _config(work_dir):
    cfg = small_digits_config(work_dir)
    cfg.custom_hooks = [dict(type='GDumbHook', buffer_size=20, retrain_length=2, seed=3)]
    return cfg


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('gdumb')
    runner = Runner.from_cfg(_config(work_dir))
    probe = RetrainProbe()
    runner.register_hook(probe)
    runner.train()
    return runner, probe, work_dir


def test_retrains_from_fresh_weights_on_the_balanced_buffer_only(trained):
    runner, probe, work_dir = trained
    hook = next(h for h in runner.hooks if isinstance(h, GDumbHook))
    assert dict(hook.buffer.class_counts) == {0: 5, 1: 5, 2: 5, 3: 5}
    assert len(probe.start_states) == 2 and runner.epoch == 2 * (1 + 2)
    for task_id, state in enumerate(probe.start_states):
        fresh = copy.deepcopy(runner.model)
        reinitialize(fresh, derive_seed(3, task_id))
        assert all(torch.equal(state[k], v) for k, v in fresh.state_dict().items())
        assert not state['backbone.stages.0.2.running_mean'].any()  # statistics reset too
    seen = [tuple(x.flatten().tolist()) for batch in probe.batches for x in batch]
    assert len(seen) == 2 * 2 * 20  # tasks x epochs x buffer: no task data, no replay
    first_task = seen[:40]
    assert set(first_task) == probe.buffers[0] and set(seen[40:]) == probe.buffers[1]
    state = load_checkpoint(work_dir / 'epoch_2.pth')['continual_loop']  # weights-only
    assert state['phases'][1]['name'] == RETRAIN_PHASE
    assert len(state['phases'][1]['dataset']['labels']) == 20


def test_resume_inside_the_retrain_phase_continues_exactly(trained, tmp_path):
    straight, _, work_dir = trained
    cfg = _config(tmp_path / 'resumed')
    cfg.resume, cfg.load_from = True, str(work_dir / 'epoch_2.pth')
    resumed = Runner.from_cfg(cfg)
    resumed.train()
    assert resumed.train_loop.accuracy_rows == straight.train_loop.accuracy_rows
    for key, value in straight.model.state_dict().items():
        assert torch.equal(resumed.model.state_dict()[key], value), key
