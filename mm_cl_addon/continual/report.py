"""Write continual-learning results where people and tools look for them.

One call leaves a JSON summary and a heatmap in the work dir and, given an
mmengine ``Visualizer``, forwards both to every backend it has (local files,
TensorBoard, ...). The text tables serve logs and method comparisons.
"""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from mmengine.visualization import Visualizer

from mm_cl_addon.utils import atomic_write, atomic_write_json
from mm_cl_addon.utils.files import InputFileError, read_json

from .metrics import ArrayLike, as_accuracy_matrix, summarize

_SCORE_COLUMNS = (('ACC', 'average_accuracy'), ('forgetting', 'average_forgetting'),
                  ('BWT', 'backward_transfer'), ('FWT', 'forward_transfer'))
# Shown when some run reports it; '-' for the others.
_OPTIONAL_COLUMNS = (('weights used', 'weights_used'),)


def _task_names(num_tasks: int, task_names: Sequence[str] | None) -> list[str]:
    if task_names is None:
        return [f'task {t}' for t in range(1, num_tasks + 1)]
    names = [str(name) for name in task_names]
    if len(names) != num_tasks:
        raise ValueError(f'task_names must name all {num_tasks} tasks, got {len(names)} names')
    return names


def _row_names(names: list[str]) -> list[str]:
    return ['before', *(f'after {name}' for name in names)]


def format_accuracy_matrix(R: ArrayLike, task_names: Sequence[str] | None = None) -> str:
    """Fixed-width text table of ``R`` in percent, for logs; the first rows are enough."""
    matrix = as_accuracy_matrix(R, partial=True)
    names = _task_names(matrix.shape[1], task_names)
    rows = _row_names(names)
    label_width = max(len(row) for row in rows)
    widths = [max(len(name), 6) for name in names]
    lines = [' '.join([' ' * label_width, *(n.rjust(w) for n, w in zip(names, widths))])]
    for label, values in zip(rows, matrix):
        cells = (f'{100 * value:.2f}'.rjust(w) for value, w in zip(values, widths))
        lines.append(' '.join([label.ljust(label_width), *cells]))
    return '\n'.join(lines)


def format_task_scores(scores: Sequence[float]) -> str:
    """One evaluation of every task (e.g. after joint training), in percent."""
    names = _task_names(len(scores), None)
    widths = [max(len(name), 6) for name in names]
    return '\n'.join([' '.join(n.rjust(w) for n, w in zip(names, widths)),
                      ' '.join(f'{100 * s:.2f}'.rjust(w) for s, w in zip(scores, widths))])


def read_run_summary(work_dir: str | os.PathLike) -> dict:
    """The scores a run left in its work dir, for comparing methods.

    A continual run (``ContinualTrainLoop``) leaves ``continual_accuracy.json``; a
    run of a stock loop evaluated by ``ContinualValLoop`` (joint training) leaves
    only its last per-task scores, ``task_scores.json``: its average accuracy is
    their mean, and forgetting and transfer, which need a task sequence, are None.
    """
    folder = Path(work_dir)
    matrix_file, scores_file = folder / 'continual_accuracy.json', folder / 'task_scores.json'
    if matrix_file.is_file():
        summary = read_json(matrix_file, 'continual accuracy report', expected=dict)
    elif scores_file.is_file():
        scores = _read_key(scores_file, 'task scores file', 'task_scores')
        if not isinstance(scores, list) or not scores or not all(
                isinstance(score, (int, float)) and not isinstance(score, bool)
                for score in scores):
            raise InputFileError(scores_file, 'task scores file', '"task_scores" must be a '
                                 f'non-empty list of numbers, got {scores!r}')
        summary = dict(average_accuracy=float(np.mean(scores)), average_forgetting=None,
                       backward_transfer=None, forward_transfer=None,
                       accuracy_matrix=[scores], num_tasks=len(scores))
    else:
        raise FileNotFoundError(f'{folder} has neither continual_accuracy.json nor '
                                f'task_scores.json; was it the work dir of a run evaluated by '
                                f'ContinualValLoop?')
    owners_file = folder / 'weight_owners.json'
    if owners_file.is_file():
        summary['weights_used'] = _read_key(owners_file, 'weight owners file', 'weights_used')
    return summary


def _read_key(path: Path, what: str, key: str) -> Any:
    """``key`` of a file holding a JSON object; its absence is an error naming the file."""
    data = read_json(path, what, expected=dict)
    if key not in data:
        raise InputFileError(path, what, f'has no "{key}" key (it has {sorted(data)})')
    return data[key]


def format_runs(summaries: Mapping[str, Mapping]) -> str:
    """Each run's accuracy matrix (or scores of its one evaluation), then their comparison:
    what ``tools/continual/compare.py`` and ``make demo`` print."""
    parts = []
    for name, summary in summaries.items():
        matrix = summary['accuracy_matrix']
        parts.append(f'{name}: accuracy (%) on each task\n' + (
            format_task_scores(matrix[0]) if len(matrix) == 1 else format_accuracy_matrix(matrix)))
    legend = ('Scores (%): ACC = average accuracy after the last task, forgetting = average '
              'forgetting,\nBWT / FWT = backward / forward transfer, weights used = share of the '
              'masked weights\nthat tasks own (PackNet, CPG); - = not defined for the run')
    return '\n\n'.join([*parts, legend + '\n' + format_comparison_table(summaries)])


