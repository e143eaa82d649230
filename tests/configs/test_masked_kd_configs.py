"""Every masked-KD config builds its model and hooks, and no data set may download."""
from pathlib import Path

import pytest
from mmengine.config import Config
from mmpretrain.registry import DATASETS, HOOKS, MODELS

FOLDER = Path(__file__).resolve().parents[2] / 'configs' / 'masked_kd'
CONFIGS = sorted(FOLDER.glob('*.py')) + sorted(FOLDER.glob('retention/*.py'))
VARIANTS = ('ce', 'kd', 'kd-ema', 'kd-anneal', 'kd-swa', 'kd-clsonly', 'masked-kd',
            'masked-kd-clsonly')


def datasets_of(node):
    if isinstance(node, dict):
        if str(node.get('type', '')).startswith('CIFAR'):
            yield node
        for value in node.values():
            yield from datasets_of(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from datasets_of(value)


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.name)
def test_config_builds_and_never_downloads(path):
    cfg = Config.fromfile(str(path))
    model = MODELS.build(dict(cfg.model, data_preprocessor=cfg.data_preprocessor))
    # The retention baseline is the stock classifier; the others distil from a reference.
    stock = path.parent.name == 'retention' and path.name.startswith('ce_')
    assert type(model).__name__ == ('ImageClassifier' if stock else 'ReferenceKDClassifier')
    if 'cifar100' in path.name:
        assert model.head.num_classes == 100 and cfg.data_preprocessor.num_classes == 100
    for hook in cfg.get('custom_hooks', []):
        HOOKS.build(hook)
    for dataset in datasets_of(cfg.to_dict()):
        assert dataset['type'] == 'CIFAR10_1' or dataset.get('download') is False, path.name


def test_every_variant_is_there():
    names = {path.name for path in CONFIGS}
    for variant in VARIANTS:
        for suffix in ('resnet18_cifar10', 'resnet18_cifar100', 'cnn_split-digits',
                       'cnn_permuted-digits'):
            assert f'{variant}_{suffix}.py' in names
    assert {'kd_resnet18_split-cifar100.py', 'test_cifar10.1_resnet18.py'} <= names


def test_the_retention_setting_is_upright_then_permuted_digits():
    cfg = Config.fromfile(str(FOLDER / 'retention' / 'kd_cnn_permuted-digits.py'))
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        split = DATASETS.build(cfg[loader].dataset)
        assert [task.domains for task in split.tasks] == [(0,), (1,)], loader
        assert [len(task.classes) for task in split.tasks] == [10, 10], loader
