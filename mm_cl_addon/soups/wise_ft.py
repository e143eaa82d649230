"""WiSE-FT (Wortsman et al., CVPR 2022): interpolate between a model and its fine-tuned version.

``theta(alpha) = (1 - alpha) * theta_0 + alpha * theta_1`` keeps much of the initial model's
robustness while gaining most of the fine-tuned accuracy. Only what both models share can be
interpolated: entries that exist only in the fine-tuned model, or whose shape changed there (a new
classification head), are taken from the fine-tuned model unchanged at every alpha, and integer
buffers (``num_batches_tracked``) come from the fine-tuned model too.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

import torch

from .state_dicts import Source, StateDict, check_compatible, is_averaged, read_state_dict


def _interpolated_keys(initial: StateDict, initial_name: str, fine_tuned: StateDict,
                       fine_tuned_name: str) -> list[str]:
    """The entries both models hold with the same shape; their dtypes must agree."""
    only_initial = [key for key in initial if key not in fine_tuned]
    if only_initial:
        raise ValueError(f'{only_initial} are in the initial model {initial_name} but not in the '
                         f'fine-tuned model {fine_tuned_name}; expected every initial parameter '
                         'to be fine-tuned')
    shared = [key for key in fine_tuned
              if key in initial and initial[key].shape == fine_tuned[key].shape]
    check_compatible(initial, initial_name, fine_tuned, fine_tuned_name, keys=shared)
    return [key for key in shared if is_averaged(fine_tuned[key])]


def _checked_alphas(alphas: Iterable[float]) -> list[float]:
    checked = [float(alpha) for alpha in alphas]
    for alpha in checked:
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f'alpha={alpha} is outside [0, 1]; expected a mixing coefficient '
                             'between the initial (0) and the fine-tuned (1) model')
    return checked


def _mix(theta_0: StateDict, theta_1: StateDict, mixed_keys: set[str], alpha: float
         ) -> StateDict:
    """One point of the path; the ends are copies, so they are bitwise the two models."""
    state = {}
    for key, value in theta_1.items():
        if key not in mixed_keys or alpha == 1.0:
            state[key] = value.detach().clone()
        elif alpha == 0.0:
            state[key] = theta_0[key].detach().clone()
        else:
            state[key] = torch.add(theta_0[key] * (1.0 - alpha), value, alpha=alpha)
    return state


def wise_ft(initial: Source, fine_tuned: Source, alphas: Iterable[float]
            ) -> Iterator[tuple[float, StateDict]]:
    """Yield ``(alpha, state_dict)`` for each alpha, each state dict with its own tensors.

    Both models (paths or dicts, mmengine checkpoints or bare state dicts) are read and checked,
    and every alpha validated, when this is called, so errors come before any work is done.
    The state dicts have the fine-tuned model's keys, in its order.
    """
    checked = _checked_alphas(alphas)
    theta_0, initial_name = read_state_dict(initial, 0)
    theta_1, fine_tuned_name = read_state_dict(fine_tuned, 1)
    mixed_keys = set(_interpolated_keys(theta_0, initial_name, theta_1, fine_tuned_name))
    return ((alpha, _mix(theta_0, theta_1, mixed_keys, alpha)) for alpha in checked)
