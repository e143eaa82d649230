"""Choose a config's hyper-parameters on validation data: every grid point over seeds, scored
from a file that the runs write, the best mean kept.

The papers pick each method's optimizer and step size (and, where they tune them, its own
hyper-parameters) on the validation stream or split, never on the test data. A config says what
to try in a top-level ``selection`` dict (docs/hparam_selection.md)::

    selection = dict(
        grid={'optim_wrapper.optimizer.lr': [1e-3, 1e-4, 1e-2, 1e-1, 1.0]},
        score='online_stream_metrics.json:splits.val.current_accuracy',
        seeds=[1234],
        higher_is_better=True)

Every (point, seed) trains (:mod:`.run_batch`) into ``<work_dir>/point<NN>/seed<S>``; the result
is ``<work_dir>/selection.json``. mmengine has grid helpers for none of this and optuna (the
soups' search) samples rather than enumerates, so the grid and its bookkeeping are written here.
"""
from __future__ import annotations

import copy
import itertools
import json
import math
import textwrap
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from pathlib import Path
from typing import Any

from mmengine.config import Config

from ..compat.package_paths import resolve_config_path
from ..continual.online_report import mean_std
from ..utils import atomic_write_json
from ..utils.files import read_json
from ..utils.run_record import config_hash, package_versions
from .config_checks import ConfigError, check_config
from .run_batch import Options, TrainRun, apply_options, train_run, train_runs
from .tool_main import one_line

SELECTION_FILE = 'selection.json'
#: Written into a run's work dir when it ends: what it trained and whether it diverged.
RUN_FILE = 'selection_run.json'
REQUIRED_KEYS = ('grid', 'score', 'seeds')
SELECTION_KEYS = (*REQUIRED_KEYS, 'higher_is_better')
DOCS = 'see docs/hparam_selection.md'

#: One grid point: ``(cfg-option key, value)`` pairs in the grid's key order.
Point = tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Score:
    """``FILE:dotted.key``: the number at ``key`` of the JSON file ``FILE`` of a run's work
    dir (integer parts index lists)."""

    file: str
    key: str

    def __str__(self) -> str:
        return f'{self.file}:{self.key}'


@dataclass(frozen=True)
class Selection:
    """A config's validated ``selection`` dict."""

    grid: dict[str, list]
    score: Score
    seeds: tuple[int, ...]
    higher_is_better: bool = True


# ------------------------------------------------------------------ the selection dict
def parse_score(text: Any, where: str) -> Score:
    """``FILE:dotted.key``; a key through a ``test`` entry is refused (select on validation
    data only)."""
    if not isinstance(text, str) or ':' not in text:
        raise ConfigError(f"{where}: selection.score={text!r} must be 'FILE:dotted.key', e.g. "
                          "'online_stream_metrics.json:splits.val.current_accuracy'")
    file, _, key = (part.strip() for part in text.partition(':'))
    if not file or not key or Path(file).is_absolute():
        raise ConfigError(f'{where}: selection.score={text!r} needs a file relative to the '
                          "run's work dir and a key after ':'")
    if 'test' in key.split('.'):
        raise ConfigError(f'{where}: selection.score={text!r} reads the test split; select on '
                          'validation data only (e.g. splits.val...)')
    return Score(file, key)


def parse_seeds(seeds: Any, where: str) -> tuple[int, ...]:
    """A non-empty list of integer seeds."""
    if (not isinstance(seeds, (list, tuple)) or not seeds
            or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds)):
        raise ConfigError(f'{where} must be a non-empty list of integers, got {seeds!r}')
    return tuple(seeds)


