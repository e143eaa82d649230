"""Per-weight task owners for PackNet-style parameter sharing.

Every ``nn.Conv2d``/``nn.Linear`` in scope carries an integer buffer
``packnet_owner`` shaped like its weight: 0 marks a free (pruned) weight, k the
weights task k (1-based) trained and owns. CPG adds a second buffer,
``cpg_picks``, a per-weight bit field: bit k-1 set means task k uses that weight
of an earlier task (its binarised piggyback mask). Being buffers, both are saved
and loaded with the model's state dict, so checkpoints stay tensors only.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import torch
from torch import nn

OWNER_BUFFER = 'packnet_owner'
PICK_BUFFER = 'cpg_picks'
# int32, not int16: gloo cannot broadcast int16, and mmengine and DDP broadcast every buffer
# from rank 0 under `dist_train.sh`.
OWNER_DTYPE = torch.int32
MAX_PICK_TASKS = 31  # bits of the int32 pick field
MASKABLE_TYPES = (nn.Conv2d, nn.Linear)


def in_scope(name: str, prefixes: Sequence[str] | None) -> bool:
    """Whether a dotted module/parameter name lies under one of ``prefixes`` (all if None)."""
    if prefixes is None:
        return True
    return any(name == prefix or name.startswith(prefix + '.') for prefix in prefixes)


def check_prefixes(model: nn.Module, prefixes: Sequence[str] | None) -> None:
    """Refuse a lone string or a prefix that names no module: either would mask silently less."""
    if prefixes is None:
        return
    if isinstance(prefixes, str):
        raise TypeError(f'prefixes={prefixes!r} must be a list of module-name prefixes, '
                        f'not a string')
    names = [name for name, _ in model.named_modules()]
    for prefix in prefixes:
        if not any(in_scope(name, [prefix]) for name in names):
            raise ValueError(f'prefixes: {prefix!r} names no module of '
                             f'{type(model).__name__}')


def maskable_modules(model: nn.Module,
                     prefixes: Sequence[str] | None = None) -> dict[str, nn.Module]:
    """The Conv2d/Linear modules under ``prefixes`` (every one if None), by dotted name."""
    check_prefixes(model, prefixes)
    return {name: module for name, module in model.named_modules()
            if isinstance(module, MASKABLE_TYPES) and in_scope(name, prefixes)}


def attach_owners(modules: Mapping[str, nn.Module]) -> None:
    """Give each module an all-free owner buffer unless it has one (a resume loads it later)."""
    for module in modules.values():
        if not hasattr(module, OWNER_BUFFER):
            owner = torch.zeros(module.weight.shape, dtype=OWNER_DTYPE,
                                device=module.weight.device)
            module.register_buffer(OWNER_BUFFER, owner)


def owner_of(module: nn.Module) -> torch.Tensor:
    """The owner buffer of ``module``; an error says which module lacks it."""
    owner = getattr(module, OWNER_BUFFER, None)
    if owner is None:
        raise AttributeError(f'{type(module).__name__} has no {OWNER_BUFFER!r} buffer; call '
                             f'attach_owners first')
    return owner


def attach_picks(modules: Mapping[str, nn.Module]) -> None:
    """Give each module an all-zero pick field unless it has one (a resume loads it later)."""
    for module in modules.values():
        if not hasattr(module, PICK_BUFFER):
            picks = torch.zeros(module.weight.shape, dtype=torch.int32,
                                device=module.weight.device)
            module.register_buffer(PICK_BUFFER, picks)


def _pick_bit(task: int) -> int:
    if not 1 <= task <= MAX_PICK_TASKS:
        raise ValueError(f'task {task} is outside the {MAX_PICK_TASKS} tasks a pick field holds')
    return 1 << (task - 1)


def picked(picks: torch.Tensor, task: int) -> torch.Tensor:
    """True where ``task`` uses the weight (meaningful on earlier tasks' weights only)."""
    return (picks & _pick_bit(task)) != 0


def record_picks(module: nn.Module, task: int, chosen: torch.Tensor) -> None:
    """Store ``task``'s binary choice of earlier weights in the module's pick field."""
    picks, bit = getattr(module, PICK_BUFFER), _pick_bit(task)
    picks.copy_(torch.where(chosen, picks | bit, picks & ~bit))


def visible(owner: torch.Tensor, task: int, picks: torch.Tensor | None = None) -> torch.Tensor:
    """True where task ``task`` reads a weight.

    Without picks (PackNet) that is every weight of tasks 1..``task``; with picks
    (CPG) it is ``task``'s own weights and the earlier ones it picked. Free
    weights and later tasks' weights are never visible.
    """
    if picks is None:
        return (owner >= 1) & (owner <= task)
    earlier = (owner >= 1) & (owner < task)
    return (owner == task) | (earlier & picked(picks, task))


def effective_weight(owner: torch.Tensor, weight: torch.Tensor, task: int,
                     picks: torch.Tensor | None = None) -> torch.Tensor:
    """The weight task ``task`` sees: its visible entries, zeros elsewhere."""
    if owner.shape != weight.shape:
        raise ValueError(f'owner shape {tuple(owner.shape)} differs from weight shape '
                         f'{tuple(weight.shape)}')
    return torch.where(visible(owner, task, picks), weight, torch.zeros_like(weight))


@contextmanager
def masked_for_task(modules: Mapping[str, nn.Module], task: int) -> Iterator[None]:
    """Temporarily replace each weight by its ``effective_weight`` for ``task``.

    Modules with a pick field are masked the CPG way, the others the PackNet way.

    The full weights are copied back on exit, bit for bit, so evaluation never
    needs a change to the model's code.
    """
    saved = {name: module.weight.detach().clone() for name, module in modules.items()}
    try:
        with torch.no_grad():
            for module in modules.values():
                picks = getattr(module, PICK_BUFFER, None)
                module.weight.copy_(effective_weight(owner_of(module), module.weight, task,
                                                     picks))
        yield
    finally:
        with torch.no_grad():
            for name, module in modules.items():
                module.weight.copy_(saved[name])


def owned_count(module: nn.Module, task: int) -> int:
    """How many weights of ``module`` task ``task`` owns."""
    return int((owner_of(module) == task).sum())


def free_smallest(module: nn.Module, task: int, count: int) -> int:
    """Free the ``count`` smallest-magnitude weights ``task`` owns (owner 0, value 0).

    Ties are broken by position, so exactly ``count`` are freed (all, if fewer
    are owned). Returns how many were freed.
    """
    owner, weight = owner_of(module).view(-1), module.weight.data.view(-1)
    owned = (owner == task).nonzero(as_tuple=True)[0]
    order = torch.argsort(weight[owned].abs(), stable=True)[:max(0, count)]
    freed = owned[order]
    owner[freed] = 0
    weight[freed] = 0
    return int(freed.numel())


def prune_smallest(module: nn.Module, task: int, ratio: float) -> int:
    """Free the ``round(ratio * n)`` smallest-magnitude of the ``n`` weights ``task`` owns."""
    if not 0.0 <= ratio < 1.0:
        raise ValueError(f'ratio={ratio!r} must be in [0, 1)')
    return free_smallest(module, task, round(ratio * owned_count(module, task)))
