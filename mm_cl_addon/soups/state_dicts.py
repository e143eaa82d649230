"""Read, check and average the state dicts that soups are made of.

Every recipe reads its ingredients through :func:`read_state_dict`, so a file and an in-memory
dict behave the same, and checks each against a reference with :func:`check_compatible` before
any arithmetic, so a mismatch names the parameter and both ingredients instead of failing
somewhere inside torch.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any, Union

import torch
from torch import Tensor

from mm_cl_addon.compat import load_checkpoint

Source = Union[str, os.PathLike, Mapping[str, Any]]
StateDict = dict[str, Tensor]


def source_name(source: Source, index: int | None = None) -> str:
    """The name an ingredient goes by in errors and logs: its path, or its place in the input."""
    if isinstance(source, Mapping):
        return '<in-memory>' if index is None else f'<in-memory #{index}>'
    return os.fspath(source)


def read_state_dict(source: Source, index: int | None = None) -> tuple[StateDict, str]:
    """The state dict of a checkpoint file or dict, and its display name.

    ``source`` is a path (read through :func:`mm_cl_addon.compat.load_checkpoint`) or a dict,
    holding either an mmengine checkpoint (a dict with ``'state_dict'``) or a bare state dict.
    ``index`` is the ingredient's position in the caller's input; it names in-memory dicts
    (``'<in-memory #index>'``), since they have no path. The tensors are not copied.
    """
    name = source_name(source, index)
    content = source if isinstance(source, Mapping) else load_checkpoint(source, 'cpu')
    if not isinstance(content, Mapping):
        raise ValueError(f'{name}: expected a checkpoint dict or a state dict, '
                         f'got {type(content).__name__}')
    state = content['state_dict'] if 'state_dict' in content else content
    if not isinstance(state, Mapping):
        raise ValueError(f"{name}: expected 'state_dict' to be a dict of tensors, "
                         f'got {type(state).__name__}')
    for key, value in state.items():
        if not isinstance(value, Tensor):
            raise ValueError(f"{name}: expected a state dict of tensors, but key {key!r} holds "
                             f'{type(value).__name__} (a checkpoint must keep its weights '
                             "under 'state_dict')")
    return dict(state), name


def is_averaged(tensor: Tensor) -> bool:
    """Whether soups average this entry: floating-point weights and statistics are averaged.

    Integer and bool buffers (BatchNorm's ``num_batches_tracked``, index tables) have no
    meaningful mean, so recipes copy them from one ingredient instead.
    """
    return tensor.is_floating_point() or tensor.is_complex()


def _shape(tensor: Tensor) -> str:
    return str(tuple(tensor.shape))


def check_compatible(reference: Mapping[str, Tensor], reference_name: str,
                     other: Mapping[str, Tensor], other_name: str,
                     keys: Iterable[str] | None = None) -> None:
    """Raise ValueError unless ``other`` has the keys, shapes and dtypes of ``reference``.

    With ``keys`` only those entries are compared (both must have them); otherwise the key sets
    must be equal, and the error lists the missing and the extra keys.
    """
    if keys is None:
        keys = list(reference)
        missing = [key for key in reference if key not in other]
        extra = [key for key in other if key not in reference]
    else:
        keys = list(keys)
        missing = [key for key in keys if key not in other]
        extra = []
        absent = [key for key in keys if key not in reference]
        if absent:
            raise ValueError(f'{reference_name} lacks the parameters {absent} to compare '
                             f'with {other_name}')
    if missing or extra:
        problems = []
        if missing:
            problems.append(f'missing {missing} (in {reference_name} but not in {other_name})')
        if extra:
            problems.append(f'extra {extra} (in {other_name} but not in {reference_name})')
        raise ValueError(f'{other_name} does not have the parameters of {reference_name}: '
                         + '; '.join(problems))
    for key in keys:
        ref, oth = reference[key], other[key]
        if ref.shape != oth.shape:
            raise ValueError(f'parameter {key!r}: shape {_shape(ref)} in {reference_name} '
                             f'but {_shape(oth)} in {other_name}')
        if ref.dtype != oth.dtype:
            raise ValueError(f'parameter {key!r}: dtype {ref.dtype} in {reference_name} '
                             f'but {oth.dtype} in {other_name}')


def layout_of(state: Mapping[str, Tensor]) -> StateDict:
    """Memory-free stand-ins (meta tensors) of ``state``, to check later ingredients against."""
    return {key: torch.empty_like(value, device='meta') for key, value in state.items()}


def clone_state_dict(state: Mapping[str, Tensor]) -> StateDict:
    """A copy the recipes may update in place without touching the caller's tensors."""
    return {key: value.detach().clone() for key, value in state.items()}


def mean_step(mean: Mapping[str, Tensor], state: Mapping[str, Tensor], count: int,
              out: Mapping[str, Tensor]) -> None:
    """Write into ``out`` the mean of ``count`` ingredients: ``mean`` of the first ``count - 1``
    and ``state``; non-averaged entries are left as they are in ``out``.

    ``mean + (x - mean) / count`` works in the parameters' own dtype without the overflow a
    running sum risks in half precision; ``out`` may be ``mean`` itself.
    """
    weight = 1.0 / count
    for key, target in out.items():
        if is_averaged(target):
            torch.lerp(mean[key], state[key], weight, out=target)
