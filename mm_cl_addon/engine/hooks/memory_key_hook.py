"""Runs the per-step key update of every memory layer once per training iteration."""
from __future__ import annotations

from collections.abc import Callable

from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS
from mmpretrain.utils import get_ori_model
from torch import nn


def key_updaters(model: nn.Module) -> list[Callable[[], None]]:
    """``update_keys`` of the outermost modules that have one.

    A module that has it (``MemoryHead``) forwards to its layer, so descendants
    are skipped: every layer is updated exactly once.
    """
    owners: list[str] = []
    updaters = []
    for name, module in model.named_modules():
        update = getattr(module, 'update_keys', None)
        if not callable(update) or any(name.startswith(f'{o}.') or not o for o in owners):
            continue
        owners.append(name)
        updaters.append(update)
    return updaters


@HOOKS.register_module()
class MemoryKeyUpdateHook(Hook):
    """Calls ``update_keys()`` on the memory modules of the model after each iteration.

    mmengine's ``train_step`` has already run backward and the optimizer step, so
    the update sees this step's forward, as ``MemoryLinear.update_keys`` expects.
    """

    priority = 'NORMAL'

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        for update in key_updaters(get_ori_model(runner.model)):
            update()
