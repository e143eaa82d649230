"""Decision regions of a 2D classifier: its predicted class over a grid of the plane, drawn.

The 2D streams (MODES, MOONS) live in [-1, 1]^2, so forgetting can be seen: after each
distribution the regions of earlier classes shrink or move. The grid follows the papers'
public code (``plot_2d_data_and_predictions``: step 0.01 over [-1.01, 1.01]^2).
"""
from __future__ import annotations

import os

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..utils.io import atomic_write

MODE_MARKERS = ('o', '^')  # as tools/data/gen_2d_datasets.py draws the modes


def grid_points(step: float = 0.01, limit: float = 1.01) -> tuple[np.ndarray, np.ndarray]:
    """The grid's axis values ``[G]`` and its points ``[G * G, 2]`` (x varies fastest)."""
    if step <= 0 or limit <= 0:
        raise ValueError(f'step and limit must be > 0, got step={step}, limit={limit}')
    axis = np.arange(-limit, limit + step / 2, step, dtype=np.float64)
    xx, yy = np.meshgrid(axis, axis)
    return axis, np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float32)


def draw_decision_regions(axis: np.ndarray, predictions: np.ndarray, points: np.ndarray,
                          labels: np.ndarray, num_classes: int, title: str,
                          modes: np.ndarray | None = None) -> Figure:
    """Predicted class as coloured regions, the points on top (colour = class, marker = mode).

    Drawn without pyplot, so no global figure state is touched.
    """
    size = len(axis)
    if predictions.shape != (size * size,):
        raise ValueError(f'predictions must hold one class per grid point ({size * size}), '
                         f'got shape {predictions.shape}')
    colours = colormaps['tab10'].colors[:num_classes]
    figure = Figure(figsize=(5.2, 5.6), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.pcolormesh(axis, axis, predictions.reshape(size, size), cmap=ListedColormap(colours),
                    vmin=-0.5, vmax=num_classes - 0.5, alpha=0.3, shading='nearest')
    modes = np.zeros(len(labels), np.int64) if modes is None else modes
    for mode, marker in enumerate(MODE_MARKERS):
        chosen = modes == mode
        if chosen.any():
            axes.scatter(points[chosen, 0], points[chosen, 1], s=10, marker=marker,
                         color=[colours[label] for label in labels[chosen]],
                         edgecolors='black', linewidths=0.3)
    axes.set(xlim=(axis[0], axis[-1]), ylim=(axis[0], axis[-1]), aspect='equal')
    handles = [Line2D([], [], linestyle='', marker='s', color=colours[label],
                      label=f'class {label}') for label in range(num_classes)]
    figure.legend(handles=handles, loc='lower center', ncol=num_classes, frameon=False)
    axes.set_title(title, fontsize=10)
    figure.subplots_adjust(bottom=0.12, top=0.93)
    return figure


def save_figure(figure: Figure, path: str | os.PathLike) -> None:
    """Write ``figure`` as PNG through a temporary file."""
    with atomic_write(path, 'wb') as handle:
        figure.savefig(handle, format='png')
