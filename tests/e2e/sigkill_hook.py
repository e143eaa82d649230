"""A hook that kills its own process with SIGKILL, to test resuming after a crash."""
import os
import signal

from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class SigkillAt(Hook):
    """SIGKILL the process in the middle of epoch ``epoch`` (0-based), at ``batch_idx``."""

    def __init__(self, epoch: int, batch_idx: int) -> None:
        self.epoch = epoch
        self.batch_idx = batch_idx

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.epoch == self.epoch and batch_idx == self.batch_idx:
            os.kill(os.getpid(), signal.SIGKILL)