def parse_selection(raw: Any, where: str, seeds: Sequence[int] | None = None) -> Selection:
    """Check a ``selection`` dict; ``seeds``, when given, replaces its seeds."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f'{where}: no top-level selection dict (grid, score, seeds); {DOCS}')
    unknown = sorted(set(raw) - set(SELECTION_KEYS))
    if unknown:
        raise ConfigError(f'{where}: selection has unknown key(s) {unknown}; expected '
                          f'{list(SELECTION_KEYS)}')
    missing = [key for key in REQUIRED_KEYS if key not in raw]
    if missing:
        raise ConfigError(f'{where}: selection lacks {missing}; {DOCS}')
    grid = raw['grid']
    if not isinstance(grid, Mapping) or not grid:
        raise ConfigError(f'{where}: selection.grid must be a non-empty dict of cfg-option key '
                          f'-> list of values, got {grid!r}')
    for key, values in grid.items():
        if not isinstance(values, (list, tuple)) or not values:
            raise ConfigError(f'{where}: selection.grid[{key!r}] must be a non-empty list of '
                              f'values, got {values!r}')
    higher = raw.get('higher_is_better', True)
    if not isinstance(higher, bool):
        raise ConfigError(f'{where}: selection.higher_is_better={higher!r} must be True or False')
    seeds = parse_seeds(seeds, '--seeds') if seeds is not None else parse_seeds(
        raw['seeds'], f'{where}: selection.seeds')
    return Selection({str(key): list(values) for key, values in grid.items()},
                     parse_score(raw['score'], where), seeds, higher)


def grid_points(grid: Mapping[str, Sequence]) -> list[Point]:
    """The cartesian product in key order, the last key varying fastest."""
    return [tuple(zip(grid, values)) for values in itertools.product(*grid.values())]


# ------------------------------------------------------------- checks before training
def _missing_part(cfg: Config, key: str) -> str | None:
    """The leading part of dotted ``key`` that ``cfg`` lacks (integer parts index lists)."""
    node: Any = cfg
    parts = key.split('.')
    for depth, part in enumerate(parts):
        if isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif not isinstance(node, (list, tuple)) and hasattr(node, 'keys') and part in node:
            node = node[part]
        else:
            return '.'.join(parts[:depth + 1])
    return None


def check_points(cfg: Config, points: Sequence[Point], options: Options, where: str) -> None:
    """Refuse, before any training, a grid key that the config (with the point's earlier keys
    applied) lacks, an option that overlaps a grid key, or a point the config checks refuse."""
    for option, _ in options:
        for key, _ in points[0]:
            if option == key or option.startswith(f'{key}.') or key.startswith(f'{option}.'):
                raise ConfigError(f'--cfg-options {option}: the grid of {where} sets {key}; '
                                  'leave it to the grid')
    for index, point in enumerate(points):
        trial = copy.deepcopy(cfg)
        apply_options(trial, options)
        for key, value in point:
            missing = _missing_part(trial, key)
            if missing is not None:
                raise ConfigError(f'{where}: selection.grid key {key!r}: the config has no '
                                  f'{missing!r}')
            try:
                apply_options(trial, ((key, value),))
            except (ValueError, KeyError, TypeError) as error:
                raise ConfigError(f'{where}: selection.grid key {key!r}: {one_line(error)}'
                                  ) from error
        try:
            check_config(trial)
        except ConfigError as error:
            raise ConfigError(f'{where}: grid point {index} {_options(point)}: {error}'
                              ) from error


# ------------------------------------------------------------------------- the runs
def point_name(index: int) -> str:
    return f'point{index:02d}'


def point_dir(work_dir: str | Path, index: int) -> Path:
    return Path(work_dir) / point_name(index)


def plan_runs(config: str | Path, work_dir: str | Path, points: Sequence[Point],
              seeds: Sequence[int], options: Options = ()) -> list[list[TrainRun]]:
    """Per point, one run per seed: the shared options first, then the point's."""
    return [[TrainRun(Path(config), point_dir(work_dir, index) / f'seed{seed}', seed,
                      (*options, *point)) for seed in seeds]
            for index, point in enumerate(points)]


