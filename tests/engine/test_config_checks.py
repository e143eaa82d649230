"""Config mistakes that mmengine would train through are refused, naming the key."""
from __future__ import annotations

import pytest

from mm_cl_addon.engine import ConfigError, build_runner, check_config
from mm_cl_addon.engine.cli import apply_overrides
from mm_cl_addon.engine.config_checks import parse_override_values


def test_override_of_a_file_variable_names_the_keys_that_use_it(digits_cfg):
    digits_cfg.epochs_per_task = 20  # as a config file's variable looks after parsing
    digits_cfg.train_cfg.epochs_per_task = 20
    with pytest.raises(ConfigError, match=r"--cfg-options epochs_per_task: 'epochs_per_task' is a "
                                          'variable of the config file.*change nothing; override '
                                          'the keys that use it instead: '
                                          r'train_cfg\.epochs_per_task'):
        apply_overrides(digits_cfg, {'epochs_per_task': 1})
    assert digits_cfg.train_cfg.epochs_per_task == 20


def test_override_of_an_unknown_top_level_key_suggests_the_near_one(digits_cfg):
    with pytest.raises(ConfigError, match=r"'trian_cfg' is not a key the Runner reads; did you "
                                          "mean 'train_cfg'"):
        apply_overrides(digits_cfg, {'trian_cfg.epochs_per_task': 1})
    apply_overrides(digits_cfg, {'train_cfg.epochs_per_task': 3})
    assert digits_cfg.train_cfg.epochs_per_task == 3


@pytest.mark.parametrize('optimizer, message', [
    (dict(type='SDG', lr=0.1), r"optim_wrapper\.optimizer\.type='SDG' is not a registered "
                               "optimizer; did you mean 'SGD'"),
    (dict(type='SGD'), r"optim_wrapper\.optimizer: no 'lr'"),
    (dict(type='SGD', lr='abc'), r"optim_wrapper\.optimizer\.lr='abc' must be a number"),
    (dict(type='SGD', lr=-1.0), r'optim_wrapper\.optimizer\.lr=-1\.0 must be a number >= 0'),
    (dict(type='SGD', lr=float('nan')), r'optim_wrapper\.optimizer\.lr=nan must be a number'),
    (dict(lr=0.1), r"optim_wrapper\.optimizer: no 'type'"),
])
def test_optimizer_mistakes_are_named(digits_cfg, optimizer, message):
    digits_cfg.optim_wrapper.optimizer = optimizer
    with pytest.raises(ConfigError, match=message):
        check_config(digits_cfg)


def test_unknown_optimizer_wrapper_is_named(digits_cfg):
    digits_cfg.optim_wrapper.type = 'AGEMOptimWraper'
    with pytest.raises(ConfigError, match="optim_wrapper.type='AGEMOptimWraper' is not a "
                                          'registered optimizer wrapper'):
        check_config(digits_cfg)


def test_misspelled_default_hook_name_is_refused(digits_cfg):
    digits_cfg.default_hooks.chekpoint = dict(type='CheckpointHook', interval=1)
    with pytest.raises(ConfigError, match=r'default_hooks\.chekpoint: not a default hook name; '
                                          r'did you mean default_hooks\.checkpoint'):
        build_runner(digits_cfg)


def test_valid_config_passes(digits_cfg):
    digits_cfg.default_hooks.my_extra_hook = dict(type='EMAHook')  # a new, clearly other name
    check_config(digits_cfg)


def test_raw_override_values_are_parsed_as_mmengine_does():
    raw = {'a': '1', 'b': '0.5', 'c': 'True', 'd': '[1, 2]', 'e': 'abc', 'f': 'None'}
    assert parse_override_values(raw) == {'a': 1, 'b': 0.5, 'c': True, 'd': [1, 2], 'e': 'abc',
                                          'f': None}
    assert parse_override_values(None) is None
