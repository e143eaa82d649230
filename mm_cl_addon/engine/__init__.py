"""Runner-side parts: hooks, and what tools/train.py and tools/test.py do to a config."""
from . import hooks
from .cli import (
    add_common_arguments,
    apply_dataloader_defaults,
    build_runner,
    merge_test_args,
    merge_train_args,
    misspelled_runner_keys,
    parse_tool_args,
)

__all__ = ['hooks', 'add_common_arguments', 'apply_dataloader_defaults', 'build_runner',
           'merge_test_args', 'merge_train_args', 'misspelled_runner_keys', 'parse_tool_args']
