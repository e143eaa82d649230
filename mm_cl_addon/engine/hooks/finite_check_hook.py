"""Stop training at the first non-finite loss or weight, before it reaches a checkpoint."""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path

import torch
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS

#: How many offending tensors an error lists by name.
LISTED = 5


class NonFiniteTrainingError(FloatingPointError):
    """Training produced NaN or Inf; it was stopped before anything non-finite was saved."""


def _non_finite_losses(outputs: Mapping | None) -> dict[str, float]:
    """The loss terms of a ``train_step`` output that are NaN or Inf."""
    bad = {}
    for name, value in (outputs or {}).items():
        if 'loss' not in name:
            continue
        number = float(value.detach().float().mean()) if torch.is_tensor(value) else value
        if isinstance(number, float) and not math.isfinite(number):
            bad[name] = number
    return bad


def non_finite_tensors(tensors: Iterable[tuple[str, torch.Tensor]]) -> list[str]:
    """Names of the floating-point tensors that hold a NaN or an Inf."""
    return [name for name, tensor in tensors
            if torch.is_tensor(tensor) and tensor.is_floating_point()
            and not bool(torch.isfinite(tensor).all())]


def where_in_training(runner) -> str:
    """The loop's own description of its position, or epoch and iteration."""
    loop = runner.train_loop
    describe = getattr(loop, 'describe_position', None)
    if describe is not None:
        return describe()
    return f'epoch {runner.epoch + 1}, iteration {runner.iter + 1}'


@HOOKS.register_module()
class FiniteCheckHook(Hook):
    """Refuse to go on (or to save) once the loss or a weight is NaN or Inf.

    A learning rate that is far too large, a NaN loss weight, a zero ``std`` in the data
    preprocessor or NaN inputs all lead there, and training would otherwise finish "successfully"
    with every weight non-finite. The loss terms are checked after every iteration (they are
    already computed), the weights after every epoch and before every checkpoint is written, so
    the last checkpoint on disk, and ``last_checkpoint``, stay the last good ones.
    ``tools/train.py`` adds this hook to every run that does not list it.

    Examples:
        >>> custom_hooks = [dict(type='FiniteCheckHook')]
    """

    priority = 'ABOVE_NORMAL'  # before CheckpointHook's after_train_epoch

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        bad = _non_finite_losses(outputs)
        if bad:
            terms = ', '.join(f'{name}={value}' for name, value in bad.items())
            self._stop(runner, f'non-finite loss ({terms})')

    def after_train_epoch(self, runner) -> None:
        self._check_weights(runner, runner.model.named_parameters(), 'weights')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get('state_dict', {})
        self._check_weights(runner, state.items(), 'checkpoint not written: state_dict')

    def _check_weights(self, runner, tensors: Iterable[tuple[str, torch.Tensor]],
                       what: str) -> None:
        bad = non_finite_tensors(tensors)
        if bad:
            listed = ', '.join(bad[:LISTED]) + (f' and {len(bad) - LISTED} more'
                                                if len(bad) > LISTED else '')
            self._stop(runner, f'{what} hold NaN or Inf ({listed})')

    @staticmethod
    def _stop(runner, fault: str) -> None:
        pointer = Path(runner.work_dir) / 'last_checkpoint'
        last = pointer.read_text().strip() if pointer.is_file() else ''
        kept = (f'the last good checkpoint is {last} ({pointer} names it)' if last
                else 'no checkpoint was written')
        raise NonFiniteTrainingError(
            f'Training stopped at {where_in_training(runner)}: {fault}; {kept}. Check the '
            'learning rate, the loss weights, the data preprocessor (mean/std) and the inputs.')
