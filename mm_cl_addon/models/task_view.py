"""One task's view of a checkpoint that several tasks share (PackNet, CPG).

Tools that compare or deploy a single task's model (ModelDiff backbone
selection, export) need a plain network: the weights that task sees, its own
per-task tensors, at the width the checkpoint was grown to.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mmpretrain.registry import MODELS
from torch import nn

from ..compat import load_checkpoint
from .growth import widened_config
from .layers.owner_masks import OWNER_BUFFER, PICK_BUFFER, effective_weight

HOOK_STATE_KEYS = ('cpg', 'packnet')


def model_config(cfg: Mapping) -> dict:
    """A config's ``model`` with the top-level ``data_preprocessor`` in it, as the Runner builds
    it (building ``cfg.model`` alone would silently use a default, unnormalising one)."""
    model_cfg = dict(cfg['model'])
    if 'data_preprocessor' not in model_cfg and cfg.get('data_preprocessor') is not None:
        model_cfg['data_preprocessor'] = cfg['data_preprocessor']
    return model_cfg


def _hook_state(checkpoint: Mapping[str, Any]) -> Mapping[str, Any] | None:
    return next((checkpoint[key] for key in HOOK_STATE_KEYS if key in checkpoint), None)


def build_task_model(model_cfg: Mapping, checkpoint: Mapping[str, Any],
                     task: int | None = None) -> tuple[nn.Module, int | None]:
    """Build ``model_cfg`` and load ``checkpoint`` as task ``task`` sees it.

    Without owner buffers in the checkpoint the model is returned as saved and
    the task is None. Otherwise ``task`` (default: the highest owner id, the
    last task trained) must own weights; every masked weight is replaced by
    its effective weight for that task (owner and pick buffers dropped), and
    the task's per-task tensors are swapped in when the checkpoint keeps them.
    A checkpoint grown by CPG is built at its ``width_multiplier``.
    """
    state = dict(checkpoint.get('state_dict', checkpoint))
    hook_state = _hook_state(checkpoint)
    cfg = dict(model_cfg)
    width = (hook_state or {}).get('width_multiplier')
    if width is not None and width != cfg['backbone'].get('width_multiplier', 1.0):
        cfg = widened_config(cfg, width)
    owners = {key[:-len(OWNER_BUFFER) - 1]: state.pop(key) for key in list(state)
              if key.endswith('.' + OWNER_BUFFER)}
    picks = {key[:-len(PICK_BUFFER) - 1]: state.pop(key) for key in list(state)
             if key.endswith('.' + PICK_BUFFER)}
    if owners:
        highest = max(int(owner.max()) for owner in owners.values())
        task = highest if task is None else int(task)
        if not 1 <= task <= highest:
            raise ValueError(f'task {task} owns no weights in this checkpoint (tasks 1..{highest})')
        for name, owner in owners.items():
            weight_key = f'{name}.weight'
            state[weight_key] = effective_weight(owner, state[weight_key], task, picks.get(name))
        per_task = (hook_state or {}).get('per_task') or {}
        state.update(per_task.get(str(task), {}))
    else:
        task = None
    model = MODELS.build(cfg)
    model.load_state_dict(state)
    return model, task


def load_task_model(model_cfg: Mapping, checkpoint_path: str, task: int | None = None
                    ) -> tuple[nn.Module, int | None]:
    """:func:`build_task_model` from a checkpoint file (weights-only loading)."""
    return build_task_model(model_cfg, load_checkpoint(checkpoint_path, map_location='cpu'), task)
