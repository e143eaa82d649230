"""Per-weight task owners for PackNet-style parameter sharing.

Every ``nn.Conv2d``/``nn.Linear`` in scope carries an integer buffer
``packnet_owner`` shaped like its weight: 0 marks a free (pruned) weight, k the
weights task k (1-based) trained and owns. Being a buffer, it is saved and loaded
with the model's state dict, so checkpoints stay tensors only.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import torch
from torch import nn

OWNER_BUFFER = 'packnet_owner'
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
            owner = torch.zeros(module.weight.shape, dtype=torch.int16,
                                device=module.weight.device)
            module.register_buffer(OWNER_BUFFER, owner)


def owner_of(module: nn.Module) -> torch.Tensor:
    """The owner buffer of ``module``; an error says which module lacks it."""
    owner = getattr(module, OWNER_BUFFER, None)
    if owner is None:
        raise AttributeError(f'{type(module).__name__} has no {OWNER_BUFFER!r} buffer; call '
                             f'attach_owners first')
    return owner


def visible(owner: torch.Tensor, task: int) -> torch.Tensor:
    """True where a weight belongs to one of tasks 1..``task`` (free weights never do)."""
    return (owner >= 1) & (owner <= task)


def effective_weight(owner: torch.Tensor, weight: torch.Tensor, task: int) -> torch.Tensor:
    """The weight task ``task`` sees: its own and earlier tasks' entries, zeros elsewhere."""
    if owner.shape != weight.shape:
        raise ValueError(f'owner shape {tuple(owner.shape)} differs from weight shape '
                         f'{tuple(weight.shape)}')
    return torch.where(visible(owner, task), weight, torch.zeros_like(weight))


@contextmanager
def masked_for_task(modules: Mapping[str, nn.Module], task: int) -> Iterator[None]:
    """Temporarily replace each weight by its ``effective_weight`` for ``task``.

    The full weights are copied back on exit, bit for bit, so evaluation never
    needs a change to the model's code.
    """
    saved = {name: module.weight.detach().clone() for name, module in modules.items()}
    try:
        with torch.no_grad():
            for module in modules.values():
                module.weight.copy_(effective_weight(owner_of(module), module.weight, task))
        yield
    finally:
        with torch.no_grad():
            for name, module in modules.items():
                module.weight.copy_(saved[name])


def prune_smallest(module: nn.Module, task: int, ratio: float) -> int:
    """Free the ``round(ratio * n)`` smallest-magnitude of the ``n`` weights ``task`` owns.

    Freed weights get owner 0 and value 0, ready for later tasks. Ties are
    broken by position, so the count is exact. Returns how many were freed.
    """
    if not 0.0 <= ratio < 1.0:
        raise ValueError(f'ratio={ratio!r} must be in [0, 1)')
    owner, weight = owner_of(module).view(-1), module.weight.data.view(-1)
    owned = (owner == task).nonzero(as_tuple=True)[0]
    count = round(ratio * owned.numel())
    order = torch.argsort(weight[owned].abs(), stable=True)[:count]
    freed = owned[order]
    owner[freed] = 0
    weight[freed] = 0
    return count
