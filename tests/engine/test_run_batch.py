"""run_batch: the config of one in-process run, and many runs in order."""
from __future__ import annotations

from pathlib import Path

import pytest

from mm_cl_addon.engine.run_batch import TrainRun, run_config, train_runs

from ..e2e.helpers import REPO

ER_CONFIG = REPO / 'configs' / 'memory_head' / '2d' / 'er_mlp_modes-cdi.py'


def test_a_run_config_takes_the_seed_options_and_economies(tmp_path):
    run = TrainRun(ER_CONFIG, tmp_path / 'seed7', 7, (
        ('optim_wrapper.optimizer', dict(_delete_=True, type='Adam', lr=1e-3)),
        ('optim_wrapper.optimizer.lr', 0.5)))
    cfg = run_config(run)
    assert (cfg.work_dir, cfg.randomness.seed, cfg.log_level) == (str(run.work_dir), 7, 'WARNING')
    assert cfg.default_hooks.checkpoint is None
    online, replay = cfg.custom_hooks[:2]
    assert online.decision_regions is False and replay.seed == 7
    assert cfg.optim_wrapper.optimizer == dict(type='Adam', lr=0.5)  # in order, momentum gone
    assert cfg.experiment_name.startswith('er_mlp_modes-cdi_7_')
    assert run_config(run).experiment_name != cfg.experiment_name  # unique per run


@pytest.mark.e2e  # two spawned workers import the stack: ~10 s on a busy machine
def test_runs_come_back_in_order_from_worker_processes():
    runs = [TrainRun(Path('c.py'), Path(f'w{index}'), index) for index in range(3)]
    assert list(train_runs(runs, jobs=2, train=str)) == runs  # a builtin pickles by name
    with pytest.raises(ValueError, match='jobs=0'):
        list(train_runs(runs, jobs=0))
