"""The base of regularisers that add a term to the model's training loss from a hook."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from ...continual.task_hook import TaskHook


class LossTermHook(TaskHook):
    """Adds ``loss_terms(...)`` to the loss dict of every training iteration.

    mmengine's ``train_step`` sums every ``loss*`` entry of the dict the model returns with
    ``mode='loss'``; a forward hook on the model (inside any DDP wrapper) adds this hook's
    entries to that dict. It acts only between ``before_train_iter`` and ``after_train_iter``,
    so evaluation and other hooks' passes outside the step are untouched, and it works with
    any classifier, because only the model's inputs and output dict are used.
    """

    def __init__(self) -> None:
        self._handles: list = []
        self._active = False

    def before_train(self, runner) -> None:
        self.install(self.model(runner))

    def after_train(self, runner) -> None:
        self.remove()

    def install(self, model) -> None:
        """Register this hook's torch hooks on ``model`` (subclasses add their own)."""
        self._handles.append(model.register_forward_hook(self._add_terms, with_kwargs=True))

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    @contextmanager
    def unhooked(self, model) -> Iterator[None]:
        """Without this hook's torch hooks on ``model``: a deep copy made inside has none."""
        installed = bool(self._handles)
        self.remove()
        try:
            yield
        finally:
            if installed:
                self.install(model)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        self._active = True

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self._active = False

    def _add_terms(self, model, args, kwargs, output):
        if not (self._active and kwargs.get('mode') == 'loss' and isinstance(output, dict)):
            return None
        inputs = kwargs['inputs'] if 'inputs' in kwargs else args[0]
        terms = self.loss_terms(model, inputs, kwargs.get('data_samples'))
        return {**output, **terms} if terms else None

    def loss_terms(self, model, inputs: torch.Tensor, data_samples: list | None
                   ) -> dict[str, torch.Tensor]:
        """The named terms to add (keys containing ``loss``), given the batch of the step."""
        raise NotImplementedError
