"""PackNet (Mallya & Lazebnik, CVPR 2018): one network, disjoint weights per task."""
from __future__ import annotations

from contextlib import ExitStack

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ...continual.task_hook import TaskHookMixin
from ...models.layers.owner_masks import (
    attach_owners,
    in_scope,
    maskable_modules,
    masked_for_task,
    owner_of,
    prune_smallest,
)

OTHER_PARAMS = ('frozen', 'per_task')


@HOOKS.register_module()
class PackNetHook(TaskHookMixin, Hook):
    """Train each task on the free weights, prune it, retrain, then freeze what it kept.

    Task ``t`` (1-based owner id = 0-based task id + 1) takes every free weight
    of the masked layers; only those train (gradients of others are masked and,
    since momentum and weight decay still move them, earlier tasks' weights are
    copied back and free ones zeroed after every iteration). After its
    ``'train'`` phase, ``prune_ratio`` of its weights per layer (smallest
    magnitude) are freed and a ``'retrain'`` phase of ``retrain_epochs`` units
    (the loop's epochs or iterations) follows. Task ``i`` is evaluated with the
    weights of tasks 1..i+1 only.

    Args:
        prune_ratio: fraction of a task's weights freed in each layer, in [0, 1).
        retrain_epochs: length of the ``'retrain'`` phase; 0 skips it.
        prefixes: module-name prefixes of the masked scope (e.g. ``['backbone']``);
            None masks every Conv2d/Linear of the model.
        other_params: what happens to the scope's unmasked parameters (biases,
            BatchNorm) after task 1; only ``'frozen'`` is implemented.
    """

    priority = 'ABOVE_NORMAL'  # restore weights before other hooks read them

    def __init__(self, prune_ratio: float, retrain_epochs: int = 0,
                 prefixes: list[str] | None = None, other_params: str = 'frozen') -> None:
        if not 0.0 <= prune_ratio < 1.0:
            raise ValueError(f'PackNetHook: prune_ratio={prune_ratio!r} must be in [0, 1)')
        if int(retrain_epochs) != retrain_epochs or retrain_epochs < 0:
            raise ValueError(f'PackNetHook: retrain_epochs={retrain_epochs!r} must be an '
                             f'integer >= 0')
        if other_params not in OTHER_PARAMS:
            raise ValueError(f'PackNetHook: other_params={other_params!r} is not one of '
                             f'{OTHER_PARAMS}')
        if other_params == 'per_task':
            raise NotImplementedError("PackNetHook: other_params='per_task' is not implemented; "
                                      "use 'frozen'")
        self.prune_ratio = prune_ratio
        self.retrain_epochs = int(retrain_epochs)
        self.prefixes = None if prefixes is None else list(prefixes)
        self.modules: dict[str, nn.Module] = {}
        self._task = 0  # owner id being trained; 0 = none yet (rebuilt after a resume)
        self._held: dict[str, torch.Tensor] = {}  # restore values of masked weights
        self._grad_keep: dict[str, torch.Tensor] = {}
        self._others: dict[str, tuple[nn.Parameter, torch.Tensor]] = {}
        self._norms: list[nn.Module] = []
        self._handles: list = []
        self._eval = ExitStack()

    @staticmethod
    def _model(runner) -> nn.Module:
        return runner.model.module if is_model_wrapper(runner.model) else runner.model

    def before_run(self, runner) -> None:
        """Attach owner buffers before a checkpoint (which carries them) is loaded."""
        model = self._model(runner)
        self.modules = maskable_modules(model, self.prefixes)
        if not self.modules:
            raise ValueError(f'PackNetHook: prefixes={self.prefixes!r} select no Conv2d/Linear')
        attach_owners(self.modules)

    # ---------------------------------------------------------------- training
    def before_task(self, runner, task_id: int) -> None:
        """Task ``task_id + 1`` takes every free weight."""
        task = task_id + 1
        for module in self.modules.values():
            owner = owner_of(module)
            owner[owner == 0] = task
        self._enter_task(runner, task)

    def _enter_task(self, runner, task: int) -> None:
        """Snapshot what must not move while ``task`` trains; freeze the rest after task 1."""
        self._task = task
        self._refresh_held()
        if not self._handles:
            self._handles = [module.weight.register_hook(self._grad_filter(name))
                             for name, module in self.modules.items()]
        self._others, self._norms = {}, []
        if task == 1:
            return
        model = self._model(runner)
        weights = {f'{name}.weight' for name in self.modules}
        for name, param in model.named_parameters():
            if in_scope(name, self.prefixes) and name not in weights:
                param.requires_grad_(False)
                self._others[name] = (param, param.detach().clone())
        self._norms = [module for name, module in model.named_modules()
                       if isinstance(module, _BatchNorm) and in_scope(name, self.prefixes)]

    def _refresh_held(self) -> None:
        """Values outside the current task: earlier tasks' as they are now, free ones zero."""
        for name, module in self.modules.items():
            owner, weight = owner_of(module), module.weight.detach()
            self._held[name] = torch.where(owner == 0, torch.zeros_like(weight), weight).clone()
            self._grad_keep[name] = owner == self._task

    def _grad_filter(self, name: str):
        def keep_own(grad: torch.Tensor) -> torch.Tensor:
            return torch.where(self._grad_keep[name], grad, torch.zeros_like(grad))
        return keep_own

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        """Rebuild the state after a resume; keep frozen BatchNorm statistics still."""
        current = runner.train_loop.task_id + 1
        if self._task != current:
            self._enter_task(runner, current)
        for module in self._norms:
            module.eval()

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        """Undo what the optimizer did to weights the current task does not own."""
        with torch.no_grad():
            for name, module in self.modules.items():
                own = owner_of(module) == self._task
                module.weight.copy_(torch.where(own, module.weight, self._held[name]))
            for param, value in self._others.values():
                param.copy_(value)

    def after_phase(self, runner, task_id: int, phase: str) -> None:
        """Prune the task after its ``'train'`` phase and schedule the retraining."""
        if phase != 'train':
            return
        task = task_id + 1
        freed = {name: prune_smallest(module, task, self.prune_ratio)
                 for name, module in self.modules.items()}
        self._refresh_held()
        runner.logger.info(f'PackNet: task {task} freed {sum(freed.values())} weights '
                           f'({self.prune_ratio:.0%} per layer)')
        if self.retrain_epochs:
            runner.train_loop.add_phase('retrain', self.retrain_epochs)

    # -------------------------------------------------------------- evaluation
    def before_val_task(self, runner, task_id: int) -> None:
        """Task ``task_id`` sees the weights of tasks 1..task_id+1 only."""
        self._eval.close()
        self._eval.enter_context(masked_for_task(self.modules, task_id + 1))

    def after_val_task(self, runner, task_id: int, metrics: dict) -> None:
        """Give the full weights back."""
        self._eval.close()
