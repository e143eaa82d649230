"""Creates, refreshes and updates the reference model of a ``ReferenceKDClassifier``."""
from __future__ import annotations

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS

from ...continual.task_hook import TaskHookMixin
from ...models.classifiers import KINDS, ReferenceModel

CHECKPOINT_KEY = 'reference_model'


@HOOKS.register_module()
class ReferenceModelHook(TaskHookMixin, Hook):
    """The reference's life cycle, as the masked-KD schedule defines it.

    * ``start_epoch``: the reference is copied from the student at the start of
      this (global, 0-based) epoch; None starts it only at task boundaries.
    * ``frozen``: the snapshot is refreshed every ``refresh_interval`` epochs
      after ``start_epoch`` (never, if None) and after every task.
    * ``ema``/``anneal``/``swa``: updated after every training iteration (every
      ``interval``-th step counts, as mmengine's averaged models do) and
      re-started from the student after every task.

    The reference's weights travel in checkpoints under ``reference_model``, so a
    resumed run distils from the same teacher.
    """

    priority = 'NORMAL'

    def __init__(self, kind: str = 'frozen', start_epoch: int | None = 0,
                 refresh_interval: int | None = None, momentum: float = 0.0002,
                 gamma: int = 100, interval: int = 1) -> None:
        if kind not in KINDS:
            raise ValueError(f'ReferenceModelHook: kind={kind!r} is not one of {KINDS}')
        if refresh_interval is not None and refresh_interval < 1:
            raise ValueError(f'ReferenceModelHook: refresh_interval={refresh_interval!r} must '
                             f'be >= 1 or None')
        self.kind = kind
        self.start_epoch = start_epoch
        self.refresh_interval = refresh_interval
        self.options = dict(momentum=momentum, gamma=gamma, interval=interval)

    @staticmethod
    def _model(runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if not hasattr(model, 'reference_source'):
            raise TypeError(f'ReferenceModelHook needs a ReferenceKDClassifier, got '
                            f'{type(model).__name__}')
        return model

    def _start(self, runner) -> None:
        model = self._model(runner)
        model.reference = ReferenceModel(model.reference_source(), self.kind, **self.options)
        runner.logger.info(f'Reference model ({self.kind}) copied from the student at epoch '
                           f'{runner.epoch}')

    def before_train_epoch(self, runner) -> None:
        model = self._model(runner)
        if model.reference is None:
            if self.start_epoch is not None and runner.epoch >= self.start_epoch:
                self._start(runner)
            return
        since = runner.epoch - (self.start_epoch or 0)
        if (self.kind == 'frozen' and self.refresh_interval is not None and since > 0
                and since % self.refresh_interval == 0):
            model.reference.refresh(model.reference_source())

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        model = self._model(runner)
        if model.reference is not None:
            model.reference.update(model.reference_source())

    def after_task(self, runner, task_id: int) -> None:
        model = self._model(runner)
        if model.reference is None or self.kind != 'frozen':
            self._start(runner)  # averaging kinds restart from the student of this task
        else:
            model.reference.refresh(model.reference_source())

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        reference = self._model(runner).reference
        if reference is not None:
            checkpoint[CHECKPOINT_KEY] = reference.state_dict()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if CHECKPOINT_KEY in checkpoint and getattr(runner, '_resume', False):
            self._start(runner)
            self._model(runner).reference.load_state_dict(checkpoint[CHECKPOINT_KEY])
