"""Runner-side parts: hooks, optimizer wrappers, and the tools' config handling."""
from . import hooks, optim
from .cli import (
    add_common_arguments,
    apply_dataloader_defaults,
    apply_overrides,
    build_runner,
    merge_test_args,
    merge_train_args,
    parse_tool_args,
)
from .config_checks import ConfigError, check_config, misspelled_runner_keys

__all__ = ['hooks', 'optim', 'add_common_arguments', 'apply_dataloader_defaults', 'build_runner',
           'merge_test_args', 'merge_train_args', 'misspelled_runner_keys', 'parse_tool_args',
           'ConfigError', 'check_config', 'apply_overrides']
