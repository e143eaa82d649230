"""ReplayHook: batches grow by replayed past samples only, in a Runner and in checkpoints."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmpretrain.structures import DataSample

from mm_cl_addon.compat import load_checkpoint
from mm_cl_addon.engine.hooks.replay_hook import CHECKPOINT_KEY, ReplayHook
from tests.conftest import small_digits_config


def _batch(start: int, count: int) -> dict:
    """A collated batch whose input values and labels are ``start .. start + count - 1``."""
    return dict(inputs=torch.arange(start, start + count).view(-1, 1, 1, 1).to(torch.uint8),
                data_samples=[DataSample().set_gt_label(i) for i in range(start, start + count)])


def _step(hook: ReplayHook, batch: dict) -> dict:
    hook.before_train_iter(None, 0, batch)
    hook.after_train_iter(None, 0, batch)
    return batch


def test_appends_replay_batch_size_past_samples_never_current_ones():
    hook = ReplayHook(buffer_size=50, replay_batch_size=3)
    first = _step(hook, _batch(0, 4))
    assert first['inputs'].flatten().tolist() == [0, 1, 2, 3]  # empty buffer: unchanged
    assert len(first['data_samples']) == 4
    for start in (10, 20, 30):
        batch = _step(hook, _batch(start, 4))
        values = batch['inputs'].flatten().tolist()
        assert values[:4] == list(range(start, start + 4)) and len(values) == 7
        assert all(v < start for v in values[4:])  # replayed: earlier batches only
        assert [int(s.gt_label) for s in batch['data_samples']] == values
    assert len(hook.buffer) == 16  # replayed samples are not stored again


def test_rejects_bad_arguments_and_batches():
    with pytest.raises(ValueError, match='replay_batch_size=0'):
        ReplayHook(buffer_size=10, replay_batch_size=0)
    with pytest.raises(ValueError, match='ReplayHook: buffer_size=0 must be a whole number'):
        ReplayHook(buffer_size=0, replay_batch_size=1)
    with pytest.raises(TypeError, match="batched 'inputs'"):
        ReplayHook(10, 1).before_train_iter(None, 0, dict(inputs=[torch.zeros(1, 8, 8)]))


def test_buffer_loads_from_checkpoint_on_resume_only():
    saved = ReplayHook(10, 2)
    _step(saved, _batch(0, 6))
    checkpoint = {}
    saved.before_save_checkpoint(None, checkpoint)
    fresh, resumed = ReplayHook(10, 2), ReplayHook(10, 2)
    fresh.after_load_checkpoint(SimpleNamespace(_resume=False), checkpoint)
    resumed.after_load_checkpoint(SimpleNamespace(_resume=True), checkpoint)
    assert len(fresh.buffer) == 0 and len(resumed.buffer) == 6


class BatchProbe(Hook):
    """Records each step's sizes and task ids after ReplayHook (higher priority) extended it."""

    priority = 'LOWEST'

    def __init__(self):
        self.sizes: list[tuple[int, int]] = []
        self.task_ids: list[set[int]] = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.sizes.append((len(data_batch['inputs']), len(data_batch['data_samples'])))
        self.task_ids.append({s.task_id for s in data_batch['data_samples']})


def test_runner_trains_on_replayed_earlier_tasks(tmp_path):
    cfg = small_digits_config(tmp_path / 'work')
    cfg.custom_hooks = [dict(type='ReplayHook', buffer_size=40, replay_batch_size=8)]
    runner = Runner.from_cfg(cfg)
    probe = BatchProbe()
    runner.register_hook(probe)
    runner.train()
    hook = next(h for h in runner.hooks if isinstance(h, ReplayHook))
    batch_size = cfg.train_dataloader.batch_size
    assert probe.sizes[0][0] <= batch_size  # first step: nothing to replay yet
    assert all(n == m for n, m in probe.sizes)
    assert any(n > batch_size for n, _ in probe.sizes[1:])
    assert len(hook.buffer) == 40 and set(hook.buffer.task_ids) == {0, 1}
    checkpoint = load_checkpoint(tmp_path / 'work' / 'epoch_2.pth')  # weights-only
    assert checkpoint[CHECKPOINT_KEY]['task_ids'] == hook.buffer.task_ids
    assert {0, 1} in probe.task_ids  # task 1 trained alongside replayed task-0 samples
    assert len(runner.train_loop.accuracy_rows) == 3


def _drawn(hook: ReplayHook, run_seed: int) -> list[int]:
    hook.before_train(SimpleNamespace(seed=run_seed))
    for start in range(0, 40, 4):
        _step(hook, _batch(start, 4))
    return hook.buffer.sample(5)[0].flatten().tolist()


def test_the_buffer_seed_follows_the_run_seed_unless_fixed():
    assert _drawn(ReplayHook(8, 2), 1) == _drawn(ReplayHook(8, 2), 1)
    assert _drawn(ReplayHook(8, 2), 1) != _drawn(ReplayHook(8, 2), 2)
    assert _drawn(ReplayHook(8, 2, seed=5), 1) == _drawn(ReplayHook(8, 2, seed=5), 2)


def test_a_restored_buffer_keeps_its_generator():
    hook = ReplayHook(8, 2)
    _drawn(hook, 1)
    state = hook.buffer.generator.get_state()
    hook.before_train(SimpleNamespace(seed=9))  # as on resume: the buffer has seen samples
    assert torch.equal(hook.buffer.generator.get_state(), state)
