"""hparam_selection: the grid, merging a point, reading scores, the choice and resuming."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mm_cl_addon.engine import hparam_selection as hs
from mm_cl_addon.engine.config_checks import ConfigError
from mm_cl_addon.engine.run_batch import TrainRun, apply_options

SGD = dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0)
ADAM = dict(_delete_=True, type='Adam', lr=1e-3)
SELECTION = dict(grid={'optim_wrapper.optimizer.lr': [0.01, 0.1, 1.0]},
                 score='scores.json:val.acc', seeds=[1, 2])


# ------------------------------------------------------------------------- the grid
def test_points_are_the_product_in_key_order_the_last_key_fastest():
    points = hs.grid_points({'b': [1, 2], 'a': ['x', 'y', 'z']})
    assert points == [(('b', b), ('a', a)) for b in (1, 2) for a in 'xyz']


def test_mmengine_drops_momentum_when_adam_replaces_sgd():
    """mmengine 0.10.7: a dict with ``_delete_=True`` replaces the old one whole (Adam refuses
    SGD's momentum)."""
    cfg = Config(dict(optim_wrapper=dict(optimizer=dict(SGD))))
    cfg.merge_from_dict({'optim_wrapper.optimizer': dict(ADAM)})
    optimizer = cfg.optim_wrapper.optimizer.to_dict()
    assert optimizer == dict(type='Adam', lr=1e-3)
    torch.optim.Adam([torch.zeros(1, requires_grad=True)],
                     **{key: value for key, value in optimizer.items() if key != 'type'})


def test_a_point_merges_key_by_key_so_a_deeper_key_refines_a_replaced_dict():
    grid = {'optim_wrapper.optimizer': [ADAM], 'optim_wrapper.optimizer.lr': [0.5]}
    (point,) = hs.grid_points(grid)
    for _ in range(2):  # the grid's own values are not consumed by the merge
        cfg = Config(dict(optim_wrapper=dict(optimizer=dict(SGD))))
        apply_options(cfg, point)
        assert cfg.optim_wrapper.optimizer.to_dict() == dict(type='Adam', lr=0.5)
    assert grid['optim_wrapper.optimizer'][0] == ADAM


# --------------------------------------------------------------- the selection dict
@pytest.mark.parametrize('change, message', [
    (dict(grid={'optim_wrapper.optimizer.lr': 0.1}), r"selection.grid\['optim_wrapper.optimizer"
                                                     r".lr'\] must be a non-empty list"),
    (dict(grid={'optim_wrapper.optimizer.lr': []}), 'must be a non-empty list'),
    (dict(grid={}), 'selection.grid must be a non-empty dict'),
    (dict(score='scores.json'), "must be 'FILE:dotted.key'"),
    (dict(score=':val.acc'), 'needs a file'),
    (dict(score='scores.json:splits.test.final'), 'reads the test split'),
    (dict(seeds=[]), 'selection.seeds must be a non-empty list of integers'),
    (dict(higher_is_better='yes'), 'higher_is_better'),
    (dict(metric='acc'), r"unknown key\(s\) \['metric'\]"),
])
def test_a_bad_selection_names_the_config_and_the_key(change, message):
    with pytest.raises(ConfigError, match=message) as error:
        hs.parse_selection(dict(SELECTION, **change), 'configs/x.py')
    assert str(error.value).startswith('configs/x.py: ')


def test_a_config_without_selection_and_the_seeds_override():
    with pytest.raises(ConfigError, match='x.py: no top-level selection dict'):
        hs.parse_selection(None, 'x.py')
    assert hs.parse_selection(SELECTION, 'x.py', seeds=[7]).seeds == (7,)
    with pytest.raises(ConfigError, match='--seeds must be'):
        hs.parse_selection(SELECTION, 'x.py', seeds=[])


def test_grid_keys_the_config_lacks_are_refused_before_training():
    cfg = Config(dict(optim_wrapper=dict(optimizer=dict(SGD)), custom_hooks=[dict(type='A')]))
    points = hs.grid_points({'optim_wrapper.optimizer': [ADAM, dict(SGD)],
                             'optim_wrapper.optimizer.lr': [0.1], 'custom_hooks.0.type': ['B']})
    hs.check_points(cfg, points, (), 'x.py')  # a whole-dict replacement, then deeper keys
    for key, missing in [('optim_wrapper.optimizer.lrr', 'optim_wrapper.optimizer.lrr'),
                         ('optim_wraper.optimizer.lr', 'optim_wraper'),
                         ('custom_hooks.1.type', 'custom_hooks.1')]:
        with pytest.raises(ConfigError, match=f"x.py: selection.grid key '{key}': the config "
                                              f"has no '{missing}'"):
            hs.check_points(cfg, hs.grid_points({key: [1]}), (), 'x.py')
    with pytest.raises(ConfigError, match='optim_wrapper.optimizer.momentum: the grid of x.py '
                                          'sets optim_wrapper.optimizer'):
        hs.check_points(cfg, points, (('optim_wrapper.optimizer.momentum', 0.0),), 'x.py')
    with pytest.raises(ConfigError, match="grid point 0 .*'SDG' is not a registered"):
        hs.check_points(cfg, hs.grid_points({'optim_wrapper.optimizer.type': ['SDG']}), (),
                        'x.py')


# ------------------------------------------------------------------------ the scores
def test_scores_are_read_through_dicts_and_list_indices(tmp_path):
    (tmp_path / 'm.json').write_text(json.dumps(
        {'splits': {'val': {'current': [0.5, 1.0], 'current_accuracy': 0.75, 'name': 'v'}}}))

    def read(key: str) -> float:
        return hs.read_score(tmp_path, hs.parse_score(f'm.json:{key}', 'x.py'))

    assert read('splits.val.current_accuracy') == 0.75
    assert (read('splits.val.current.1'), read('splits.val.current.-2')) == (1.0, 0.5)
    with pytest.raises(KeyError, match=f"run {tmp_path}: score file m.json has no "
                                       r"'splits.train' \(reading 'splits.train.acc'"):
        read('splits.train.acc')
    with pytest.raises(KeyError, match=r"no 'splits.val.current.2' .*a list of 2"):
        read('splits.val.current.2')
    with pytest.raises(ValueError, match="has 'v' at 'splits.val.name', not a finite number"):
        read('splits.val.name')
    with pytest.raises(FileNotFoundError, match=f"run {tmp_path}: no score file n.json to read "
                                                "'a.b'"):
        hs.read_score(tmp_path, hs.Score('n.json', 'a.b'))


def test_ties_go_to_the_earlier_point_and_diverged_points_are_skipped():
    assert hs.choose([0.5, 0.7, 0.7]) == 1
    assert hs.choose([0.5, 0.5]) == 0
    assert hs.choose([0.2, 0.1, 0.1], higher_is_better=False) == 1
    assert hs.choose([None, 0.1, 0.3]) == 2
    with pytest.raises(ValueError, match='every grid point diverged'):
        hs.choose([None, None])


# ------------------------------------------------------------------ select and resume
def _config(tmp_path: Path, **selection) -> Path:
    path = tmp_path / 'config.py'
    body = dict(optim_wrapper=dict(optimizer=dict(SGD)), train_cfg=dict(max_epochs=1),
                selection=dict(SELECTION, **selection))
    path.write_text('\n'.join(f'{key} = {value!r}' for key, value in body.items()))
    return path


@pytest.fixture
def trained(monkeypatch):
    """Replace training by writing ``scores.json`` (val.acc = lr * seed; lr=1 diverges)."""
    calls = []

    def train(run: TrainRun) -> None:
        calls.append(run)
        lr = dict(run.options)['optim_wrapper.optimizer.lr']
        if lr == 1.0:
            raise FloatingPointError('loss is nan')
        run.work_dir.mkdir(parents=True, exist_ok=True)
        (run.work_dir / 'scores.json').write_text(json.dumps({'val': {'acc': lr * run.seed}}))

    monkeypatch.setattr(hs, 'train_run', train)
    return calls


def test_select_scores_chooses_writes_and_resumes(tmp_path, trained):
    config, work_dir = _config(tmp_path), tmp_path / 'work'
    lines = []
    result = hs.select(config, work_dir, report=lines.append)
    assert len(trained) == 6 and lines[0] == 'training 6 of 6 runs with 1 job(s)'
    assert lines[1] == '[1/6] point00/seed1: val.acc = 0.0100'
    assert [entry['scores'] for entry in result['points']] == [[0.01, 0.02], [0.1, 0.2],
                                                               [None, None]]
    assert result['points'][1]['mean'] == pytest.approx(0.15)
    assert result['points'][1]['std'] == pytest.approx(0.05)
    assert result['points'][2]['diverged'] == [1, 2]
    assert result['chosen'] == dict(index=1, work_dir='point01',
                                    options={'optim_wrapper.optimizer.lr': 0.1},
                                    mean=result['points'][1]['mean'],
                                    std=result['points'][1]['std'])
    written = json.loads((work_dir / hs.SELECTION_FILE).read_text())
    assert written['chosen'] == result['chosen'] and written['seeds'] == [1, 2]
    assert (written['config'], written['score']) == (str(config), 'scores.json:val.acc')
    table = hs.format_selection_markdown(written)
    assert '| 1 | 0.1 | 0.1500 ± 0.0500 | **yes** |' in table
    assert '| 2 | 1.0 | diverged (seed 1, 2) |  |' in table

    trained.clear()
    assert hs.select(config, work_dir, report=lines.append)['chosen'] == result['chosen']
    assert trained == [] and lines[-1] == 'training 0 of 6 runs with 1 job(s)'
    # a score file without the end-of-run record is a killed run's: it trains again
    (work_dir / 'point00' / 'seed2' / hs.RUN_FILE).unlink()
    hs.select(config, work_dir, report=lines.append)
    assert [run.work_dir.name for run in trained] == ['seed2']
    trained.clear()
    hs.select(config, work_dir, force=True, report=lines.append)
    assert len(trained) == 6


def test_a_changed_grid_does_not_read_old_runs(tmp_path, trained):
    hs.select(_config(tmp_path), tmp_path / 'work', report=print)
    with pytest.raises(ValueError, match='point00/seed1 was trained with seed 1 and options .*'
                                         '0.01.* not seed 1 .*0.02.*--force'):
        hs.select(_config(tmp_path, grid={'optim_wrapper.optimizer.lr': [0.02]}),
                  tmp_path / 'work', report=print)


def test_a_missing_score_after_training_names_run_file_and_key(tmp_path, monkeypatch):
    monkeypatch.setattr(hs, 'train_run', lambda run: run.work_dir.mkdir(parents=True))
    with pytest.raises(FileNotFoundError, match=r"work/point00/seed1: no score file scores.json "
                                                "to read 'val.acc'"):
        hs.select(_config(tmp_path), tmp_path / 'work', report=print)


def test_the_config_comment_says_what_was_tried_and_on_what(tmp_path, trained):
    comment = hs.selection_comment(hs.select(_config(tmp_path), tmp_path / 'w', report=print))
    assert all(line.startswith('# ') and len(line) <= 100 for line in comment.splitlines())
    assert ' '.join(comment.replace('# ', '').split()) == (
        'Chosen on validation data (scores.json:val.acc, mean over seeds [1, 2]: 0.1500 ± '
        '0.0500) from the grid optim_wrapper.optimizer.lr in [0.01, 0.1, 1.0]: '
        'optim_wrapper.optimizer.lr=0.1.')
