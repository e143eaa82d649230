"""The ns-ImageNet mh config trains through tools/train.py on a tiny mini-ImageNet's features."""
import json
import sys

import pytest
from mmengine.config import Config

from mm_cl_addon.datasets.ns_imagenet_features import cache_features

from ..datasets.ns_imagenet_fixtures import WNIDS, write_mini_imagenet
from .helpers import REPO, run_tool, write_config

pytestmark = pytest.mark.e2e

CONFIGS = REPO / 'configs' / 'memory_head' / 'ns_imagenet'
SMALL = f"""
model = dict(head=dict(num_classes={len(WNIDS)}))
data_preprocessor = dict(num_classes={len(WNIDS)})
default_hooks = dict(logger=dict(interval=20),
                     checkpoint=dict(type='CheckpointHook', interval=100, save_last=True))
"""


def test_mh_config_trains_on_cached_fixture_features(tmp_path):
    root = tmp_path / 'ns_imagenet'
    write_mini_imagenet(root / 'mini-imagenet')
    features = Config.fromfile(str(CONFIGS / 'features_resnet18.py'))
    features.feature_pipeline[1]['scale'] = (32, 32)
    cache_features(features, root / 'mini-imagenet', root / 'noise',
                   root / 'features' / 'resnet18', random_init=True, progress=False)
    config = write_config(tmp_path / 'mh_small.py', CONFIGS / 'mh_ns-imagenet.py', SMALL)
    work = tmp_path / 'work'
    run_tool(sys.executable, 'tools/train.py', str(config), '--work-dir', str(work),
             env=dict(NS_IMAGENET_ROOT=str(root)))
    report = json.loads((work / 'online_stream_metrics.json').read_text())
    assert report['last_distribution'] == 11
    sizes = {name: split['num_distributions'] for name, split in report['splits'].items()}
    assert sizes == dict(train=12, val=6, test=12)  # 4 classes x 3 domains; val cut in half
    test = report['splits']['test']
    assert all(None not in row for row in test['ccm']) and test['core'] is not None
