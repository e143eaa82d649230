"""tools/pickaback/run_mm_pipeline.sh end to end on a CUB-format caption fixture (16x16 images)."""
import json
import tempfile
from pathlib import Path

import pytest
import torch

from mm_cl_addon.compat import load_checkpoint
from mm_cl_addon.models.kv_transfer import kv_keys
from tests.datasets.caption_fixtures import write_cub
from tests.e2e.helpers import run_tool

pytestmark = pytest.mark.e2e
TASKS = 'tasks = [[[0, 1], [0]], [[2, 3], [0]], [[0, 1], [1]]]\n'  # two image tasks, a text task
# Every step still runs, only smaller (docs/mm_pickaback.md): no loader worker processes, no
# TensorBoard import, one CPG pruning stage, 10 ModelDiff search steps, one torch thread.
FAST = dict(MM_NUM_WORKERS='0', MM_TENSORBOARD='0', MM_SPARSITY_STAGES='0.5',
            MODELDIFF_STEPS='10', OMP_NUM_THREADS='1')


def test_mm_pipeline_transfers_the_text_projection_and_trains_the_target(tmp_path):
    # The data root's path is kept short: mmengine formats each config with yapf at start-up
    # and in every checkpoint, which takes seconds once a data root passes ~50 characters.
    with tempfile.TemporaryDirectory(prefix='mm') as short:
        run_and_check(Path(short) / 'cub', tmp_path)


def run_and_check(cub, tmp_path):
    write_cub(cub, num_classes=4, images_per_class=10, test_per_class=2, size=16)
    (tmp_path / 'tasks.py').write_text(TASKS)
    work = tmp_path / 'mm'
    env = dict(CUB_ROOT=str(cub), MM_TASKS_FILE=str(tmp_path / 'tasks.py'),
               MM_IMAGE_SIZE='16', MM_DEPTH='1', MM_VAL_RATIO='0.5', EPOCHS='1', NUM_SAMPLES='8',
               **FAST)
    result = run_tool('bash', 'tools/pickaback/run_mm_pipeline.sh', str(work), '3', '1', '2',
                      env=env, timeout=600)
    selection = json.loads((work / 'selection' / 'selection.json').read_text())
    assert f"Selected backbone for target task3 = {selection['selected']}" in result.stdout
    backbone = load_checkpoint(selection['checkpoints'][selection['selected']])['state_dict']
    transferred = load_checkpoint(work / 'transfer' / 'task3.pth')['state_dict']
    donor = load_checkpoint((work / 'baseline' / 'task3' / 'last_checkpoint').read_text().strip())
    keys = kv_keys('text')
    for key, value in transferred.items():
        if key in keys['copied']:
            assert torch.equal(value, donor['state_dict'][key]), key
        elif key in keys['reset']:
            assert not value.any(), key
        else:
            assert torch.equal(value, backbone[key]), key
    choice = json.loads(next((work / 'target' / 'task3' / 'cpg').glob('task*/choice.json'))
                        .read_text())
    assert choice['task'] == 2  # numbered after the backbone's task
    # The target may grow (configs/mm_pickaback/_base_/cpg_target.py); the kept snapshot's
    # tensors are wider than the backbone's exactly when the chosen width is.
    kept = load_checkpoint(choice['checkpoint'])['state_dict']
    widened = [key for key, value in kept.items()
               if key in backbone and value.shape != backbone[key].shape]
    assert bool(widened) == (choice['width_multiplier'] > 1.0), (choice, widened)
