"""Pick-a-back configs: Split-CIFAR-100 superclass tasks; CPG on a cifar-100-python fixture."""
import json
import pickle
import uuid
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import Runner
from mmpretrain.datasets import CIFAR100
from mmpretrain.datasets.categories import CIFAR100_CATEGORIES

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / 'configs' / 'pickaback'
SUPERCLASSES = Config.fromfile(str(REPO / 'configs/_base_/datasets/cifar100_superclasses.py'))


def test_superclasses_partition_the_hundred_classes():
    groups = SUPERCLASSES.superclasses
    assert len(groups) == 20 and all(len(group) == 5 for group in groups)
    assert sorted(c for group in groups for c in group) == list(range(100))
    names = [[CIFAR100_CATEGORIES[c] for c in group] for group in groups]
    assert names[0] == ['beaver', 'dolphin', 'otter', 'seal', 'whale']  # aquatic mammals
    assert names[14] == ['baby', 'boy', 'girl', 'man', 'woman']  # people
    assert names[19] == ['lawn_mower', 'rocket', 'streetcar', 'tank', 'tractor']  # vehicles 2


@pytest.mark.parametrize('config', sorted(p.name for p in CONFIGS.glob('*.py')))
def test_every_pickaback_config_parses_with_a_continual_loop(config):
    cfg = Config.fromfile(str(CONFIGS / config))
    assert cfg.train_cfg.type == 'ContinualTrainLoop'
    assert cfg.model.head.type == 'MultiTaskClsHead'


def write_cifar100(root: Path, per_class: int = 2) -> None:
    """The cifar-100-python layout: train, test and meta pickles with fine and coarse labels."""
    folder = root / 'cifar-100-python'
    folder.mkdir(parents=True)
    coarse_of = {c: k for k, group in enumerate(SUPERCLASSES.superclasses) for c in group}
    rng = np.random.default_rng(0)
    for name in ('train', 'test'):
        fine = [c for c in range(100) for _ in range(per_class)]
        entry = {'data': rng.integers(0, 256, (len(fine), 3072), dtype=np.uint8),
                 'fine_labels': fine, 'coarse_labels': [coarse_of[c] for c in fine]}
        (folder / name).write_bytes(pickle.dumps(entry))
    (folder / 'meta').write_bytes(pickle.dumps({'fine_label_names': list(CIFAR100_CATEGORIES)}))


def test_cpg_backbone_config_trains_on_a_cifar100_fixture(tmp_path, monkeypatch):
    # The fixture cannot match the real archive's md5 sums; everything else is the real reader.
    monkeypatch.setattr(CIFAR100, '_check_integrity', lambda self: True)
    write_cifar100(tmp_path / 'cifar100')
    cfg = Config.fromfile(str(CONFIGS / 'cpg_backbone_resnet18_split-cifar100.py'))
    tasks = [SUPERCLASSES.superclasses[3]]
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.tasks = tasks
        cfg[loader].dataset.dataset.data_root = str(tmp_path / 'cifar100')
        cfg[loader].batch_size = 16
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    cfg.model.head.task_classes = tasks
    cfg.train_cfg.epochs_per_task = 1
    cfg.custom_hooks[0].update(sparsity_stages=[0.5], stage_epochs=1, prune_interval=1,
                               goal_accuracy=0.0)
    cfg.work_dir = str(tmp_path / 'work')
    cfg.experiment_name = f'cifar100_{uuid.uuid4().hex[:8]}'
    cfg.visualizer = dict(type='UniversalVisualizer', name=cfg.experiment_name,
                          vis_backends=[dict(type='LocalVisBackend')])
    runner = Runner.from_cfg(cfg)
    assert len(runner.train_dataloader.dataset) == 10  # 5 classes x 2 images
    runner.train()
    record = json.loads((tmp_path / 'work' / 'cpg' / 'task1' / 'ratios.json').read_text())
    assert [entry['ratio'] for entry in record['records']] == [0.0, 0.5]
    choice = json.loads((tmp_path / 'work' / 'cpg' / 'task1' / 'choice.json').read_text())
    assert choice['ratio'] == 0.5  # goal 0: the highest ratio qualifies
