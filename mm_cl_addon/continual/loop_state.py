"""Saving the continual loop's position with checkpoints and restoring it on resume."""
from __future__ import annotations

import random

import numpy as np
import torch

from .task_hook import TaskHook

CHECKPOINT_KEY = 'continual_loop'


def capture_rng_state() -> dict:
    """The state of ``random``, numpy and torch as weights-only-loadable values."""
    version, internal, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    return dict(
        python=[version, list(internal), gauss],
        numpy=[kind, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss),
               float(cached)],
        torch=torch.get_rng_state())


def restore_rng_state(state: dict) -> None:
    version, internal, gauss = state['python']
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached = state['numpy']
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state['torch'])


class ContinualLoopStateHook(TaskHook):
    """Carries ``ContinualTrainLoop``'s state in and out of checkpoints.

    Registered by the loop itself. mmengine calls ``after_load_checkpoint``
    both for ``load_from`` and for ``resume``, before the weights, optimizer
    and schedulers are loaded; the loop state is restored only when the
    Runner resumes, so that ``load_from`` of a continual checkpoint starts a
    fresh task sequence.
    """

    priority = 'VERY_HIGH'
    checkpoint_key = CHECKPOINT_KEY

    def __init__(self, loop) -> None:
        self.loop = loop

    def state_dict(self) -> dict:
        return self.loop.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.loop.load_state_dict(state)
