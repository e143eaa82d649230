"""Every ns-ImageNet config loads, points at the feature files and builds its model and hooks."""
from __future__ import annotations

import pytest
import torch
from mmengine.config import Config
from mmpretrain.registry import HOOKS, MODELS

from ..conftest import REPO

CONFIGS = REPO / 'configs' / 'memory_head' / 'ns_imagenet'
NAMES = ['lp', 'mlp', 'mh'] + [f'{method}_mlp' for method in
                               ('er', 'er-random', 'mir', 'agem', 'gdumb', 'ensemble')]


def test_the_2d_model_and_competitor_set_is_mirrored():
    two_d = {path.name.removesuffix('_modes-cdi.py')
             for path in (REPO / 'configs' / 'memory_head' / '2d').glob('*_modes-cdi.py')}
    assert two_d == set(NAMES)
    assert {path.name for path in CONFIGS.glob('*_ns-imagenet.py')} == {
        f'{name}_ns-imagenet.py' for name in NAMES}


@pytest.mark.parametrize('name', NAMES)
def test_config_builds_on_512_d_features_with_100_classes(name, monkeypatch):
    monkeypatch.setenv('NS_IMAGENET_ROOT', '/data/elsewhere')
    cfg = Config.fromfile(str(CONFIGS / f'{name}_ns-imagenet.py'))
    for loader, split in (('train_dataloader', 'train'), ('test_dataloader', 'test')):
        features = cfg[loader].dataset.dataset
        assert features.type == 'NSImageNetDataset' and features.split == split
        assert features.data_root == '/data/elsewhere'
        assert features.feature_dir == 'features/resnet18'
    assert cfg.train_dataloader.batch_size == 1 and cfg.train_dataloader.dataset.tasks == 1
    assert cfg.data_preprocessor.num_classes == 100
    hooks = [HOOKS.build(dict(hook)) for hook in cfg.custom_hooks]
    assert type(hooks[0]).__name__ == 'OnlineStreamEvalHook' and not hooks[0].decision_regions
    model = MODELS.build(cfg.model)
    members = getattr(model, 'members', [model])
    for member in members:
        assert member(torch.randn(2, 512, 1, 1), mode='tensor').shape == (2, 100)
