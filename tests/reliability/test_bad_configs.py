"""Every kind of bad config is refused before training, in one line naming the key."""
from __future__ import annotations

import re

import pytest

from .helpers import error_line, run_in_process, tiny_config

pytestmark = pytest.mark.e2e

# (case, extra config lines, --cfg-options items, what the one line must say)
CASES = [
    ('unknown type', "model = dict(backbone=dict(type='SmallConvNett'))", [],
     'SmallConvNett is not in the mmpretrain::model registry'),
    ('unknown argument', "model = dict(backbone=dict(widhts=(8, 16)))", [],
     "SmallConvNet.*unexpected keyword argument 'widhts'"),
    ('missing required argument', "model = dict(head=dict(_delete_=True, type='LinearClsHead', "
     'in_channels=16))', [], "LinearClsHead.*missing 1 required positional argument: "
                             "'num_classes'"),
    ('misspelled top-level key', 'trian_cfg = dict(epochs_per_task=1)', [],
     r"top-level key 'trian_cfg' \(did you mean 'train_cfg'\?\) is not a Runner argument"),
    ('misspelled default hook', "default_hooks = dict(chekpoint=dict(type='CheckpointHook'))",
     [], r'default_hooks\.chekpoint: not a default hook name; did you mean '
         r'default_hooks\.checkpoint'),
    ('unknown optimizer', '', ['optim_wrapper.optimizer.type=SDG'],
     r"optim_wrapper\.optimizer\.type='SDG' is not a registered optimizer; did you mean 'SGD'"),
    ('optimizer without lr', "optim_wrapper = dict(optimizer=dict(_delete_=True, type='SGD'))",
     [], r"optim_wrapper\.optimizer: no 'lr'"),
    ('non-numeric lr', '', ['optim_wrapper.optimizer.lr=abc'],
     r"optim_wrapper\.optimizer\.lr='abc' must be a number >= 0"),
    ('fractional epochs', '', ['train_cfg.epochs_per_task=1.5'],
     r'train_cfg\.epochs_per_task=1\.5 must be a whole number >= 1'),
    ('epochs per task of the wrong length', '', ['train_cfg.epochs_per_task=[1,1,1]'],
     r'train_cfg\.epochs_per_task=\[1, 1, 1\] must be .* one per task \(2 tasks\)'),
    ('override of a file variable', '', ['epochs_per_task=1'],
     r"--cfg-options epochs_per_task: 'epochs_per_task' is a variable of the config file.*"
     r'train_cfg\.epochs_per_task'),
    ('misspelled override', '', ['trian_cfg.epochs_per_task=1'],
     r"'trian_cfg' is not a key the Runner reads; did you mean 'train_cfg'"),
    ('val tasks differ', '', ['val_dataloader.dataset.tasks=[[0,1]]'],
     r'val_dataloader\.dataset and train_dataloader\.dataset disagree: 1 tasks vs 2'),
    ('test tasks in another order', '', ['test_dataloader.dataset.tasks=[[2,3],[0,1]]'],
     r'test_dataloader\.dataset and train_dataloader\.dataset disagree on task 0'),
    ('scenario differs', '', ['val_dataloader.dataset.scenario=task'],
     "disagree: scenario='task' vs 'class'"),
    ('task split of unknown classes', '', ['train_dataloader.dataset.tasks=[[0,1],[2,11]]'],
     r'TaskSplitDataset: class 11 of task 1 is not in the data set'),
    ('head smaller than the labels', '', ['model.head.num_classes=3'],
     r'model\.head\.num_classes=3 is too small: .* labels up to 3'),
    ('zero replay buffer', "custom_hooks = [dict(type='ReplayHook', buffer_size=0, "
     'replay_batch_size=4)]', [], 'ReplayHook: buffer_size=0 must be a whole number >= 1'),
    ('unknown scenario', '', ['train_dataloader.dataset.scenario=clas'],
     "scenario='clas' is not one of"),
]


@pytest.mark.parametrize('case, extra, options, message', CASES, ids=[c[0] for c in CASES])
def test_bad_config_is_refused_in_one_line(tmp_path, case, extra, options, message):
    config = tiny_config(tmp_path, extra)
    work_dir = tmp_path / 'work'
    argv = [str(config), '--work-dir', str(work_dir)]
    code, stderr = run_in_process('train.py', *argv, *(['--cfg-options', *options]
                                                        if options else []))
    assert code == 1, stderr[-2000:]
    line = error_line(stderr)
    assert line.startswith('train.py: error: ') and re.search(message, line), line
    assert not list(work_dir.glob('*.pth')) if work_dir.exists() else True


@pytest.mark.parametrize('argv, message', [
    (['--cfg-options', 'train_cfg.epochs_per_task'], "'train_cfg.epochs_per_task': expected "
                                                     'key=value'),
    (['--resume', '--nonsense'], 'unrecognized arguments: --nonsense'),
    (['--resume', 'missing.pth'], '--resume missing.pth: no such checkpoint file'),
])
def test_malformed_command_lines_are_usage_errors(tmp_path, argv, message):
    code, stderr = run_in_process('train.py', str(tiny_config(tmp_path)), *argv)
    assert code == 2 and message in error_line(stderr)


def test_missing_config_is_named_with_the_nearest_shipped_ones():
    code, stderr = run_in_process('train.py', 'configs/continual/finetune_cnn_split-digit.py')
    assert code == 2
    assert error_line(stderr) == (
        'train.py: error: config configs/continual/finetune_cnn_split-digit.py does not exist; '
        'did you mean configs/continual/finetune_cnn_split-digits.py or configs/continual/'
        'finetune_cnn_split-digits_task-il.py or configs/continual/joint_cnn_split-digits.py? '
        '(see --help)')
