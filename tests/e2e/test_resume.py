"""A run killed with SIGKILL during task 2 and resumed ends exactly as an uninterrupted run."""
import json

import pytest
import torch

from mm_cl_addon.compat import load_checkpoint

from .helpers import CONTINUAL_CONFIGS, train, write_config

pytestmark = pytest.mark.e2e

# Random flips (numpy's global generator) and dropout (torch's) make every epoch
# depend on the reseeding; the sampler alone would replay without it.
OVERRIDES = """
tasks = [[0, 1], [2, 3], [4, 5]]
train_pipeline = [dict(type='RandomFlip', prob=0.5, direction='horizontal'),
                  dict(type='PackInputs')]
train_dataloader = dict(dataset=dict(tasks=tasks, dataset=dict(pipeline=train_pipeline)))
model = dict(head=dict(_delete_=True, type='StackedLinearClsHead', num_classes=10,
                       in_channels=64, mid_channels=[32], dropout_rate=0.3))
val_dataloader = dict(dataset=dict(tasks=tasks))
test_dataloader = dict(dataset=dict(tasks=tasks))
train_cfg = dict(epochs_per_task=2)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=2, by_epoch=True,
                        convert_to_iter_based=True, eta_min=1e-4)]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=-1))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(vis_backends=vis_backends)
"""


def test_sigkill_during_task_2_then_resume_is_bit_identical(tmp_path):
    config = write_config(tmp_path / 'cfg.py',
                          CONTINUAL_CONFIGS / 'finetune_cnn_split-digits.py', OVERRIDES)
    killer = write_config(tmp_path / 'killed.py', config, """
custom_imports = dict(imports=['mm_cl_addon', 'sigkill_hook'], allow_failed_imports=False)
custom_hooks = [dict(type='SigkillAt', epoch=3, batch_idx=2)]
""")
    whole, broken = tmp_path / 'whole', tmp_path / 'broken'
    train(config, whole)
    crashed = train(killer, broken, check=False)
    assert crashed.returncode == -9  # SIGKILL, in epoch 4 = the second epoch of task 2
    assert (broken / 'epoch_3.pth').exists() and not (broken / 'epoch_4.pth').exists()
    train(config, broken, '--resume')

    expected = load_checkpoint(whole / 'epoch_6.pth')
    resumed = load_checkpoint(broken / 'epoch_6.pth')
    assert expected['state_dict'].keys() == resumed['state_dict'].keys()
    for name, tensor in expected['state_dict'].items():
        assert torch.equal(tensor, resumed['state_dict'][name]), name
    for key in ('task_id', 'accuracy_rows'):
        assert expected['continual_loop'][key] == resumed['continual_loop'][key]
    report = json.loads((whole / 'continual_accuracy.json').read_text())
    resumed_report = json.loads((broken / 'continual_accuracy.json').read_text())
    assert report.pop('run')['config_sha256'] == resumed_report.pop('run')['config_sha256']
    assert report == resumed_report
    assert len(report['accuracy_matrix']) == 4
