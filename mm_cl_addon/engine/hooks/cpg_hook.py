"""CPG (Hung et al., "Compacting, Picking and Growing", NeurIPS 2019) as a continual hook."""
from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from pathlib import Path

import torch
from mmengine.dist import get_world_size
from mmengine.optim import BaseOptimWrapper
from mmpretrain.registry import HOOKS
from torch import nn

from ...compat import load_checkpoint
from ...continual.gradual_pruning import cubic_sparsity, pruning_progress
from ...continual.pruning_ratio import goal_accuracy, select_pruning_ratio, snapshot_name
from ...models.growth import check_growable, chunks_of, embed_leading, grow_model, growth_layout
from ...models.layers.owner_masks import (
    attach_picks,
    free_smallest,
    owned_count,
    owner_of,
    record_picks,
)
from ...models.layers.piggyback import (
    binarize,
    earlier_weights,
    piggyback_weight,
    straight_through_mask_grad,
)
from ...models.task_view import model_config
from ...utils import atomic_torch_save, atomic_write_json
from ...utils.arguments import check_count
from .weight_ownership import MASK_BUFFERS, TaskOwnedWeightsHook

COMPACT = 'compact@'


@HOOKS.register_module()
class CPGHook(TaskOwnedWeightsHook):
    """Pick earlier tasks' weights, train the free ones, compact, and grow if needed.

    For task ``k`` (owner id; see :class:`TaskOwnedWeightsHook`):

    1. **Pick** (the ``'train'`` phase): the free weights train for task ``k``
       while a real-valued piggyback mask over the weights of tasks 1..k-1
       learns, in its own optimizer parameter group, which of them task ``k``
       uses (binarised at ``mask_threshold``, straight-through gradients).
    2. **Grow**: task ``k`` is evaluated; below ``goal - allowed_acc_loss``, the
       backbone is rebuilt ``width_step`` wider (up to ``max_width_multiplier``),
       old weights in the leading slices, new ones free for task ``k``, and a
       ``'grow<n>'`` phase trains again.
    3. **Compact**: one phase per ratio of ``sparsity_stages`` (``'compact@<r>'``,
       ``stage_epochs`` long); in each, task ``k``'s weights are pruned by
       magnitude, every ``prune_interval`` iterations along Zhu & Gupta's cubic
       ramp from the previous stage's ratio over the first ``prune_ramp`` of
       the phase, exactly to ``round(r * n)`` per layer at its end. The accuracy
       of each ratio is recorded (``<out_dir>/task<k>/ratios.json``) with a
       snapshot (``ratio<r>.pth``, loadable by ``load_from``).
    4. **Choose**: the highest ratio within ``allowed_acc_loss`` of the goal
       (else the lowest recorded); its snapshot is loaded and the choice
       written to ``choice.json``.

    Args:
        sparsity_stages: increasing pruning ratios in (0, 1); empty skips compaction.
        stage_epochs: length of each compaction phase (the loop's unit).
        prune_interval: iterations between pruning steps inside a stage.
        prune_ramp: fraction of a stage over which its sparsity ramps up.
        goal_accuracy: goal accuracy in percent (a number, or one per task of
            the run); None with no ``baseline_metrics``: the accuracy the task
            reaches before pruning.
        baseline_metrics: a metrics JSON (``tools/test.py --out``) holding
            ``baseline_key``; ``{task}`` in the path is the run's 1-based task number.
        baseline_key: the goal's key in ``baseline_metrics``.
        allowed_acc_loss: percent points below the goal that still count as reached.
        mask_lr: learning rate of the piggyback masks (None: the optimizer's).
        mask_init, mask_threshold: initial value and binarising threshold of the masks.
        max_width_multiplier: widest backbone growth may build (the config's
            width: no growth).
        width_step: how much each growth adds to ``width_multiplier``.
        grow_epochs: length of the phase after a growth (None: the task's own).
        out_dir: folder for records, snapshots and choices, inside the work dir.
        prefixes, other_params: see :class:`TaskOwnedWeightsHook`.
    """

    checkpoint_key = 'cpg'

    def __init__(self, sparsity_stages: Sequence[float] = (0.1, 0.2, 0.3, 0.4, 0.5),
                 stage_epochs: int = 1, prune_interval: int = 1, prune_ramp: float = 0.5,
                 goal_accuracy: float | Sequence[float] | None = None,
                 baseline_metrics: str | None = None, baseline_key: str = 'accuracy/top1',
                 allowed_acc_loss: float = 0.5, mask_lr: float | None = None,
                 mask_init: float = 0.01, mask_threshold: float = 0.005,
                 max_width_multiplier: float | None = None, width_step: float = 0.5,
                 grow_epochs: int | None = None, out_dir: str = 'cpg',
                 prefixes: list[str] | None = None, other_params: str = 'frozen') -> None:
        super().__init__(prefixes=prefixes, other_params=other_params)
        stages = [float(r) for r in sparsity_stages]
        if any(not 0.0 < r < 1.0 for r in stages) or stages != sorted(set(stages)):
            raise ValueError(f'CPGHook: sparsity_stages={list(sparsity_stages)!r} must increase '
                             f'strictly inside (0, 1)')
        if len({snapshot_name(r) for r in stages}) != len(stages):
            raise ValueError(f'CPGHook: sparsity_stages={stages!r} must differ in two decimals')
        if goal_accuracy is not None and baseline_metrics is not None:
            raise ValueError('CPGHook: give goal_accuracy or baseline_metrics, not both')
        check_count('CPGHook: stage_epochs', stage_epochs)
        if width_step <= 0:
            raise ValueError(f'CPGHook: width_step={width_step!r} must be positive')
        pruning_progress(0, 1, prune_ramp, prune_interval)  # validates both
        self.sparsity_stages = stages
        self.stage_epochs = int(stage_epochs)
        self.prune_interval = int(prune_interval)
        self.prune_ramp = float(prune_ramp)
        self.goal_accuracy = goal_accuracy
        self.baseline_metrics = baseline_metrics
        self.baseline_key = baseline_key
        self.allowed_acc_loss = float(allowed_acc_loss)
        self.mask_lr = mask_lr
        self.mask_init = float(mask_init)
        self.mask_threshold = float(mask_threshold)
        self.max_width_multiplier = max_width_multiplier
        self.width_step = float(width_step)
        self.grow_epochs = grow_epochs
        self.out_dir = out_dir
        self.width_multiplier = 1.0
        self.masks: dict[str, nn.Parameter] = {}
        self.records: list[tuple[float, float]] = []
        self.initial_owned: dict[str, int] = {}
        self.goal: float | None = None
        self.growths = 0
        self._earlier: dict[str, torch.Tensor] = {}
        self._earlier_values: dict[str, torch.Tensor] = {}
        self._layout: dict[str, tuple[int, int]] = {}  # chunked modules (growth_layout)

    # ------------------------------------------------------------------ setup
    def before_run(self, runner) -> None:
        if get_world_size() > 1:
            raise RuntimeError('CPGHook runs in a single process: growth rebuilds the model, '
                               'and the piggyback masks are not all-reduced')
        super().before_run(runner)
        attach_picks(self.modules)
        backbone = runner.cfg.model.get('backbone', {})
        self.width_multiplier = float(backbone.get('width_multiplier', 1.0))
        if self.max_width_multiplier is None:
            self.max_width_multiplier = self.width_multiplier
        elif self.max_width_multiplier > self.width_multiplier:
            check_growable(runner.cfg.model)

    def collect_modules(self, model: nn.Module) -> None:
        """Also note the model's chunked modules, which growth embeds per chunk."""
        self._layout = growth_layout(model)
        super().collect_modules(model)

    def _embedded(self, state: dict, tensors: dict[str, torch.Tensor]) -> dict:
        """Old per-task snapshots fitted into the grown tensors, per chunk where declared."""
        return {task: {name: embed_leading(tensors[name], value, chunks_of(self._layout, name))
                       for name, value in snapshot.items()} for task, snapshot in state.items()}

    def _task_dir(self, runner) -> Path:
        return Path(runner.work_dir) / self.out_dir / f'task{self._task}'

    def _goal_for(self, task_id: int) -> float | None:
        if self.baseline_metrics is not None:
            path = self.baseline_metrics.format(task=task_id + 1)
            return goal_accuracy(path, self.baseline_key)
        if isinstance(self.goal_accuracy, Sequence):
            if task_id >= len(self.goal_accuracy):
                raise ValueError(f'CPGHook: goal_accuracy lists {len(self.goal_accuracy)} '
                                 f'goals, task {task_id + 1} has none')
            return goal_accuracy(self.goal_accuracy[task_id])
        return None if self.goal_accuracy is None else goal_accuracy(self.goal_accuracy)

    # ------------------------------------------------------------------- pick
    def before_task(self, runner, task_id: int) -> None:
        """Take the free weights, and start a piggyback mask over earlier ones."""
        super().before_task(runner, task_id)
        self.records, self.initial_owned, self.growths = [], {}, 0
        self.goal = self._goal_for(task_id)
        values = {name: torch.full_like(module.weight, self.mask_init)
                  for name, module in self.modules.items()
                  if earlier_weights(owner_of(module), self._task).any()}
        self._set_masks(runner, values)

    def _set_masks(self, runner, values: dict[str, torch.Tensor]) -> None:
        """Make ``values`` the masks, in their own parameter group of the optimizer."""
        self._drop_masks(runner)
        self.masks = {name: nn.Parameter(value.detach().clone()) for name, value in values.items()}
        if self.masks:
            optimizer = runner.optim_wrapper.optimizer
            lr = self.mask_lr if self.mask_lr is not None else optimizer.defaults['lr']
            optimizer.add_param_group(dict(params=list(self.masks.values()), lr=lr,
                                           weight_decay=0.0, cpg_masks=True))

    def _drop_masks(self, runner) -> None:
        optimizer = getattr(runner.optim_wrapper, 'optimizer', None)
        if optimizer is not None:
            optimizer.param_groups = [g for g in optimizer.param_groups if 'cpg_masks' not in g]
            for mask in self.masks.values():
                optimizer.state.pop(mask, None)
        self.masks = {}

    def _record_picks(self) -> None:
        for name, mask in self.masks.items():
            record_picks(self.modules[name], self._task, binarize(mask.detach(),
                                                                  self.mask_threshold))

    def refresh_held(self, names: Iterable[str] | None = None) -> None:
        """Also cache where earlier tasks' weights are, and their true values."""
        super().refresh_held(names)
        for name in self.modules if names is None else names:
            earlier = earlier_weights(owner_of(self.modules[name]), self._task)
            self._earlier[name] = earlier
            self._earlier_values[name] = torch.where(earlier, self._held[name], 0.0)

    def filter_grad(self, name: str, grad: torch.Tensor) -> torch.Tensor:
        """Also hand the mask its straight-through gradient."""
        mask = self.masks.get(name)
        if mask is not None:
            mask_grad = straight_through_mask_grad(grad, self._earlier_values[name])
            if mask.grad is None:
                mask.grad = mask_grad
            else:
                mask.grad.add_(mask_grad)
        return super().filter_grad(name, grad)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        """Prune along the ramp in compaction stages; train with the picked weights."""
        super().before_train_iter(runner, batch_idx, data_batch)
        loop = runner.train_loop
        phase = loop.current_phase.name
        if phase.startswith(COMPACT):
            progress = pruning_progress(loop.phase_step, loop.phase_steps, self.prune_ramp,
                                        self.prune_interval)
            if progress is not None:
                ratio = float(phase[len(COMPACT):])
                self._prune_to(cubic_sparsity(progress, self._previous_stage(ratio), ratio))
        if self.masks:
            with torch.no_grad():
                for name, mask in self.masks.items():
                    module = self.modules[name]
                    module.weight.copy_(piggyback_weight(
                        module.weight, self._own[name], self._earlier[name], mask,
                        self.mask_threshold))

    def _previous_stage(self, ratio: float) -> float:
        earlier = [r for r in self.sparsity_stages if r < ratio]
        return earlier[-1] if earlier else 0.0

    def _prune_to(self, ratio: float) -> None:
        """Free weights until ``round(ratio * n)`` of the task's ``n`` at compaction start are."""
        changed = []
        for name, module in self.modules.items():
            initial = self.initial_owned[name]
            excess = owned_count(module, self._task) - (initial - round(ratio * initial))
            if excess > 0:
                free_smallest(module, self._task, excess)
                changed.append(name)
        self.refresh_held(changed)

    # ----------------------------------------------------------- grow, compact
    def after_phase(self, runner, task_id: int, phase: str) -> None:
        self.ensure_task(runner)  # a resume may land right at a phase's end
        if phase == 'train' or phase.startswith('grow'):
            self._after_training(runner, task_id)
        elif phase.startswith(COMPACT):
            ratio = float(phase[len(COMPACT):])
            self._prune_to(ratio)
            self._record(runner, task_id, ratio)
            if ratio == self.sparsity_stages[-1]:
                self._choose(runner)

    def _after_training(self, runner, task_id: int) -> None:
        accuracy = self._evaluate(runner, task_id)
        if self.goal is None:
            self.goal = accuracy
            runner.logger.info(f'CPG: task {self._task} goal = its unpruned accuracy '
                               f'{accuracy:.2f}')
        below = accuracy < self.goal - self.allowed_acc_loss - 1e-9
        if below and self.width_multiplier < self.max_width_multiplier - 1e-9:
            runner.logger.info(f'CPG: task {self._task} reached {accuracy:.2f} < goal '
                               f'{self.goal:.2f} - {self.allowed_acc_loss}')
            self._grow(runner, min(self.width_multiplier + self.width_step,
                                   self.max_width_multiplier))
            length = self.grow_epochs or runner.train_loop.task_lengths[task_id]
            runner.train_loop.add_phase(f'grow{self.growths}', length)
            return
        if below:
            runner.logger.warning(f'CPG: task {self._task} reached {accuracy:.2f} < goal '
                                  f'{self.goal:.2f} - {self.allowed_acc_loss} at the widest '
                                  f'width {self.width_multiplier}')
        self.initial_owned = {name: owned_count(m, self._task)
                              for name, m in self.modules.items()}
        self.records = []
        self._record(runner, task_id, 0.0, accuracy)
        for ratio in self.sparsity_stages:
            runner.train_loop.add_phase(f'{COMPACT}{ratio:g}', self.stage_epochs)
        if not self.sparsity_stages:
            self._choose(runner)

    def _evaluate(self, runner, task_id: int) -> float:
        val_loop = runner.val_loop
        if not hasattr(val_loop, 'evaluate_task'):
            raise TypeError('CPGHook evaluates tasks mid-training: it needs val_cfg '
                            f'type=ContinualValLoop, got {type(val_loop).__name__}')
        return val_loop.evaluate_task(task_id)

    def _record(self, runner, task_id: int, ratio: float, accuracy: float | None = None) -> None:
        """Score the task at ``ratio``; save the record and a snapshot to return to."""
        if accuracy is None:
            accuracy = self._evaluate(runner, task_id)
        self.records.append((ratio, accuracy))
        runner.logger.info(f'CPG: task {self._task} at pruning ratio {ratio:.2f}: '
                           f'accuracy {accuracy:.2f} (goal {self.goal:.2f})')
        folder = self._task_dir(runner)
        atomic_write_json(folder / 'ratios.json', dict(
            task=self._task, records=[dict(ratio=r, accuracy=a) for r, a in self.records]))
        self._record_picks()
        model = self.model(runner)
        atomic_torch_save(folder / snapshot_name(ratio), dict(
            meta=dict(task=self._task, ratio=ratio, accuracy=accuracy),
            state_dict={key: value.detach().cpu() for key, value in model.state_dict().items()},
            cpg=self.state_dict()))

    def _choose(self, runner) -> None:
        """Return to the snapshot of the chosen ratio."""
        choice = select_pruning_ratio(self.records, self.goal, self.allowed_acc_loss)
        folder = self._task_dir(runner)
        snapshot = load_checkpoint(folder / snapshot_name(choice['ratio']), map_location='cpu')
        model = self.model(runner)
        model.load_state_dict(snapshot['state_dict'])
        with torch.no_grad():
            for name, value in snapshot['cpg']['masks'].items():
                self.masks[name].copy_(value)
        self.refresh_held()
        choice.update(task=self._task, width_multiplier=self.width_multiplier,
                      checkpoint=str(folder / snapshot_name(choice['ratio'])))
        atomic_write_json(folder / 'choice.json', choice)
        runner.logger.info(f"CPG: task {self._task} keeps pruning ratio {choice['ratio']:.2f} "
                           f"(accuracy {choice['accuracy']:.2f}, goal {self.goal:.2f}, "
                           f"reached: {choice['reached_goal']})")

    def _grow(self, runner, width_multiplier: float) -> None:
        """Widen the backbone; the new weights are free, so the current task takes them."""
        self.growths += 1
        runner.logger.info(f'CPG: growing the backbone from width {self.width_multiplier} to '
                           f'{width_multiplier}')
        self._apply_width(runner, width_multiplier)
        for module in self.modules.values():
            owner = owner_of(module)
            owner[owner == 0] = self._task
        self.enter_task(runner, self._task)

    def _apply_width(self, runner, width_multiplier: float) -> None:
        """Rebuild the model at ``width_multiplier``, then its optimizer and masks."""
        masks = {name: mask.detach() for name, mask in self.masks.items()}
        self._drop_masks(runner)
        model = self.model(runner)
        grow_model(model, model_config(runner.cfg), width_multiplier, self.prefixes,
                   MASK_BUFFERS)
        self.width_multiplier = width_multiplier
        self.collect_modules(model)
        attach_picks(self.modules)
        if isinstance(runner.optim_wrapper, BaseOptimWrapper):
            runner.optim_wrapper = runner.build_optim_wrapper(
                copy.deepcopy(runner.cfg.optim_wrapper))
            self._set_masks(runner, {
                name: embed_leading(torch.full_like(self.modules[name].weight, self.mask_init),
                                    value, chunks_of(self._layout, f'{name}.weight'))
                for name, value in masks.items()})

    # ------------------------------------------------------------- evaluation
    def before_val_task(self, runner, task_id: int) -> None:
        """The task being trained is evaluated with its masks as they are now."""
        if self.masks and self.owner_id(task_id) == self._task:
            self._record_picks()
        super().before_val_task(runner, task_id)

    def after_task(self, runner, task_id: int) -> None:
        """Keep the task's picks; its masks and their parameter group go."""
        self._record_picks()
        self._drop_masks(runner)
        super().after_task(runner, task_id)

    # ------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict:
        return dict(super().state_dict(), width_multiplier=self.width_multiplier,
                    masks={name: mask.detach().cpu() for name, mask in self.masks.items()},
                    records=[list(pair) for pair in self.records],
                    initial_owned=dict(self.initial_owned), goal=self.goal,
                    growths=self.growths)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Grow to the checkpoint's width before its weights load (resume or ``load_from``)."""
        state = checkpoint.get(self.checkpoint_key)
        if state is not None and state['width_multiplier'] != self.width_multiplier:
            self._apply_width(runner, state['width_multiplier'])
        super().after_load_checkpoint(runner, checkpoint)

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.records = [(float(r), float(a)) for r, a in state['records']]
        self.initial_owned = {name: int(n) for name, n in state['initial_owned'].items()}
        self.goal, self.growths = state['goal'], state['growths']

    def restore(self, runner, state: dict) -> None:
        """The task's masks go back into the model and the optimizer, whose state loads next."""
        self.load_state_dict(state)
        device = next(iter(self.modules.values())).weight.device
        self._set_masks(runner, {name: value.to(device) for name, value in state['masks'].items()})
        loop = runner.train_loop
        if loop.phases and loop.phase_index < len(loop.phases):
            loop.rebuild_schedulers()  # over the rebuilt optimizer and the mask group
