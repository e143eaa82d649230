"""tools/dist_train.sh on a CPU-only machine: 2 gloo processes, CPU DDP, a loadable checkpoint."""
import json
from pathlib import Path

import pytest
from mmengine.config import Config
from mmpretrain.registry import MODELS

from mm_cl_addon.compat import load_checkpoint

from .helpers import CONTINUAL_CONFIGS, free_port, run_tool, write_config

pytestmark = pytest.mark.e2e

SHORT = {
    'finetune_cnn_split-digits.py': 'train_cfg = dict(epochs_per_task=1)',
    'finetune_cnn_split-digits_task-il.py': 'train_cfg = dict(epochs_per_task=1)',
    'joint_cnn_split-digits.py': 'train_cfg = dict(max_epochs=1, val_interval=1)',
}


def test_every_digits_config_is_covered():
    assert sorted(SHORT) == sorted(p.name for p in CONTINUAL_CONFIGS.glob('*digits*.py'))


# PackNet: its int32 owner buffers are broadcast from rank 0 (gloo has no int16); masked KD:
# its mask token takes no part in the first task's steps (find_unused_parameters).
PACKNET = CONTINUAL_CONFIGS.parent / 'pickaback' / 'packnet_cnn_split-digits.py'
MASKED_KD = CONTINUAL_CONFIGS.parent / 'masked_kd' / 'masked-kd_cnn_split-digits.py'
CASES = {**{name: CONTINUAL_CONFIGS / name for name in SHORT}, PACKNET.name: PACKNET,
         MASKED_KD.name: MASKED_KD}


@pytest.mark.parametrize('name', sorted(CASES))
def test_dist_train_two_cpu_processes(tmp_path, name):
    short = SHORT.get(name, 'train_cfg = dict(epochs_per_task=1)')
    config = write_config(tmp_path / 'cfg.py', CASES[name], short + """
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(vis_backends=vis_backends)
""")
    work_dir = tmp_path / 'work'
    result = run_tool('bash', 'tools/dist_train.sh', str(config), '2', '--work-dir', str(work_dir),
                      env=dict(PORT=str(free_port())))
    log = result.stdout + result.stderr
    assert "using the 'gloo' backend" in log
    assert 'world_size: 2' in log or 'Distributed launcher: pytorch' in log
    checkpoint_path = (work_dir / 'last_checkpoint').read_text().strip()
    assert Path(checkpoint_path).parent == work_dir  # at the top of the work dir
    checkpoint = load_checkpoint(checkpoint_path)
    model = MODELS.build(Config.fromfile(str(config)).model)
    state = checkpoint['state_dict']
    owners = [key for key in state if key.endswith('packnet_owner')]
    assert bool(owners) == (name == PACKNET.name)  # PackNet's owners travel with the weights
    model.load_state_dict({k: v for k, v in state.items() if k not in owners}, strict=True)
    scores = json.loads((work_dir / 'task_scores.json').read_text())
    assert scores['average_accuracy'] == pytest.approx(sum(scores['task_scores']) / 5)
