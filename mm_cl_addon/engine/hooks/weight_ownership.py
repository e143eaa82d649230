"""The shared machinery of PackNet and CPG: tasks owning disjoint weights of one network."""
from __future__ import annotations

from collections.abc import Iterable
from contextlib import ExitStack

import torch
from mmengine.dist import is_main_process
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ...continual.per_task_tensors import PerTaskTensors
from ...continual.task_hook import TaskHook
from ...models.growth import embed_leading
from ...models.layers.owner_masks import (
    OWNER_BUFFER,
    PICK_BUFFER,
    attach_owners,
    in_scope,
    maskable_modules,
    masked_for_task,
    owner_of,
)
from ...utils import atomic_write_json

OTHER_PARAMS = ('frozen', 'per_task')
MASK_BUFFERS = (OWNER_BUFFER, PICK_BUFFER)


class TaskOwnedWeightsHook(TaskHook):
    """Base of :class:`PackNetHook` and :class:`CPGHook`; not registered itself.

    Each Conv2d/Linear weight in scope has an owner (0 = free, k = task k). Task
    ``k`` takes every free weight in ``before_task``; while it trains, only
    weights it owns move: their gradients are masked, and after every iteration
    the other weights are put back (momentum, weight decay and AdamW move
    weights whose gradient is zero). Task ``i`` is evaluated through
    ``before_val_task`` with the weights it may see (``masked_for_task``).

    Owner ids are the loop's 0-based task ids plus one plus ``owner_offset``:
    a run that starts from a checkpoint whose weights earlier tasks already own
    (``load_from``, e.g. Pick-a-back's selected backbone) numbers its tasks after
    them.

    Args:
        prefixes: module-name prefixes of the masked scope (e.g. ``['backbone']``);
            None masks every Conv2d/Linear of the model.
        other_params: the scope's parameters that are not masked weights (biases,
            BatchNorm affine) and its BatchNorm running statistics: ``'frozen'``
            after the first task (BatchNorm then runs in eval mode), or
            ``'per_task'``: each task trains its own copy, saved after the task
            and swapped in to evaluate it.
    """

    priority = 'ABOVE_NORMAL'  # restore weights before other hooks read them
    checkpoint_key = 'task_owned_weights'

    def __init__(self, prefixes: list[str] | None = None, other_params: str = 'frozen') -> None:
        if other_params not in OTHER_PARAMS:
            raise ValueError(f'{type(self).__name__}: other_params={other_params!r} is not one '
                             f'of {OTHER_PARAMS}')
        self.prefixes = None if prefixes is None else list(prefixes)
        self.other_params = other_params
        self.modules: dict[str, nn.Module] = {}
        self.owner_offset: int | None = None  # set in before_train unless resumed
        self.per_task: PerTaskTensors | None = None
        self._task = 0  # owner id being trained; 0 = none yet (rebuilt after a resume)
        self._held: dict[str, torch.Tensor] = {}  # restore values of masked weights
        self._own: dict[str, torch.Tensor] = {}  # where the current task owns the weight
        self._frozen: dict[str, tuple[nn.Parameter, torch.Tensor]] = {}
        self._norms: list[nn.Module] = []
        self._handles: list = []
        self._eval = ExitStack()

    # ------------------------------------------------------------------ scope
    def before_run(self, runner) -> None:
        """Attach owner buffers before a checkpoint (which carries them) is loaded."""
        self.collect_modules(self.model(runner))

    def collect_modules(self, model: nn.Module) -> None:
        """Find the masked modules and the per-task tensors (again after the model changed)."""
        self.modules = maskable_modules(model, self.prefixes)
        if not self.modules:
            raise ValueError(f'{type(self).__name__}: prefixes={self.prefixes!r} select no '
                             f'Conv2d/Linear')
        attach_owners(self.modules)
        for handle in self._handles:
            handle.remove()
        self._handles = []
        if self.other_params == 'per_task':
            tensors = self._unmasked_tensors(model)
            previous = self.per_task.state_dict() if self.per_task is not None else {}
            self.per_task = PerTaskTensors(tensors)
            self.per_task.load_state_dict(self._embedded(previous, tensors))

    @staticmethod
    def _embedded(state: dict, tensors: dict[str, torch.Tensor]) -> dict:
        """Old snapshots fitted into the current tensors' shapes (after growth)."""
        return {task: {name: embed_leading(tensors[name], value)
                       for name, value in snapshot.items()} for task, snapshot in state.items()}

    def _unmasked_tensors(self, model: nn.Module) -> dict[str, torch.Tensor]:
        """Parameters and buffers in scope other than masked weights and mask buffers."""
        weights = {f'{name}.weight' for name in self.modules}
        masks = {f'{name}.{buffer}' for name in self.modules for buffer in MASK_BUFFERS}
        named = [*model.named_parameters(), *model.named_buffers()]
        return {name: tensor for name, tensor in named
                if in_scope(name, self.prefixes) and name not in weights and name not in masks}

    def owner_id(self, task_id: int) -> int:
        """The owner id of the loop's task ``task_id``."""
        return task_id + 1 + (self.owner_offset or 0)

    def before_train(self, runner) -> None:
        """Number this run's tasks after those already owning weights (e.g. a loaded backbone)."""
        if not hasattr(runner.train_loop, 'add_phase'):
            raise TypeError(f'{type(self).__name__} needs train_cfg type=ContinualTrainLoop, '
                            f'got {type(runner.train_loop).__name__}')
        if self.owner_offset is None:
            self.owner_offset = max(int(owner_of(m).max()) for m in self.modules.values())
            if self.owner_offset:
                runner.logger.info(f'{type(self).__name__}: {self.owner_offset} earlier task(s) '
                                   f'own weights; this run numbers its tasks from '
                                   f'{self.owner_offset + 1}')

    # --------------------------------------------------------------- training
    def before_task(self, runner, task_id: int) -> None:
        """The task takes every free weight."""
        task = self.owner_id(task_id)
        for module in self.modules.values():
            owner = owner_of(module)
            owner[owner == 0] = task
        self.enter_task(runner, task)

    def enter_task(self, runner, task: int) -> None:
        """Snapshot what must not move while ``task`` trains; freeze the rest if so chosen."""
        self._task = task
        self.refresh_held()
        if not self._handles:
            self._handles = [module.weight.register_hook(self._grad_filter(name))
                             for name, module in self.modules.items()]
        self._frozen, self._norms = {}, []
        if self.other_params != 'frozen' or task == 1:
            return
        model = self.model(runner)
        unmasked = self._unmasked_tensors(model)
        for name, param in model.named_parameters():
            if name in unmasked:
                param.requires_grad_(False)
                self._frozen[name] = (param, param.detach().clone())
        self._norms = [module for name, module in model.named_modules()
                       if isinstance(module, _BatchNorm) and in_scope(name, self.prefixes)]

    def refresh_held(self, names: Iterable[str] | None = None) -> None:
        """Values outside the current task (earlier tasks' as they are now, free ones zero) and
        the task's own entries, for the layers ``names`` (all by default).

        Owners change only here, so the per-iteration work reuses these masks.
        """
        for name in self.modules if names is None else names:
            module = self.modules[name]
            owner, weight = owner_of(module), module.weight.detach()
            self._held[name] = torch.where(owner == 0, 0.0, weight)
            self._own[name] = owner == self._task

    def _grad_filter(self, name: str):
        def keep_own(grad: torch.Tensor) -> torch.Tensor:
            return self.filter_grad(name, grad)
        return keep_own

    def filter_grad(self, name: str, grad: torch.Tensor) -> torch.Tensor:
        """The gradient the optimizer sees: the current task's entries only."""
        return torch.where(self._own[name], grad, 0.0)

    def ensure_task(self, runner) -> None:
        """Enter the loop's current task unless done (after a resume nothing has been)."""
        current = self.owner_id(runner.train_loop.task_id)
        if self._task != current:
            self.enter_task(runner, current)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        """Rebuild the state after a resume; keep frozen BatchNorm statistics still."""
        self.ensure_task(runner)
        for module in self._norms:
            module.eval()

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        """Undo what the optimizer did to weights the current task does not own."""
        with torch.no_grad():
            for name, module in self.modules.items():
                module.weight.copy_(torch.where(self._own[name], module.weight, self._held[name]))
            for param, value in self._frozen.values():
                param.copy_(value)

    def after_task(self, runner, task_id: int) -> None:
        """Keep the task's own copy of the unmasked tensors."""
        if self.per_task is not None:
            self.per_task.save(self.owner_id(task_id))

    def after_train(self, runner) -> None:
        """Write how the masked weights are shared out (``weight_owners.json``)."""
        if is_main_process():
            atomic_write_json(f'{runner.work_dir}/weight_owners.json', self.ownership_summary())

    def ownership_summary(self) -> dict:
        """Weights per owner over the masked scope, and the share in use."""
        owners = torch.cat([owner_of(m).flatten() for m in self.modules.values()])
        total = owners.numel()
        counts = torch.bincount(owners.long(), minlength=1).tolist()
        per_task = {str(task): int(n) for task, n in enumerate(counts) if task and n}
        return dict(total=total, free=int(counts[0]), per_task=per_task,
                    weights_used=(total - int(counts[0])) / total)

    # -------------------------------------------------------------- evaluation
    def before_val_task(self, runner, task_id: int) -> None:
        """Task ``task_id`` sees its own masks and (``per_task``) its own other tensors."""
        self._eval.close()
        task = self.owner_id(task_id)
        self._eval.enter_context(masked_for_task(self.modules, task))
        if self.per_task is not None:
            self._eval.enter_context(self.per_task.swapped_in(task))

    def after_val_task(self, runner, task_id: int, metrics: dict) -> None:
        """Give the full weights back."""
        self._eval.close()

    # ------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict:
        """What the weights and owner buffers do not carry."""
        return dict(owner_offset=self.owner_offset,
                    per_task=None if self.per_task is None else self.per_task.state_dict())

    def load_state_dict(self, state: dict) -> None:
        """On ``--resume`` only: ``load_from`` starts a new sequence on old owners."""
        self.owner_offset = state['owner_offset']
        if self.per_task is not None and state['per_task'] is not None:
            self.per_task.load_state_dict(state['per_task'])
