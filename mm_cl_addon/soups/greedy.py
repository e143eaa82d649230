"""Greedy soup (Wortsman et al., ICML 2022, recipe 1): add a model only if held-out score rises.

Candidates are visited from the best held-out score down; each is kept only if the uniform
average of the kept models and this one scores better on held-out data than the kept models
alone. Memory holds about three state dicts: the soup, the candidate and one reusable trial.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from .state_dicts import (
    Source,
    StateDict,
    check_compatible,
    clone_state_dict,
    layout_of,
    mean_step,
    read_state_dict,
)

ACCEPT_RULES: dict[str, Callable[[float, float], bool]] = {
    'strict': lambda trial, best: trial > best,
    'non-decreasing': lambda trial, best: trial >= best,
}


def _score_candidates(candidates: Sequence[Source],
                      evaluate: Callable[[StateDict], float]) -> list[float]:
    """Evaluate every candidate alone, one in memory at a time, checking each against the first."""
    scores = []
    reference: StateDict | None = None
    reference_name = ''
    for index, source in enumerate(candidates):
        state, name = read_state_dict(source, index)
        if reference is None:
            reference, reference_name = layout_of(state), name
        else:
            check_compatible(reference, reference_name, state, name)
        scores.append(float(evaluate(state)))
        del state
    return scores


def _checked_scores(candidates: Sequence[Source], scores: Sequence[float]) -> list[float]:
    if len(scores) != len(candidates):
        raise ValueError(f'scores must give one score per candidate: {len(candidates)} '
                         f'candidates but {len(scores)} scores')
    checked = [float(score) for score in scores]
    for index, score in enumerate(checked):
        if math.isnan(score):
            raise ValueError(f'scores[{index}] is NaN; expected a number to order candidates by')
    return checked


def greedy_soup(candidates: Sequence[Source], evaluate: Callable[[StateDict], float],
                scores: Sequence[float] | None = None, accept: str = 'strict',
                trial_buffer: StateDict | None = None
                ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Build a greedy soup; return the checkpoint and a log of every decision.

    Args:
        candidates: paths or dicts (mmengine checkpoints or bare state dicts).
        evaluate: held-out score of a state dict, higher is better. The dict it gets is reused
            for the next trial, so it must copy what it keeps (``load_state_dict`` does).
        scores: each candidate's own held-out score, aligned with ``candidates``; computed with
            ``evaluate`` when None. Equal scores keep the input order.
        accept: ``'strict'`` keeps a candidate when the trial scores above the best so far,
            ``'non-decreasing'`` also when it ties.
        trial_buffer: tensors to write each trial mix into, e.g. the evaluated model's own
            ``state_dict()`` (which shares the model's storage): the model then holds the
            trial in place, and soup, candidate and model are the only three copies in memory.
            Without it the recipe keeps a trial buffer of its own.

    Returns:
        ``{'state_dict', 'meta': {recipe, accept, ingredients, held_out_score}}`` and a log with
        ``order`` (name and own score of each candidate, best first), ``steps`` (name, score and
        ``accepted`` per candidate; the first is the best candidate alone, always accepted),
        ``accepted`` (names) and ``final_score``.
    """
    if accept not in ACCEPT_RULES:
        raise ValueError(f'accept={accept!r} is not a rule; expected one of {list(ACCEPT_RULES)}')
    if len(candidates) == 0:
        raise ValueError('greedy_soup needs at least one candidate, got none')
    own_scores = (_score_candidates(candidates, evaluate) if scores is None
                  else _checked_scores(candidates, scores))
    order = sorted(range(len(candidates)), key=lambda index: -own_scores[index])
    is_better = ACCEPT_RULES[accept]

    best, best_name = read_state_dict(candidates[order[0]], order[0])
    soup = clone_state_dict(best)
    del best
    if trial_buffer is None:
        trial = clone_state_dict(soup)  # integer buffers stay the best candidate's in both
    else:
        check_compatible(soup, best_name, trial_buffer, 'trial_buffer')
        trial = trial_buffer
        for key, value in soup.items():
            trial[key].copy_(value)
    best_score = own_scores[order[0]]
    accepted = [best_name]
    steps = [{'name': best_name, 'score': best_score, 'accepted': True}]
    order_log = [{'name': best_name, 'score': best_score}]
    for index in order[1:]:
        state, name = read_state_dict(candidates[index], index)
        check_compatible(soup, best_name, state, name)
        mean_step(soup, state, len(accepted) + 1, out=trial)
        del state
        trial_score = float(evaluate(trial))
        kept = is_better(trial_score, best_score)
        if kept:
            if trial_buffer is None:  # the trial is the new soup; the old soup the next buffer
                soup, trial = trial, soup
            else:  # the buffer belongs to the caller: copy out of it
                for key, value in trial.items():
                    soup[key].copy_(value)
            best_score = trial_score
            accepted.append(name)
        order_log.append({'name': name, 'score': own_scores[index]})
        steps.append({'name': name, 'score': trial_score, 'accepted': kept})
    meta = {'recipe': 'greedy', 'accept': accept, 'ingredients': accepted,
            'held_out_score': best_score}
    log = {'order': order_log, 'steps': steps, 'accepted': accepted, 'final_score': best_score}
    return {'state_dict': soup, 'meta': meta}, log