def _plain(value: Any) -> Any:
    """``value`` as JSON writes and reads it: mappings as dicts, tuples as lists."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _options(point: Point) -> dict:
    return _plain(dict(point))


def _record(run: TrainRun, status: str, error: str | None = None) -> dict:
    return dict(status=status, seed=run.seed, options=_plain(run.options), error=error)


def train_and_record(run: TrainRun) -> None:
    """Train ``run`` and record how it ended. A NaN/Inf loss or weight (``FloatingPointError``
    from ``FiniteCheckHook``) is a result of the grid (a step size too large), not a failure
    of the selection: the run is recorded as diverged."""
    try:
        train_run(run)
    except FloatingPointError as error:
        atomic_write_json(run.work_dir / RUN_FILE, _record(run, 'diverged', one_line(error)))
        return
    atomic_write_json(run.work_dir / RUN_FILE, _record(run, 'finished'))


def run_status(run: TrainRun, score: Score) -> str | None:
    """``'finished'`` or ``'diverged'`` when the run is done, None when it must train.

    A score file alone does not count: the online hook rewrites its file at every boundary,
    so a killed run leaves one from an earlier boundary; only the record written at the end
    does. A record of other settings (the grid or options changed) is refused.
    """
    path = run.work_dir / RUN_FILE
    if not path.is_file():
        return None
    record = read_json(path, 'selection run record', expected=dict)
    planned = json.loads(json.dumps(_record(run, '')))
    if (record.get('seed'), record.get('options')) != (planned['seed'], planned['options']):
        raise ValueError(f"{run.work_dir} was trained with seed {record.get('seed')} and "
                         f"options {record.get('options')}, not seed {run.seed} and options "
                         f"{planned['options']} as planned now; use another work dir, or "
                         '--force to retrain')
    if record.get('status') == 'diverged':
        return 'diverged'
    finished = record.get('status') == 'finished' and (run.work_dir / score.file).is_file()
    return 'finished' if finished else None


def read_score(work_dir: str | Path, score: Score) -> float:
    """The number at ``score.key`` of ``<work_dir>/<score.file>``; errors name all three."""
    path = Path(work_dir) / score.file
    if not path.is_file():
        raise FileNotFoundError(f'run {work_dir}: no score file {score.file} to read '
                                f'{score.key!r} from')
    node: Any = read_json(path, 'score file')
    parts = score.key.split('.')
    for depth, part in enumerate(parts):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.lstrip('-').isdigit() and (
                -len(node) <= int(part) < len(node)):
            node = node[int(part)]
        else:
            there = (f'keys {sorted(node)}' if isinstance(node, Mapping) else
                     f'a list of {len(node)}' if isinstance(node, list) else repr(node))
            raise KeyError(f'run {work_dir}: score file {score.file} has no '
                           f"{'.'.join(parts[:depth + 1])!r} (reading {score.key!r}; there: "
                           f'{there})')
    if not isinstance(node, Real) or isinstance(node, bool) or not math.isfinite(node):
        raise ValueError(f'run {work_dir}: score file {score.file} has {node!r} at '
                         f'{score.key!r}, not a finite number')
    return float(node)


# --------------------------------------------------------------------------- the choice
def choose(means: Sequence[float | None], higher_is_better: bool = True) -> int:
    """The index of the best mean (None: a point that diverged).

    Ties go to the earlier point: a grid lists the published default first, so an equal
    score keeps it.
    """
    best: int | None = None
    for index, mean in enumerate(means):
        if mean is None:
            continue
        if best is None or (mean > means[best] if higher_is_better else mean < means[best]):
            best = index
    if best is None:
        raise ValueError('every grid point diverged (NaN/Inf in training); try smaller step '
                         'sizes')
    return best


def summarize_point(index: int, point: Point, seeds: Sequence[int],
                    scores: Sequence[float | None]) -> dict:
    """One point's entry of selection.json: its options, each seed's score, mean and std
    (None where a seed diverged)."""
    diverged = [seed for seed, value in zip(seeds, scores) if value is None]
    mean, std = (None, None) if diverged else mean_std(scores)
    return dict(index=index, work_dir=point_name(index), options=_options(point),
                scores=list(scores), diverged=diverged, mean=mean, std=std)


def select(config: str | Path, work_dir: str | Path, seeds: Sequence[int] | None = None,
           options: Mapping[str, Any] | None = None, jobs: int = 1, force: bool = False,
           report: Callable[[str], None] = print) -> dict:
    """Train what is not done yet (everything with ``force``), score every run, choose, and
    write ``<work_dir>/selection.json`` (atomically); returns its content."""
    started = time.monotonic()
    where = str(config)
    config = resolve_config_path(where)
    cfg = Config.fromfile(config)
    selection = parse_selection(cfg.get('selection'), where, seeds)
    shared = tuple((options or {}).items())
    points = grid_points(selection.grid)
    check_points(cfg, points, shared, where)
    plan = plan_runs(config, work_dir, points, selection.seeds, shared)
    runs = [run for point_runs in plan for run in point_runs]
    todo = runs if force else [run for run in runs if run_status(run, selection.score) is None]
    report(f'training {len(todo)} of {len(runs)} runs with {jobs} job(s)')
    for done, run in enumerate(train_runs(todo, jobs, train_and_record), start=1):
        report(f'[{done}/{len(todo)}] {_run_line(run, work_dir, selection.score)}')
    entries = [summarize_point(index, point, selection.seeds,
                               [_seed_score(run, selection.score) for run in plan[index]])
               for index, point in enumerate(points)]
    chosen = choose([entry['mean'] for entry in entries], selection.higher_is_better)
    result = dict(
        config=where, config_sha256=config_hash(cfg.to_dict()), score=str(selection.score),
        seeds=list(selection.seeds), higher_is_better=selection.higher_is_better,
        cfg_options=_plain(dict(shared)), grid=_plain(selection.grid), points=entries,
        chosen={key: entries[chosen][key] for key in ('index', 'work_dir', 'options', 'mean',
                                                      'std')},
        versions=package_versions(), wall_time_s=round(time.monotonic() - started, 3))
    atomic_write_json(Path(work_dir) / SELECTION_FILE, result)
    return result


def _seed_score(run: TrainRun, score: Score) -> float | None:
    return None if run_status(run, score) == 'diverged' else read_score(run.work_dir, score)


def _run_line(run: TrainRun, work_dir: str | Path, score: Score) -> str:
    name = run.work_dir.relative_to(Path(work_dir))
    value = _seed_score(run, score)
    return f'{name}: ' + ('diverged' if value is None else f'{score.key} = {value:.4f}')


# ------------------------------------------------------------------------ the report
def format_selection_markdown(result: Mapping[str, Any]) -> str:
    """A Markdown table of the points (options, mean ± std over seeds), the chosen marked."""
    keys = list(result['grid'])
    header = ['point', *keys, f"{result['score']} (mean ± std)", 'chosen']
    lines = ['| ' + ' | '.join(header) + ' |', '|' + ' --- |' * len(header)]
    for entry in result['points']:
        if entry['mean'] is None:
            score = f"diverged (seed {', '.join(map(str, entry['diverged']))})"
        else:
            score = f"{entry['mean']:.4f} ± {entry['std']:.4f}"
        cells = [str(entry['index']), *(_cell(entry['options'][key]) for key in keys), score,
                 '**yes**' if entry['index'] == result['chosen']['index'] else '']
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def _cell(value: Any) -> str:
    return json.dumps(value).replace('|', '\\|')


def selection_comment(result: Mapping[str, Any], width: int = 100) -> str:
    """Comment lines for the config that takes the chosen values: what was tried, on what."""
    chosen = result['chosen']
    values = ', '.join(f'{key}={json.dumps(value)}' for key, value in chosen['options'].items())
    grid = '; '.join(f'{key} in {json.dumps(values_)}' for key, values_ in result['grid'].items())
    text = (f"Chosen on validation data ({result['score']}, mean over seeds {result['seeds']}: "
            f"{chosen['mean']:.4f} ± {chosen['std']:.4f}) from the grid {grid}: {values}.")
    return '\n'.join(textwrap.wrap(text, width, initial_indent='# ',
                                   subsequent_indent='# ', break_on_hyphens=False))
