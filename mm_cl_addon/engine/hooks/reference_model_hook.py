"""Creates, refreshes and updates the reference model of a ``ReferenceKDClassifier``."""
from __future__ import annotations

from mmpretrain.registry import HOOKS

from ...continual.task_hook import TaskHook
from ...models.classifiers import KINDS, ReferenceModel

CHECKPOINT_KEY = 'reference_model'


@HOOKS.register_module()
class ReferenceModelHook(TaskHook):
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
    checkpoint_key = CHECKPOINT_KEY

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
        self.reference: ReferenceModel | None = None  # the model's, once started

    def model(self, runner):
        model = super().model(runner)
        if not hasattr(model, 'reference_source'):
            raise TypeError(f'ReferenceModelHook needs a ReferenceKDClassifier, got '
                            f'{type(model).__name__}')
        return model

    def _start(self, runner) -> None:
        model = self.model(runner)
        model.reference = self.reference = ReferenceModel(model.reference_source(), self.kind,
                                                          **self.options)
        runner.logger.info(f'Reference model ({self.kind}) copied from the student at epoch '
                           f'{runner.epoch}')

    def before_train_epoch(self, runner) -> None:
        model = self.model(runner)
        if model.reference is None:
            if self.start_epoch is not None and runner.epoch >= self.start_epoch:
                self._start(runner)
            return
        since = runner.epoch - (self.start_epoch or 0)
        if (self.kind == 'frozen' and self.refresh_interval is not None and since > 0
                and since % self.refresh_interval == 0):
            model.reference.refresh(model.reference_source())

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        model = self.model(runner)
        if model.reference is not None:
            model.reference.update(model.reference_source())

    def after_task(self, runner, task_id: int) -> None:
        model = self.model(runner)
        if model.reference is None or self.kind != 'frozen':
            self._start(runner)  # averaging kinds restart from the student of this task
        else:
            model.reference.refresh(model.reference_source())

    def state_dict(self) -> dict | None:
        return None if self.reference is None else self.reference.state_dict()

    def load_state_dict(self, state: dict) -> None:
        """Into the reference that :meth:`restore` starts first."""
        self.reference.load_state_dict(state)

    def restore(self, runner, state: dict) -> None:
        self._start(runner)
        self.load_state_dict(state)
