"""Runner-side parts: hooks, optimizer wrappers, and the tools' config handling."""
from . import hooks, optim, visualization
from .cli import (
    apply_dataloader_defaults,
    apply_overrides,
    build_runner,
    merge_test_args,
    merge_train_args,
    test_from_args,
    train_from_args,
)
from .config_checks import ConfigError, check_config, misspelled_runner_keys

__all__ = ['hooks', 'optim', 'visualization', 'ConfigError', 'apply_dataloader_defaults',
           'apply_overrides', 'build_runner', 'check_config', 'merge_test_args',
           'merge_train_args', 'misspelled_runner_keys', 'test_from_args', 'train_from_args']
