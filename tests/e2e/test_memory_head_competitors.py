"""Each replay competitor's config trains through tools/train.py (cut to two short tasks)."""
import json

import pytest

from .helpers import REPO, train, write_config

pytestmark = pytest.mark.e2e

SHORT = """
tasks = [[0, 1], [2, 3]]
train_dataloader = dict(dataset=dict(tasks=tasks))
val_dataloader = dict(dataset=dict(tasks=tasks))
test_dataloader = dict(dataset=dict(tasks=tasks))
train_cfg = dict(epochs_per_task=1)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(vis_backends=vis_backends)
default_hooks = dict(logger=dict(interval=50))
"""
SHORTER = {
    'gdumb': "custom_hooks = [dict(type='GDumbHook', buffer_size=40, retrain_length=2)]\n",
    'mir': "custom_hooks = [dict(type='MIRHook', buffer_size=200, replay_batch_size=8, "
           "candidates=16)]\n",
}


@pytest.mark.parametrize('method', ['er-random', 'mir', 'agem', 'gdumb', 'ensemble'])
def test_config_trains(method, tmp_path):
    base = REPO / 'configs' / 'memory_head' / f'{method}_cnn_split-digits.py'
    config = write_config(tmp_path / 'short.py', base, SHORT + SHORTER.get(method, ''))
    train(config, tmp_path / 'work')
    report = json.loads((tmp_path / 'work' / 'continual_accuracy.json').read_text())
    assert len(report['accuracy_matrix']) == 3
    assert report['accuracy_matrix'][1][0] > 0.8  # the first task was learnt
