"""Uniform soup: the plain average of fine-tuned models (Wortsman et al., ICML 2022).

Ingredients are read one at a time into a running mean, so memory holds about two state dicts
(the soup and the ingredient being read) however many ingredients there are.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .state_dicts import Source, check_compatible, clone_state_dict, mean_step, read_state_dict


def uniform_soup(checkpoints: Sequence[Source]) -> dict[str, Any]:
    """Average the floating-point entries of ``checkpoints``; integer buffers come from the first.

    Each item is a path or a dict (mmengine checkpoint or bare state dict). Returns an mmengine-
    style checkpoint: ``{'state_dict': ..., 'meta': {'recipe': 'uniform', 'ingredients': names}}``.
    """
    if len(checkpoints) == 0:
        raise ValueError('uniform_soup needs at least one checkpoint, got none')
    first, first_name = read_state_dict(checkpoints[0], 0)
    soup = clone_state_dict(first)
    del first
    names = [first_name]
    for index in range(1, len(checkpoints)):
        state, name = read_state_dict(checkpoints[index], index)
        check_compatible(soup, first_name, state, name)
        mean_step(soup, state, index + 1, out=soup)
        names.append(name)
        del state  # release this ingredient before the next is read
    return {'state_dict': soup, 'meta': {'recipe': 'uniform', 'ingredients': names}}