def format_comparison_table(rows: Mapping[str, Mapping]) -> str:
    """Fixed-width table of method name -> ``summarize`` dict: ACC, forgetting, BWT, FWT (%).

    A score that does not apply to a method (None) shows as '-'. The share of
    weights used (PackNet, CPG) is a column when some run has it.
    """
    for method, summary in rows.items():
        for _, key in _SCORE_COLUMNS:
            if key not in summary:
                raise KeyError(f'summary of method {method!r} is missing the key {key!r}')
    columns = [*_SCORE_COLUMNS, *(column for column in _OPTIONAL_COLUMNS
                                  if any(column[1] in summary for summary in rows.values()))]
    method_width = max([len('method'), *(len(str(method)) for method in rows)])
    widths = [max(len(title), 7) for title, _ in columns]
    header = ['method'.ljust(method_width),
              *(title.rjust(w) for (title, _), w in zip(columns, widths))]
    lines = [' '.join(header)]
    for method, summary in rows.items():
        cells = (('-' if summary.get(key) is None else f'{100 * summary[key]:.2f}').rjust(w)
                 for (_, key), w in zip(columns, widths))
        lines.append(' '.join([str(method).ljust(method_width), *cells]))
    return '\n'.join(lines)


def format_final_summary(summary: Mapping[str, Any], json_path: str | os.PathLike,
                         png_path: str | os.PathLike) -> str:
    """The last lines of a continual run: its scores and where the report went."""
    scores = ', '.join(f'{title} {100 * summary[key]:.2f}%' for title, key in _SCORE_COLUMNS)
    return f'Final scores: {scores}\nReport: {json_path}\nHeatmap: {png_path}'


def _heatmap(matrix: np.ndarray, names: list[str], summary: dict) -> Figure:
    """Draw without pyplot so no global backend or figure state is touched."""
    num_tasks = matrix.shape[1]
    figure = Figure(figsize=(2.0 + 1.0 * num_tasks, 1.5 + 0.5 * (num_tasks + 1)), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    percent = 100 * matrix
    image = axes.imshow(percent, cmap='viridis', vmin=0.0, vmax=100.0, aspect='auto')
    axes.set_xticks(range(num_tasks), names)
    axes.set_yticks(range(num_tasks + 1), _row_names(names))
    axes.set_xlabel('evaluated on')
    for (row, col), value in np.ndenumerate(percent):
        axes.text(col, row, f'{value:.1f}', ha='center', va='center', fontsize=8,
                  color='black' if value > 60 else 'white')
    figure.colorbar(image, ax=axes, fraction=0.05, label='accuracy (%)')
    axes.set_title(f"ACC {100 * summary['average_accuracy']:.2f}%, "
                   f"forgetting {100 * summary['average_forgetting']:.2f}%", fontsize=10)
    figure.tight_layout()
    return figure


def _rgb(figure: Figure) -> np.ndarray:
    canvas = figure.canvas
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def write_accuracy_report(R: ArrayLike,
                          work_dir: str | os.PathLike,
                          task_names: Sequence[str] | None = None,
                          visualizer: Visualizer | None = None,
                          step: int = 0,
                          prefix: str = 'continual',
                          record: Mapping[str, Any] | None = None) -> dict:
    """Write ``<prefix>_accuracy.json`` and ``<prefix>_accuracy_matrix.png``; return the summary.

    With a ``visualizer``, also send the scores as scalars ``<prefix>/<score>`` and the
    heatmap as image ``<prefix>_accuracy_matrix`` at ``step``. ``record`` (what reproduces the
    run: :func:`mm_cl_addon.utils.run_record.run_record`) is stored under ``'run'``.
    """
    if not prefix or '/' in prefix or os.sep in prefix:
        raise ValueError(f'prefix must be a non-empty name without path separators, '
                         f'got {prefix!r}')
    matrix = as_accuracy_matrix(R)
    names = _task_names(matrix.shape[1], task_names)
    summary = summarize(matrix)
    out_dir = Path(work_dir)
    atomic_write_json(out_dir / f'{prefix}_accuracy.json',
                      summary if record is None else dict(summary, run=dict(record)))
    figure = _heatmap(matrix, names, summary)
    with atomic_write(out_dir / f'{prefix}_accuracy_matrix.png', 'wb') as handle:
        figure.savefig(handle, format='png')
    if visualizer is not None:
        scores = {f'{prefix}/{key}': summary[key] for _, key in _SCORE_COLUMNS}
        visualizer.add_scalars(scores, step=step)
        # No '/' in the name: LocalVisBackend does not create sub-folders for images.
        visualizer.add_image(f'{prefix}_accuracy_matrix', _rgb(figure), step=step)
    return summary
