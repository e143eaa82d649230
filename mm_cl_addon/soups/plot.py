"""The soup figure: held-out score as ingredients are added, next to the individual models."""
from __future__ import annotations

import os
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..utils import atomic_write


def plot_soup(path: str | os.PathLike, individual_scores: Sequence[float],
              greedy_steps: Sequence[dict] = (), uniform_score: float | None = None,
              metric: str = 'held-out accuracy') -> None:
    """Write a PNG: individual models by rank, the greedy trials, the uniform soup.

    ``greedy_steps`` are greedy_soup's log steps (``score`` of the trial, ``accepted``),
    the first being the best ingredient alone.
    """
    figure = Figure(figsize=(6.4, 4.0), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    ranked = sorted(individual_scores, reverse=True)
    axes.scatter(range(1, len(ranked) + 1), ranked, color='gray', label='individual models')
    if greedy_steps:
        running, best = [], float('-inf')
        for step in greedy_steps:
            if step['accepted']:
                best = step['score']
            running.append(best)
        axes.plot(range(1, len(running) + 1), running, marker='o', color='tab:blue',
                  label='greedy soup (best so far)')
        rejected = [(i + 1, s['score']) for i, s in enumerate(greedy_steps) if not s['accepted']]
        if rejected:
            axes.scatter(*zip(*rejected), marker='x', color='tab:red', label='rejected trial')
    if uniform_score is not None:
        axes.axhline(uniform_score, color='tab:green', linestyle='--', label='uniform soup')
    axes.set_xlabel('ingredients (ranked by individual score)')
    axes.set_ylabel(metric)
    axes.legend(loc='lower left', fontsize=8)
    figure.tight_layout()
    with atomic_write(path, 'wb') as handle:
        figure.savefig(handle, format='png')


def plot_interpolation(path: str | os.PathLike, alphas: Sequence[float],
                       scores: dict[str, Sequence[float]], metric: str = 'accuracy') -> None:
    """Write a PNG of each split's score along the WiSE-FT path (0: initial, 1: fine-tuned)."""
    figure = Figure(figsize=(6.4, 4.0), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for split, values in scores.items():
        axes.plot(alphas, values, marker='o', label=split)
    axes.set_xlabel('alpha (0 = initial, 1 = fine-tuned)')
    axes.set_ylabel(metric)
    axes.legend(fontsize=8)
    figure.tight_layout()
    with atomic_write(path, 'wb') as handle:
        figure.savefig(handle, format='png')
