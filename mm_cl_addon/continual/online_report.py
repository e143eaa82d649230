"""Read the online 2D protocol's results from work dirs and tabulate them over seeds.

``OnlineStreamEvalHook`` leaves ``online_stream_metrics.json`` in every work dir; a
results table reports, per method and benchmark, the mean and standard deviation over
seeds of a split's final scores (the papers report test accuracy and forgetting, as
mean and std over three seeds).
"""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..utils.files import InputFileError, read_json

RESULTS_FILE = 'online_stream_metrics.json'


def read_final_scores(work_dir: str | os.PathLike, split: str = 'test',
                      file_name: str = RESULTS_FILE) -> dict[str, float]:
    """The scores of ``split`` at its last filled row, as left by ``OnlineStreamEvalHook``."""
    path = Path(work_dir) / file_name
    what = 'online stream metrics file'
    data = read_json(path, what, expected=dict,
                     hint='train with OnlineStreamEvalHook in custom_hooks to write it')
    splits = data.get('splits')
    if not isinstance(splits, dict) or not all(
            isinstance(entry, dict) and 'final' in entry for entry in splits.values()):
        raise InputFileError(path, what, '"splits" must map each split name to an object '
                             'with "final"')
    if split not in splits:
        raise KeyError(f'{path} has no split {split!r} (it has {sorted(splits)})')
    final = splits[split]['final']
    if final is None:
        raise ValueError(f'{path}: split {split!r} has no evaluated distribution yet')
    return final


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and population standard deviation (ddof=0) of the per-seed values."""
    array = np.asarray(values, dtype=np.float64)
    if array.size == 0:
        raise ValueError('mean_std needs at least one value')
    return float(array.mean()), float(array.std())


def format_results_markdown(results: Mapping[str, Mapping[str, Sequence[Mapping[str, float]]]],
                            benchmarks: Sequence[str],
                            scores: Sequence[tuple[str, str]] = (
                                ('ACC', 'avg_accuracy'), ('forgetting', 'avg_forgetting'))
                            ) -> str:
    """A Markdown table: one row per method, ``mean ± std`` (percent) per benchmark and score.

    ``results[method][benchmark]`` is the list of per-seed score dicts; a missing cell is '-'.
    """
    header = ['method', *(f'{bench} {title}' for bench in benchmarks for title, _ in scores)]
    lines = ['| ' + ' | '.join(header) + ' |', '|' + ' --- |' * len(header)]
    for method, per_bench in results.items():
        cells = [method]
        for bench in benchmarks:
            runs = per_bench.get(bench, ())
            for _, key in scores:
                if not runs:
                    cells.append('-')
                    continue
                mean, std = mean_std([100 * run[key] for run in runs])
                cells.append(f'{mean:.2f} ± {std:.2f}')
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)
