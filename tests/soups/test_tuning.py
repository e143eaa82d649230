"""Hyper-parameter search: trial configs, in-process training, resuming and pruning."""
from __future__ import annotations

import json
from pathlib import Path

import optuna
import pytest
from mmengine.config import Config

from mm_cl_addon.soups import tuning
from mm_cl_addon.soups.tuning import SearchSpace, apply_trial, run_study

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / 'configs' / 'soups' / 'finetune_cnn_digits.py'
TINY = SearchSpace(epochs=(1, 2), batch_sizes=(64,))
PARAMS = {'lr': 0.05, 'weight_decay': 1e-4, 'epochs': 3, 'batch_size': 16, 'seed': 7}

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _small_cfg() -> Config:
    """The digits fine-tuning config from scratch, with few channels so that trials are quick."""
    cfg = Config.fromfile(str(CONFIG))
    cfg.load_from = None
    cfg.model.backbone.widths = [8, 16]
    cfg.model.head.in_channels = 16
    return cfg


def _final_val_accuracy(trial_dir: str) -> float:
    """The last ``accuracy/top1`` that the LoggerHook wrote for the trial (its final epoch)."""
    (scalars,) = Path(trial_dir).glob('*/vis_data/scalars.json')
    records = [json.loads(line) for line in scalars.read_text().splitlines()]
    return [record for record in records if 'accuracy/top1' in record][-1]['accuracy/top1']


def test_apply_trial_sets_every_value_on_a_copy():
    cfg = _small_cfg()
    trial_cfg = apply_trial(cfg, PARAMS, 'work/trial_0003')
    assert trial_cfg.optim_wrapper.optimizer.lr == 0.05
    assert trial_cfg.optim_wrapper.optimizer.weight_decay == 1e-4
    assert trial_cfg.train_cfg.max_epochs == 3 and trial_cfg.train_cfg.val_interval == 1
    assert trial_cfg.param_scheduler[0].T_max == 3
    assert trial_cfg.train_dataloader.batch_size == 16
    assert trial_cfg.randomness.seed == 7
    assert trial_cfg.work_dir == 'work/trial_0003'
    assert trial_cfg.experiment_name.startswith('trial_0003_')
    assert apply_trial(cfg, PARAMS, 'work/trial_0003').experiment_name != \
        trial_cfg.experiment_name
    assert cfg.train_cfg.max_epochs == 4 and cfg.param_scheduler[0].T_max == 4


def test_apply_trial_keeps_a_warmup_and_names_missing_params():
    cfg = _small_cfg()
    cfg.param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=True, end=1),
                           dict(type='CosineAnnealingLR', T_max=3, by_epoch=True, begin=1,
                                end=4)]
    warmup, cosine = apply_trial(cfg, PARAMS, 'w').param_scheduler
    assert warmup.end == 1 and (cosine.T_max, cosine.end) == (2, 3)
    with pytest.raises(KeyError, match="'seed'"):
        apply_trial(cfg, {key: PARAMS[key] for key in PARAMS if key != 'seed'}, 'w')
    with pytest.raises(ValueError, match='SearchSpace.lr'):
        SearchSpace(lr=(0.0, 1.0))


@pytest.fixture(scope='module')
def study_dir(tmp_path_factory) -> Path:
    work_dir = tmp_path_factory.mktemp('tuning')
    run_study(_small_cfg(), 2, work_dir=str(work_dir), space=TINY)
    return work_dir


def test_study_writes_storage_best_json_and_final_epoch_values(study_dir):
    assert (study_dir / 'soup_tuning.db').is_file()
    study = optuna.load_study(study_name='soup_tuning',
                              storage=f'sqlite:///{study_dir}/soup_tuning.db')
    for trial in study.trials:
        assert trial.state == optuna.trial.TrialState.COMPLETE
        epochs = trial.params['epochs']
        assert sorted(trial.intermediate_values) == list(range(1, epochs + 1))
        assert trial.value == trial.intermediate_values[epochs]
        assert trial.value == pytest.approx(_final_val_accuracy(trial.user_attrs['work_dir']))
        assert trial.user_attrs['checkpoint'].endswith(f'epoch_{epochs}.pth')
        assert Path(trial.user_attrs['checkpoint']).is_file()
    best = json.loads((study_dir / 'soup_tuning_best.json').read_text())
    assert best['value'] == study.best_value and best['params'] == study.best_params
    assert best['trial_number'] == study.best_trial.number
    assert best['checkpoint'] == study.best_trial.user_attrs['checkpoint']


def test_rerun_resumes_and_runs_only_the_missing_trial(study_dir, monkeypatch):
    builds, build_runner = [], tuning.build_runner

    def counting_build_runner(cfg):
        builds.append(cfg.work_dir)
        return build_runner(cfg)

    monkeypatch.setattr(tuning, 'build_runner', counting_build_runner)
    study = run_study(_small_cfg(), 3, work_dir=str(study_dir), space=TINY)
    finished = study.get_trials(states=tuning.FINISHED)
    assert len(study.trials) == len(finished) == 3
    assert builds == [str(study_dir / 'soup_tuning' / 'trial_0002')]
    assert len({tuple(sorted(trial.params.items())) for trial in finished}) == 3


class _PruneAfterFirstEpoch(optuna.pruners.BasePruner):
    """Prunes every trial as soon as it has reported epoch 1."""

    def prune(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> bool:
        return trial.last_step is not None and trial.last_step >= 1


def test_pruner_stops_a_trial_after_its_first_val_epoch(tmp_path):
    space = SearchSpace(epochs=(2, 2), batch_sizes=(64,))
    study = run_study(_small_cfg(), 1, work_dir=str(tmp_path), space=space,
                      pruner=_PruneAfterFirstEpoch())
    (trial,) = study.trials
    assert trial.state == optuna.trial.TrialState.PRUNED
    assert list(trial.intermediate_values) == [1]
    assert trial.intermediate_values[1] == pytest.approx(
        _final_val_accuracy(trial.user_attrs['work_dir']))
    assert not (tmp_path / 'soup_tuning_best.json').exists()


def test_the_last_checkpoint_pointer_is_read_and_a_bad_one_is_named(tmp_path):
    assert tuning._last_checkpoint(str(tmp_path)) is None
    pointer = tmp_path / 'last_checkpoint'
    pointer.write_text(f'{tmp_path}/epoch_2.pth\n')
    assert tuning._last_checkpoint(str(tmp_path)) == f'{tmp_path}/epoch_2.pth'
    pointer.write_text('')
    with pytest.raises(ValueError, match=r'last_checkpoint pointer .*last_checkpoint: is empty'):
        tuning._last_checkpoint(str(tmp_path))
    pointer.write_bytes(b'\x80\x04\x95 a pickle')
    with pytest.raises(ValueError, match='last_checkpoint: is not UTF-8 text'):
        tuning._last_checkpoint(str(tmp_path))
