"""A CIFAR-10 masked-KD config trains on a tiny fixture in the real cifar-10-batches-py format."""
import pickle
import uuid
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmpretrain.datasets import CIFAR10

CONFIGS = Path(__file__).resolve().parents[2] / 'configs' / 'masked_kd'


def write_cifar10(root: Path, per_batch: int = 2, test: int = 4) -> None:
    """The python-format layout: five training batches, a test batch and batches.meta."""
    folder = root / 'cifar-10-batches-py'
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    batches = [f'data_batch_{i}' for i in range(1, 6)] + ['test_batch']
    for name in batches:
        count = test if name == 'test_batch' else per_batch
        entry = {'data': rng.integers(0, 256, (count, 3072), dtype=np.uint8),
                 'labels': rng.integers(0, 10, count).tolist()}
        (folder / name).write_bytes(pickle.dumps(entry))
    (folder / 'batches.meta').write_bytes(pickle.dumps(
        {'label_names': list(CIFAR10.METAINFO['classes'])}))


class LossNames(Hook):
    def __init__(self):
        self.names = set()

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.names |= set(outputs)


@pytest.mark.parametrize('config', ['kd-ema_resnet18_cifar10.py',
                                    'masked-kd-clsonly_resnet18_cifar10.py'])
def test_trains_on_fixture(tmp_path, monkeypatch, config):
    # The fixture cannot match the real archive's md5 sums; everything else is the real reader.
    monkeypatch.setattr(CIFAR10, '_check_integrity', lambda self: True)
    write_cifar10(tmp_path / 'cifar10')
    cfg = Config.fromfile(str(CONFIGS / config))
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = str(tmp_path / 'cifar10')
        cfg[loader].batch_size = 4
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    cfg.train_cfg = dict(by_epoch=True, max_epochs=2, val_interval=2)
    cfg.param_scheduler = []
    cfg.custom_hooks[0].start_epoch = 1
    cfg.work_dir = str(tmp_path / 'work')
    cfg.experiment_name = f'cifar_{uuid.uuid4().hex[:8]}'
    cfg.visualizer = dict(type='UniversalVisualizer', name=cfg.experiment_name,
                          vis_backends=[dict(type='LocalVisBackend')])
    runner = Runner.from_cfg(cfg)
    names = LossNames()
    runner.register_hook(names)
    runner.train()
    distillation = 'loss_mask' if 'masked' in config else 'loss_kd'
    assert {'loss', distillation} <= names.names
    metrics = runner.val_loop.run()
    assert 0 <= metrics['accuracy/top1'] <= 100 and metrics['rankme/rankme'] >= 1.0
