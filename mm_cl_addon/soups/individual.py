"""The individual scores of soup ingredients, kept as a JSONL file that a rerun resumes.

One line per checkpoint: ``{"checkpoint": path, "score": float, "metrics": {...}}``.
The file is rewritten atomically after every model, so an interrupted
evaluation keeps every finished model and never leaves half a line.
"""
from __future__ import annotations

import glob
import json
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from mmengine.dist import is_main_process
from mmengine.logging import print_log

from ..utils import atomic_write_text
from ..utils.files import InputFileError, read_jsonl
from .state_dicts import read_state_dict


def expand_checkpoints(patterns: Iterable[str]) -> list[str]:
    """Paths and glob patterns, expanded in sorted order; a pattern matching nothing fails."""
    paths: list[str] = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if not matches or not all(os.path.isfile(path) for path in matches):
            raise FileNotFoundError(f'no checkpoint file matches {pattern!r}')
        paths += [path for path in matches if path not in paths]
    return paths


def read_records(path: str | os.PathLike) -> list[dict]:
    """The records of a JSONL file; a missing file has none."""
    if not Path(path).exists():
        return []
    what = 'individual scores file'
    records = read_jsonl(path, what, hint='write it with tools/soups/eval_individual.py')
    for number, record in enumerate(records, start=1):
        if not {'checkpoint', 'score'} <= set(record):
            raise InputFileError(path, what, f"record {number} lacks 'checkpoint' or 'score': "
                                 f'{json.dumps(record)[:200]}')
    return records


def write_records(path: str | os.PathLike, records: Sequence[dict]) -> None:
    atomic_write_text(path, ''.join(json.dumps(record) + '\n' for record in records))


def evaluate_individuals(checkpoints: Sequence[str], metrics_of: Callable[[dict], dict],
                         metric: str, out: str | os.PathLike) -> list[dict]:
    """Score every checkpoint not yet in ``out``; return all records, in file order.

    ``metrics_of`` maps a state dict to its metrics (e.g. ``RunnerEvaluator.metrics``).
    """
    records = read_records(out)
    done = {record['checkpoint'] for record in records}
    for checkpoint in checkpoints:
        if checkpoint in done:
            print_log(f'{checkpoint}: already in {out}, skipped', logger='current')
            continue
        metrics = metrics_of(read_state_dict(checkpoint)[0])
        if metric not in metrics:
            raise KeyError(f'metric={metric!r} is not among the metrics {sorted(metrics)}')
        records.append(dict(checkpoint=checkpoint, score=metrics[metric], metrics=metrics))
        if is_main_process():
            write_records(out, records)
        print_log(f'{checkpoint}: {metric} = {metrics[metric]:.4f}', logger='current')
    return records
