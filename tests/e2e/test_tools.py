"""The command-line tools as a researcher runs them."""
import json
import os
import sys
from pathlib import Path

import mmpretrain
import pytest

from .helpers import CONTINUAL_CONFIGS, run_tool, train, write_config

pytestmark = pytest.mark.e2e

MMPRETRAIN_TRAIN = Path(mmpretrain.__file__).parent / '.mim' / 'tools' / 'train.py'
SHORT = """
tasks = [[0, 1], [2, 3]]
train_dataloader = dict(dataset=dict(tasks=tasks))
val_dataloader = dict(dataset=dict(tasks=tasks))
test_dataloader = dict(dataset=dict(tasks=tasks))
train_cfg = dict(epochs_per_task=1)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(vis_backends=vis_backends)
"""


@pytest.fixture
def short_config(tmp_path):
    return write_config(tmp_path / 'short.py',
                        CONTINUAL_CONFIGS / 'finetune_cnn_split-digits.py', SHORT)


def test_mmpretrain_own_train_tool_runs_our_config(short_config, tmp_path):
    """custom_imports alone brings our loops, data set and models into mmpretrain's tool."""
    work_dir = tmp_path / 'work'
    run_tool(sys.executable, str(MMPRETRAIN_TRAIN), str(short_config), '--work-dir',
             str(work_dir))
    report = json.loads((work_dir / 'continual_accuracy.json').read_text())
    assert len(report['accuracy_matrix']) == 3 and report['num_tasks'] == 2
    assert (work_dir / 'continual_accuracy_matrix.png').exists()
    assert (work_dir / 'epoch_2.pth').exists()


def test_train_then_test_writes_every_task(short_config, tmp_path):
    work_dir = tmp_path / 'work'
    train(short_config, work_dir)
    out = tmp_path / 'metrics.json'
    run_tool(sys.executable, 'tools/test.py', str(short_config), str(work_dir / 'epoch_2.pth'),
             '--work-dir', str(tmp_path / 'test'), '--out', str(out))
    metrics = json.loads(out.read_text())
    assert {'task0/accuracy/top1', 'task1/accuracy/top1', 'mean/accuracy/top1'} <= set(metrics)
    assert metrics['task1/accuracy/top1'] > 80


def test_resume_refuses_a_checkpoint_that_runs_code(short_config, tmp_path):
    marker = tmp_path / 'pwned'
    script = ('import os, torch\n'
              'class Payload:\n'
              '    def __reduce__(self):\n'
              f'        return os.system, ("touch {marker}",)\n'
              f'torch.save(dict(meta=dict(epoch=1, iter=1), state_dict=Payload()), '
              f'"{tmp_path / "evil.pth"}")\n')
    run_tool(sys.executable, '-c', script)
    result = train(short_config, tmp_path / 'work', '--resume', str(tmp_path / 'evil.pth'),
                   check=False)
    assert result.returncode != 0
    assert 'Refused to load checkpoint' in result.stderr
    assert f'{os.system.__module__}.system' in result.stderr
    assert not marker.exists()
