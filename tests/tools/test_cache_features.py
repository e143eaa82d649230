"""tools/memory_head/cache_features.py: noise domains, features per split, resuming, weights."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from mmengine.config import Config

import mm_cl_addon.datasets.ns_imagenet_features as features_module
from mm_cl_addon.datasets.ns_imagenet import DOMAINS, SPLITS, load_features
from mm_cl_addon.datasets.ns_imagenet_features import build_extractor, load_extractor_weights

from ..datasets.ns_imagenet_fixtures import PER_CLASS, WNIDS, write_mini_imagenet
from ..e2e.helpers import REPO, load_tool

TOOL = REPO / 'tools' / 'memory_head' / 'cache_features.py'
FEATURE_CONFIG = REPO / 'configs' / 'memory_head' / 'ns_imagenet' / 'features_resnet18.py'
# The real feature config at 32 x 32 instead of 224 x 224, so the test runs in seconds.
SMALL = """
feature_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='Resize', scale=(32, 32), backend='pillow', interpolation='bilinear'),
    dict(type='PackInputs'),
]
"""


def small_feature_config(tmp_path):
    path = tmp_path / 'features_small.py'
    path.write_text(f'_base_ = [{str(FEATURE_CONFIG)!r}]\n{SMALL}')
    return path


@pytest.fixture(scope='module')
def tool():
    return load_tool(TOOL)


def cache_args(tmp_path, *extra):
    return [str(small_feature_config(tmp_path)), '--mini-imagenet', str(tmp_path / 'mini'),
            '--noise-dir', str(tmp_path / 'noise'), '--out-dir', str(tmp_path / 'features'),
            '--device', 'cpu', '--num-workers', '0', '--batch-size', '16', *extra]


def test_features_of_every_domain_per_split_then_resume(tool, tmp_path, monkeypatch, capsys):
    ids = write_mini_imagenet(tmp_path / 'mini')
    status = tool.main(cache_args(tmp_path, '--random-init'))
    assert status == {split: 'written' for split in SPLITS}
    per_split = {'train': 7, 'val': 1, 'test': 2}
    for split in SPLITS:
        contents = load_features(tmp_path / 'features' / f'{split}.npz')
        count = len(DOMAINS) * len(WNIDS) * per_split[split]
        assert contents.features.shape == (count, 512)
        assert contents.features.dtype == np.float32 and np.isfinite(contents.features).all()
        assert contents.classes == WNIDS
        cells = list(zip(contents.domains.tolist(), contents.labels.tolist()))
        assert cells == [(d, c) for d in range(3) for c in range(len(WNIDS))
                         for _ in range(per_split[split])]
        assert contents.meta['split'] == split and contents.meta['checkpoint'] is None
    train = load_features(tmp_path / 'features' / 'train.npz')
    assert train.image_ids[0] == ids[0][0]
    # the same image in its three domains: noise moves the features, more for more noise
    clean, weak, strong = (train.features[d * len(WNIDS) * 7] for d in range(3))
    assert 0 < np.linalg.norm(weak - clean) < np.linalg.norm(strong - clean)
    assert len(list((tmp_path / 'noise').rglob('*.png'))) == 2 * len(WNIDS) * PER_CLASS

    # a second run skips every finished split and never builds the model
    def refuse(*args, **kwargs):
        raise AssertionError('the model was built although every split was done')

    monkeypatch.setattr(features_module, 'build_extractor', refuse)
    assert tool.main(cache_args(tmp_path, '--random-init')) == {s: 'skipped' for s in SPLITS}
    assert 'noise domains in' in capsys.readouterr().out
    monkeypatch.undo()
    (tmp_path / 'features' / 'test.npz').unlink()
    assert tool.main(cache_args(tmp_path, '--random-init')) == dict(
        train='skipped', val='skipped', test='written')
    np.testing.assert_array_equal(load_features(tmp_path / 'features' / 'train.npz').features,
                                  train.features)
    # files made another way are not reused silently
    with pytest.raises(ValueError, match=r"features/train\.npz was written with other settings "
                                         r"\(\['seed'\]"):
        tool.main(cache_args(tmp_path, '--random-init', '--seed', '5'))


def test_weights_come_from_a_local_checkpoint_or_an_explicit_random_init(tool, tmp_path, capsys):
    with pytest.raises(SystemExit):
        tool.main(cache_args(tmp_path))
    assert '--random-init' in capsys.readouterr().err
    cfg = Config.fromfile(str(FEATURE_CONFIG))
    with pytest.raises(ValueError, match='random_init=True'):
        build_extractor(cfg.model)
    with pytest.raises(FileNotFoundError, match=r'missing\.pth does not exist'):
        build_extractor(cfg.model, str(tmp_path / 'missing.pth'))
    source = build_extractor(cfg.model, random_init=True, seed=1).model
    state = {k: v for k, v in source.state_dict().items() if not k.startswith('head.')}
    torch.save({'state_dict': state}, tmp_path / 'backbone.pth')
    loaded = build_extractor(cfg.model, str(tmp_path / 'backbone.pth'), seed=2)
    inputs = torch.randn(2, 3, 32, 32)
    assert loaded(inputs).shape == (2, 512)
    torch.testing.assert_close(loaded(inputs), build_extractor(cfg.model, random_init=True,
                                                               seed=1)(inputs))
    del state['backbone.conv1.weight']
    torch.save({'state_dict': state}, tmp_path / 'partial.pth')
    with pytest.raises(ValueError, match=r"partial\.pth does not fit.*backbone\.conv1\.weight"):
        load_extractor_weights(loaded.model, tmp_path / 'partial.pth')
