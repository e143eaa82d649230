"""AGEMHook: the memory holds finished tasks only, and feeds the wrapper's reference loss."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.optim import OptimWrapper
from mmpretrain.structures import DataSample

from mm_cl_addon.engine.hooks.agem_hook import AGEMHook
from mm_cl_addon.engine.optim.agem import AGEMOptimWrapper
from tests.engine.hooks.test_mir_hook import TinyClassifier


def _batch(task_id, count=4):
    return dict(inputs=torch.full((count, 2), float(task_id)),
                data_samples=[DataSample(metainfo=dict(task_id=task_id)).set_gt_label(task_id)
                              for _ in range(count)])


def _step(hook, batch):
    hook.before_train_iter(None, 0, batch)
    hook.after_train_iter(None, 0, batch)


def test_memory_takes_a_task_only_when_it_ends():
    hook = AGEMHook(buffer_size=6, memory_batch_size=3)
    model = TinyClassifier()
    wrapper = AGEMOptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    hook.before_train(SimpleNamespace(optim_wrapper=wrapper, model=model, seed=0,
                                     train_loop=SimpleNamespace(task_id=0)))
    _step(hook, _batch(0))
    assert len(hook.buffer) == 0 and wrapper.reference_loss() is None
    hook.after_task(None, 0)
    _step(hook, _batch(1))
    assert set(hook.buffer.task_ids) == {0} and len(hook.incoming) == 4
    assert wrapper.reference_loss().requires_grad
    hook.after_task(None, 1)
    assert set(hook.buffer.task_ids) == {0, 1} and len(hook.buffer) == 6


def test_state_round_trip_and_wrapper_check(tmp_path):
    hook = AGEMHook(buffer_size=6, memory_batch_size=3)
    _step(hook, _batch(0))
    hook.after_task(None, 0)
    _step(hook, _batch(1))
    checkpoint = {}
    hook.before_save_checkpoint(None, checkpoint)
    torch.save(checkpoint, tmp_path / 'agem.pth')
    resumed = AGEMHook(buffer_size=6, memory_batch_size=3)
    resumed.after_load_checkpoint(SimpleNamespace(_resume=True),
                                  torch.load(tmp_path / 'agem.pth', weights_only=True))
    assert resumed.buffer.task_ids == hook.buffer.task_ids
    assert resumed.incoming.task_ids == hook.incoming.task_ids
    with pytest.raises(TypeError, match="type='AGEMOptimWrapper'"):
        hook.before_train(SimpleNamespace(optim_wrapper=OptimWrapper(
            torch.optim.SGD(TinyClassifier().parameters(), lr=0.1)), seed=0,
            train_loop=SimpleNamespace(task_id=1)))
