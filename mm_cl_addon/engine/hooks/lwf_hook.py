"""Learning without Forgetting (Li & Hoiem, 2017) as a task hook with a distillation term."""
from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from mmpretrain.registry import HOOKS

from ...models.losses.distillation import kd_loss
from .loss_term_hook import LossTermHook

CHECKPOINT_KEY = 'lwf'


def _feature_module(model) -> torch.nn.Module:
    """The module whose output ``extract_feat`` returns (the neck, else the backbone)."""
    return model.neck if getattr(model, 'with_neck', False) else model.backbone


@HOOKS.register_module()
class LwFHook(LossTermHook):
    """Adds ``loss_lwf = alpha * KL(softmax(old / T) || softmax(new / T))`` on old classes.

    After each task the model is copied and frozen. While the next tasks train, every batch
    also goes through that copy, and the current logits are pulled towards its logits on the
    classes of the finished tasks only (the other outputs were never trained by the copy).
    With one head per task (``MultiTaskClsHead``) each previous task's head is distilled on
    its own and the terms are summed. ``alpha`` may be one number or one per task (the value
    for the task being trained). The current logits come from the features of the step's own
    forward pass (no second pass of the backbone). The copy travels in checkpoints.

    Examples:
        >>> custom_hooks = [dict(type='LwFHook', alpha=1.0, temperature=2.0)]
    """

    checkpoint_key = CHECKPOINT_KEY

    def __init__(self, alpha: float | Sequence[float] = 1.0, temperature: float = 2.0) -> None:
        super().__init__()
        alphas = list(alpha) if isinstance(alpha, Sequence) else [alpha]
        if not alphas or any(value < 0 for value in alphas) or temperature <= 0:
            raise ValueError(f'LwFHook: alpha={alpha!r} must be >= 0 (one number or one per '
                             f'task) and temperature={temperature!r} > 0')
        self.alpha = alpha
        self.temperature = float(temperature)
        self.previous: torch.nn.Module | None = None
        self.old_classes: list[list[int]] = []  # the classes of each finished task
        self._feats = None
        self._task_id = 0

    def install(self, model) -> None:
        super().install(model)
        self._handles.append(_feature_module(model).register_forward_hook(self._keep_feats))

    def _keep_feats(self, module, args, output) -> None:
        if self._active:
            self._feats = output

    def before_task(self, runner, task_id: int) -> None:
        self._task_id = task_id

    def _alpha(self) -> float:
        if not isinstance(self.alpha, Sequence):
            return float(self.alpha)
        return float(self.alpha[min(self._task_id, len(self.alpha) - 1)])

    def loss_terms(self, model, inputs: torch.Tensor, data_samples: list | None
                   ) -> dict[str, torch.Tensor]:
        if self.previous is None or self._feats is None:
            return {}
        logits = model.head(self._feats)
        with torch.no_grad():
            old_logits = self.previous.head(self.previous.extract_feat(inputs))
        loss = sum(kd_loss(logits[:, columns], old_logits[:, columns], self.temperature,
                           scale_by_t2=False)
                   for columns in self._distilled_columns(model.head))
        return {'loss_lwf': self._alpha() * loss}

    def _distilled_columns(self, head) -> list[list[int]]:
        """Column groups distilled separately: each old task's head, or all old classes."""
        if hasattr(head, 'heads') and hasattr(head, 'task_classes'):  # one head per task
            starts = [0]
            for classes in head.task_classes:
                starts.append(starts[-1] + len(classes))
            return [list(range(starts[t], starts[t + 1])) for t in range(len(self.old_classes))]
        return [sorted({c for classes in self.old_classes for c in classes})]

    def after_task(self, runner, task_id: int) -> None:
        self._freeze_copy(self.model(runner))
        self.old_classes = [list(c) for c in runner.train_loop.split.task_classes[:task_id + 1]]

    def _freeze_copy(self, model) -> None:
        with self.unhooked(model):
            self.previous = copy.deepcopy(model).eval()
        for param in self.previous.parameters():
            param.requires_grad_(False)

    def state_dict(self) -> dict | None:
        if self.previous is None:
            return None
        return dict(model=self.previous.state_dict(), old_classes=self.old_classes)

    def load_state_dict(self, state: dict) -> None:
        """Into the frozen copy that :meth:`restore` builds first."""
        self.previous.load_state_dict(state['model'])
        self.old_classes = [list(c) for c in state['old_classes']]

    def restore(self, runner, state: dict) -> None:
        self._freeze_copy(self.model(runner))
        self.load_state_dict(state)
