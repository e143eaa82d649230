"""Running a module in a mode for a moment, then giving it back the mode it was in."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from torch import nn


@contextmanager
def eval_mode(module: nn.Module) -> Iterator[nn.Module]:
    """``module`` in eval mode for the block, then back in the mode it was in (even on error):
    for evaluations and side computations inside training."""
    was_training = module.training
    module.eval()
    try:
        yield module
    finally:
        module.train(was_training)
