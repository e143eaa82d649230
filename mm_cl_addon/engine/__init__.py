"""Runner-side helpers: what tools/train.py and tools/test.py do to a config."""
from .cli import (
    add_common_arguments,
    apply_dataloader_defaults,
    build_runner,
    merge_test_args,
    merge_train_args,
    misspelled_runner_keys,
    parse_tool_args,
)

__all__ = ['add_common_arguments', 'apply_dataloader_defaults', 'build_runner',
           'merge_test_args', 'merge_train_args', 'misspelled_runner_keys', 'parse_tool_args']
