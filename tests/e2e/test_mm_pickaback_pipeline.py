"""tools/pickaback/run_mm_pipeline.sh end to end on a CUB-format caption fixture (16x16 images)."""
import json

import pytest
import torch

from mm_cl_addon.compat import load_checkpoint
from mm_cl_addon.models.kv_transfer import kv_keys
from tests.datasets.caption_fixtures import write_cub
from tests.e2e.helpers import run_tool

pytestmark = pytest.mark.e2e
TASKS = 'tasks = [[[0, 1], [0]], [[2, 3], [0]], [[0, 1], [1]]]\n'  # two image tasks, a text task


def test_mm_pipeline_transfers_the_text_projection_and_trains_the_target(tmp_path):
    write_cub(tmp_path / 'cub', num_classes=4, images_per_class=10, test_per_class=2, size=16)
    (tmp_path / 'tasks.py').write_text(TASKS)
    work = tmp_path / 'mm'
    env = dict(CUB_ROOT=str(tmp_path / 'cub'), MM_TASKS_FILE=str(tmp_path / 'tasks.py'),
               MM_IMAGE_SIZE='16', MM_DEPTH='1', MM_VAL_RATIO='0.5', EPOCHS='1', NUM_SAMPLES='8')
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
