"""PackNet (Mallya & Lazebnik, CVPR 2018): one network, disjoint weights per task."""
from __future__ import annotations

from mmpretrain.registry import HOOKS

from ...models.layers.owner_masks import prune_smallest
from .weight_ownership import TaskOwnedWeightsHook


@HOOKS.register_module()
class PackNetHook(TaskOwnedWeightsHook):
    """Train each task on the free weights, prune it, retrain, then freeze what it kept.

    After a task's ``'train'`` phase, ``prune_ratio`` of its weights per layer
    (smallest magnitude) are freed and a ``'retrain'`` phase of
    ``retrain_epochs`` units (the loop's epochs or iterations) follows. Task
    ``i`` is evaluated with the weights of tasks 1..i only.

    Args:
        prune_ratio: fraction of a task's weights freed in each layer, in [0, 1).
        retrain_epochs: length of the ``'retrain'`` phase; 0 skips it.
        prefixes, other_params: see :class:`TaskOwnedWeightsHook`.
    """

    checkpoint_key = 'packnet'

    def __init__(self, prune_ratio: float, retrain_epochs: int = 0,
                 prefixes: list[str] | None = None, other_params: str = 'frozen') -> None:
        if not 0.0 <= prune_ratio < 1.0:
            raise ValueError(f'PackNetHook: prune_ratio={prune_ratio!r} must be in [0, 1)')
        if int(retrain_epochs) != retrain_epochs or retrain_epochs < 0:
            raise ValueError(f'PackNetHook: retrain_epochs={retrain_epochs!r} must be an '
                             f'integer >= 0')
        super().__init__(prefixes=prefixes, other_params=other_params)
        self.prune_ratio = prune_ratio
        self.retrain_epochs = int(retrain_epochs)

    def after_phase(self, runner, task_id: int, phase: str) -> None:
        """Prune the task after its ``'train'`` phase and schedule the retraining."""
        if phase != 'train':
            return
        self.ensure_task(runner)  # a resume may land right at the phase's end
        task = self.owner_id(task_id)
        freed = {name: prune_smallest(module, task, self.prune_ratio)
                 for name, module in self.modules.items()}
        self.refresh_held()
        runner.logger.info(f'PackNet: task {task} freed {sum(freed.values())} weights '
                           f'({self.prune_ratio:.0%} per layer)')
        if self.retrain_epochs:
            runner.train_loop.add_phase('retrain', self.retrain_epochs)
