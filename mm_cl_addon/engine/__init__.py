"""Runner-side helpers: command-line merging for tools/train.py and tools/test.py."""
from .cli import (
                  apply_dataloader_defaults,
                  merge_test_args,
                  merge_train_args,
                  misspelled_runner_keys,
)

__all__ = ['apply_dataloader_defaults', 'merge_test_args', 'merge_train_args',
           'misspelled_runner_keys']
