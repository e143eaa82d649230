"""OnlineStreamEvalHook: the train/val/test continual confusion matrices of a 2D run."""
from __future__ import annotations

import json
import sys
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger

from mm_cl_addon.datasets.points2d import make_stream, save_stream
from mm_cl_addon.engine.hooks import OnlineStreamEvalHook
from mm_cl_addon.engine.hooks.online_eval_hook import CHECKPOINT_KEY

from ...e2e.helpers import REPO, run_tool

CONFIG = REPO / 'configs' / 'memory_head' / '2d' / 'mh_modes-cdi.py'


@pytest.mark.e2e
def test_tiny_2d_run_writes_every_split(tmp_path):
    """mh on MODES-CDI cut to 3 samples per distribution, data read through POINTS2D_ROOT."""
    data_root = tmp_path / 'data'
    save_stream(data_root / 'modes_cdi.npz', 'modes', 'cdi', 0, make_stream('modes', 'cdi'))
    work_dir = tmp_path / 'work'
    run_tool(sys.executable, 'tools/train.py', str(CONFIG), '--work-dir', str(work_dir),
             '--cfg-options', 'train_cfg.epochs_per_task=None', 'train_cfg.iters_per_task=3',
             'custom_hooks.0.grid_step=0.1', env={'POINTS2D_ROOT': str(data_root)})
    report = json.loads((work_dir / 'online_stream_metrics.json').read_text())
    assert report['last_distribution'] == 7
    sizes = {name: split['num_distributions'] for name, split in report['splits'].items()}
    assert sizes == {'train': 8, 'val': 4, 'test': 8}  # validation keeps the first half
    for name, split in report['splits'].items():
        size = sizes[name]
        assert len(split['ccm']) == size and all(len(row) == size for row in split['ccm'])
        assert all(value is not None and 0 <= value <= 1 for row in split['ccm'] for value in row)
        assert len(split['untrained']) == size
        assert split['final']['at_distribution'] == size - 1
        assert len(split['history']['avg_accuracy']) == size
        assert split['core']['num_tasks'] == size
        assert len(split['current']) == size  # the final model, also on the cut val stream
        assert split['current_accuracy'] == pytest.approx(sum(split['current']) / size)
    pictures = sorted(p.name for p in (work_dir / 'decision_regions').iterdir())
    assert pictures == [f'after_distribution_{z}.png' for z in range(8)]


@pytest.mark.parametrize('kwargs, error, message', [
    (dict(splits=('train', 'dev')), ValueError, 'subset'),
    (dict(splits=('test',), datasets=dict(train={})), KeyError, 'not in splits'),
    (dict(batch_size=0), ValueError, 'batch_size'),
    (dict(out_file='a/b.json'), ValueError, 'file name'),
])
def test_arguments_are_checked(kwargs, error, message):
    with pytest.raises(error, match=message):
        OnlineStreamEvalHook(**kwargs)


def _runner(tmp_path, **extra) -> SimpleNamespace:
    """What the hook reads of a runner, over MOONS-CDI (distribution z is class z % 4)."""
    save_stream(tmp_path / 'moons_cdi.npz', 'moons', 'cdi', 0, make_stream('moons', 'cdi'))
    split = dict(type='TaskSplitDataset', tasks=1, scenario='class-domain',
                 dataset=dict(type='Points2DDataset', data_root=str(tmp_path),
                              data_file='moons_cdi.npz', split='train',
                              pipeline=[dict(type='PackInputs')]))
    return SimpleNamespace(cfg=Config(dict(train_dataloader=dict(dataset=split))),
                           logger=MMLogger.get_instance('online_eval_test'), **extra)


class ConstantModel(torch.nn.Module):
    """Predicts ``label`` for every point: accuracy 1 on the distributions of that class."""

    def __init__(self) -> None:
        super().__init__()
        self.label = 0

    def val_step(self, data_batch: dict) -> list:
        for sample in data_batch['data_samples']:
            sample.set_pred_label(self.label)
        return data_batch['data_samples']


def test_current_is_the_model_at_each_boundary_on_every_distribution(tmp_path):
    runner = _runner(tmp_path, model=ConstantModel(), work_dir=str(tmp_path), seed=0,
                     world_size=1)
    hook = OnlineStreamEvalHook(splits=('train', 'val'))
    hook.before_train(runner)
    evaluate, calls = hook._evaluate, []
    hook._evaluate = lambda *args: calls.append(args) or evaluate(*args)
    labels = [1, 2, 3, 0, 1, 2, 3, 1]  # never 0 after the val matrix's last row (label 0)
    for task_id, label in enumerate(labels):
        runner.model.label = label
        hook.after_task(runner, task_id)
        assert len(calls) == 2 * (task_id + 1)  # one evaluation per split and boundary
        splits = json.loads((tmp_path / hook.out_file).read_text())['splits']
        train, val = splits['train'], splits['val']
        assert train['current'] == train['ccm'][task_id]
        assert train['current'] == [float(i % 4 == label) for i in range(8)]
        assert val['current'] == [float(i == label) for i in range(4)]
        assert val['current_accuracy'] == 0.25
        if task_id >= 4:  # past the val rows: its own evaluation, not the last row
            assert val['ccm'][3] == [1.0, 0.0, 0.0, 0.0]
            assert val['current'] == evaluate(runner, hook.streams['val']).tolist()
    checkpoint = {}
    hook.before_save_checkpoint(runner, checkpoint)
    assert checkpoint[CHECKPOINT_KEY]['val']['current'] == [0.0, 1.0, 0.0, 0.0]


def test_rows_travel_in_checkpoints_and_come_back_on_resume(tmp_path):
    runner = _runner(tmp_path, _resume=True)
    rows = [[0.5] * 8, [0.25] * 8] + [[None] * 8] * 6
    state = {'train': dict(ccm=rows, untrained=[0.0] * 8, current=[0.25] * 8),
             'val': dict(ccm=[[1.0] * 4] + [[None] * 4] * 3, untrained=[0.0] * 4,
                         current=[0.5] * 4)}
    hook = OnlineStreamEvalHook(splits=('train', 'val'))
    hook.after_load_checkpoint(runner, {CHECKPOINT_KEY: state})
    hook.before_train(runner)  # restores instead of evaluating: no model is needed
    assert hook.streams['val'].split.num_tasks == 4  # derived from train with split='val'
    checkpoint = {}
    hook.before_save_checkpoint(runner, checkpoint)
    assert checkpoint[CHECKPOINT_KEY] == state
    summary = hook.summary(1)['splits']
    assert summary['train']['final']['avg_accuracy'] == 0.25
    assert (summary['val']['current'], summary['val']['current_accuracy']) == ([0.5] * 4, 0.5)
