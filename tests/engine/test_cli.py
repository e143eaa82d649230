"""tools/train.py's flags, config checks and the errors a broken config gets."""
import argparse

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from mm_cl_addon.engine import (
    ConfigError,
    apply_dataloader_defaults,
    build_runner,
    merge_train_args,
    misspelled_runner_keys,
)


def train_args(**overrides):
    args = dict(config='configs/x.py', work_dir=None, resume=None, amp=False, no_validate=False,
                auto_scale_lr=False, no_pin_memory=False, no_persistent_workers=False,
                cfg_options=None, launcher='none')
    args.update(overrides)
    return argparse.Namespace(**args)


def test_resume_flag(digits_cfg):
    cfg = merge_train_args(digits_cfg.copy(), train_args(resume='auto'))
    assert cfg.resume is True and cfg.load_from is None
    cfg = merge_train_args(digits_cfg.copy(), train_args(resume='a/epoch_3.pth'))
    assert cfg.resume is True and cfg.load_from == 'a/epoch_3.pth'


def test_work_dir_defaults_to_the_config_name(digits_cfg):
    digits_cfg.work_dir = None
    cfg = merge_train_args(digits_cfg, train_args())
    assert cfg.work_dir == './work_dirs/x'


def test_flags_change_the_config(digits_cfg):
    cfg = merge_train_args(digits_cfg, train_args(
        amp=True, no_validate=True, auto_scale_lr=True,
        cfg_options={'train_cfg.epochs_per_task': 7}))
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    assert cfg.val_cfg is None and cfg.val_dataloader is None
    assert cfg.auto_scale_lr.enable is True
    assert cfg.train_cfg.epochs_per_task == 7


def test_persistent_workers_only_with_worker_processes(digits_cfg):
    digits_cfg.train_dataloader.pop('persistent_workers')
    digits_cfg.val_dataloader.pop('persistent_workers')
    digits_cfg.val_dataloader.num_workers = 2
    apply_dataloader_defaults(digits_cfg)
    assert digits_cfg.train_dataloader.persistent_workers is False
    assert digits_cfg.val_dataloader.persistent_workers is True


def test_misspelled_top_level_key_is_refused_before_the_runner_is_built(digits_cfg):
    digits_cfg.trian_cfg = digits_cfg.pop('train_cfg')
    digits_cfg.epochs_per_task = 3  # a helper variable, not a misspelling
    assert misspelled_runner_keys(digits_cfg) == {'trian_cfg': 'train_cfg'}
    with pytest.raises(ConfigError, match="top-level key 'trian_cfg' \\(did you mean "
                                          "'train_cfg'\\?\\) is not a Runner argument"):
        build_runner(digits_cfg)


def test_unknown_type_is_named(digits_cfg):
    digits_cfg.model.backbone.type = 'SmallConvNett'
    with pytest.raises(KeyError, match='SmallConvNett is not in the mmpretrain::model registry'):
        Runner.from_cfg(digits_cfg)


def test_misspelled_component_key_is_named(digits_cfg):
    digits_cfg.model.backbone.widhts = [8]
    with pytest.raises(TypeError, match="SmallConvNet.*unexpected keyword argument 'widhts'"):
        Runner.from_cfg(digits_cfg)


def test_misspelled_loop_key_is_named(digits_cfg):
    digits_cfg.train_cfg.epoch_per_task = 2
    with pytest.raises(TypeError, match="ContinualTrainLoop.*unexpected keyword argument "
                                        "'epoch_per_task'"):
        Runner.from_cfg(digits_cfg).train()


def test_misspelled_data_set_key_is_named(digits_cfg):
    digits_cfg.train_dataloader.dataset.senario = 'task'
    with pytest.raises(TypeError, match="TaskSplitDataset.*unexpected keyword argument 'senario'"):
        Runner.from_cfg(digits_cfg).train()


def test_runner_writes_the_config_unreflowed_and_loadable(digits_cfg, tmp_path):
    digits_cfg.work_dir = str(tmp_path / ('a' * 80))  # long lines make yapf's reflow slow
    runner = build_runner(digits_cfg)
    text = runner.cfg.pretty_text
    assert f"\nwork_dir='{digits_cfg.work_dir}'" in text  # yapf writes `work_dir = '...'`
    dumped = tmp_path / 'dumped.py'
    dumped.write_text(text)
    assert Config.fromfile(str(dumped)).to_dict() == runner.cfg.to_dict()
