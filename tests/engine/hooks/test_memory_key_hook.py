"""MemoryKeyUpdateHook in a Runner: one key update per iteration, and ad hoc keys move."""
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

from tests.conftest import small_digits_config


class Count(Hook):
    """Counts iterations and samples; the first snapshots the keys before any update."""

    def __init__(self):
        self.iters = self.samples = 0
        self.keys = None

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if self.keys is None:
            self.keys = runner.model.head.fc.keys.clone()
        self.iters += 1
        self.samples += len(data_batch['inputs'])


def test_update_keys_runs_once_per_iteration_and_keys_move(tmp_path):
    cfg = small_digits_config(tmp_path / 'work')
    cfg.model.backbone = dict(type='Flatten')
    cfg.model.neck = None
    cfg.model.head = dict(type='MemoryHead', num_classes=10, in_channels=64, num_memories=8,
                          delta=2, key_update='ad_hoc_WTA', memory_update='WTA', key_lr=0.1)
    cfg.custom_hooks = [dict(type='MemoryKeyUpdateHook')]
    runner = Runner.from_cfg(cfg)
    layer = runner.model.head.fc
    calls = []
    original = layer.update_keys

    def counted():
        calls.append(layer._last is not None)
        original()

    layer.update_keys = counted
    count = Count()
    runner.register_hook(count)
    runner.train()
    assert count.iters > 0 and len(calls) == count.iters
    assert all(calls)  # every call consumed a training forward
    assert not torch.equal(layer.keys, count.keys)
    assert (layer.age == count.samples).all()  # every sample counted once
