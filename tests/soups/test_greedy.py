"""Greedy soup: candidates best first, each kept only if the held-out score rises (or holds)."""
from __future__ import annotations

import random

import pytest
import torch

from mm_cl_addon.soups import greedy_soup


def _candidate(value: float, tag: int) -> dict[str, torch.Tensor]:
    return {'w': torch.tensor([value], dtype=torch.float64), 'n': torch.tensor(tag)}


def _flat_band(state: dict[str, torch.Tensor]) -> float:
    """Best (0) anywhere within 0.12 of 1.0, worse linearly outside: makes ties on purpose."""
    return -max(abs(state['w'].item() - 1.0) - 0.12, 0.0)


# P and Q tie at 0 (P first in the input), then R (-0.18), then S (-0.68).
VALUES = {'P': 1.0, 'Q': 1.0, 'R': 1.3, 'S': 0.2}


def _run(accept: str, scores=None):
    candidates = [_candidate(value, tag) for tag, value in enumerate(VALUES.values())]
    return greedy_soup(candidates, _flat_band, scores=scores, accept=accept)


def test_strict_rejects_ties():
    soup, log = _run('strict')
    # Q: trial 1.0 ties 0; R: (1 + 1.3) / 2 = 1.15 -> -0.03; S: (1 + 0.2) / 2 = 0.6 -> -0.28.
    assert [step['accepted'] for step in log['steps']] == [True, False, False, False]
    assert [step['score'] for step in log['steps']] == pytest.approx([0, 0, -0.03, -0.28])
    assert log['accepted'] == ['<in-memory #0>']
    assert soup['state_dict']['w'].item() == 1.0


def test_non_decreasing_accepts_ties_and_weights_the_trial_by_soup_size():
    soup, log = _run('non-decreasing')
    # Q: tie, kept; R: (2 * 1 + 1.3) / 3 = 1.1 -> 0, kept; S: (3 * 1.1 + 0.2) / 4 = 0.875 -> -0.005.
    assert [step['accepted'] for step in log['steps']] == [True, True, True, False]
    assert [step['score'] for step in log['steps']] == pytest.approx([0, 0, 0, -0.005])
    assert log['accepted'] == ['<in-memory #0>', '<in-memory #1>', '<in-memory #2>']
    assert soup['state_dict']['w'].item() == pytest.approx(1.1)
    assert soup['state_dict']['n'].item() == 0  # integer buffers of the best candidate
    assert soup['meta'] == {'recipe': 'greedy', 'accept': 'non-decreasing',
                            'ingredients': log['accepted'], 'held_out_score': 0.0}


def test_scores_none_evaluates_each_candidate_once_more():
    calls = []

    def evaluate(state):
        calls.append(state['w'].item())
        return _flat_band(state)

    candidates = [_candidate(value, tag) for tag, value in enumerate((0.2, 1.3, 1.0))]
    _, log = greedy_soup(candidates, evaluate)
    assert calls[:3] == [0.2, 1.3, 1.0] and len(calls) == 5
    assert [entry['name'] for entry in log['order']] == [
        '<in-memory #2>', '<in-memory #1>', '<in-memory #0>']
    assert [entry['score'] for entry in log['order']] == pytest.approx([0, -0.18, -0.68])


def test_given_scores_order_candidates_stably():
    candidates = [_candidate(1.0, tag) for tag in range(4)]
    _, log = greedy_soup(candidates, _flat_band, scores=[0.5, 0.9, 0.5, 0.9])
    assert [entry['name'] for entry in log['order']] == [
        '<in-memory #1>', '<in-memory #3>', '<in-memory #0>', '<in-memory #2>']
    assert log['steps'][0] == {'name': '<in-memory #1>', 'score': 0.9, 'accepted': True}


@pytest.mark.parametrize('accept', ['strict', 'non-decreasing'])
@pytest.mark.parametrize('seed', range(5))
def test_final_score_is_never_below_the_best_ingredient(seed, accept):
    rng = random.Random(seed)
    target = torch.tensor([rng.uniform(-1, 1) for _ in range(3)], dtype=torch.float64)

    def evaluate(state):
        return -float((state['w'] - target).norm())

    candidates = [{'w': torch.tensor([rng.uniform(-2, 2) for _ in range(3)],
                                     dtype=torch.float64)} for _ in range(6)]
    soup, log = greedy_soup(candidates, evaluate, accept=accept)
    own = [entry['score'] for entry in log['order']]
    assert log['final_score'] >= max(own)
    assert evaluate(soup['state_dict']) == log['final_score']  # the soup is the scored trial
    kept = [int(name.split('#')[1].rstrip('>')) for name in log['accepted']]
    mean = torch.stack([candidates[index]['w'] for index in kept]).mean(0)
    torch.testing.assert_close(soup['state_dict']['w'], mean)


def test_files_are_read_and_checked(tmp_path):
    torch.save({'state_dict': _candidate(1.0, 0)}, tmp_path / 'a.pth')
    torch.save({'state_dict': {'w': torch.zeros(2, dtype=torch.float64), 'n': torch.tensor(0)}},
               tmp_path / 'b.pth')
    with pytest.raises(ValueError, match=r"'w': shape \(1,\) in .*a.pth but \(2,\) in .*b.pth"):
        greedy_soup([tmp_path / 'a.pth', tmp_path / 'b.pth'], _flat_band)


def test_invalid_arguments():
    candidates = [_candidate(1.0, 0)]
    with pytest.raises(ValueError, match="accept='greedier'"):
        greedy_soup(candidates, _flat_band, accept='greedier')
    with pytest.raises(ValueError, match='1 candidates but 2 scores'):
        greedy_soup(candidates, _flat_band, scores=[1.0, 2.0])
    with pytest.raises(ValueError, match='at least one'):
        greedy_soup([], _flat_band)


@pytest.mark.parametrize('accept', ['strict', 'non-decreasing'])
def test_trial_buffer_gives_the_same_soup_and_holds_each_trial(accept):
    expected, expected_log = _run(accept)
    buffer = {'w': torch.zeros(1, dtype=torch.float64), 'n': torch.tensor(0)}
    seen = []

    def evaluate(state):
        assert state is buffer  # the caller's tensors hold the trial in place
        seen.append(state['w'].item())
        return _flat_band(state)

    candidates = [_candidate(value, tag) for tag, value in enumerate(VALUES.values())]
    soup, log = greedy_soup(candidates, evaluate, scores=[0, 0, -0.18, -0.68], accept=accept,
                            trial_buffer=buffer)
    assert log['steps'] == expected_log['steps']
    assert soup['state_dict']['w'].item() == pytest.approx(expected['state_dict']['w'].item())
    assert len(seen) == 3 and soup['state_dict']['w'] is not buffer['w']
