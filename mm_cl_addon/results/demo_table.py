"""The table `make demo` ends with: each method in its own setting, beside its baseline.

A row reads its numbers from the files a finished job left in its work dir (the continual report,
mmengine's scalars, the soup and reassembly summaries), so the table says only what was measured.
"""
from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..continual.report import read_run_summary
from ..soups.individual import read_records
from ..utils.files import read_json

KINDS = ('continual', 'transfer', 'reuse')


@dataclass(frozen=True)
class DemoRow:
    """One method's result: ``kind`` is continual, transfer or reuse."""

    kind: str
    setting: str
    method: str
    metric: str
    result: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f'DemoRow.kind must be one of {KINDS}, got {self.kind!r}')


def _percent(fraction: float | None) -> str:
    return '-' if fraction is None else f'{100 * fraction:.2f}'


def continual_result(work_dir: str | os.PathLike) -> str:
    """``ACC / forgetting`` in percent; PackNet and CPG add the share of the weights used."""
    summary = read_run_summary(work_dir)
    result = f"{_percent(summary['average_accuracy'])} / {_percent(summary['average_forgetting'])}"
    if summary.get('weights_used') is not None:
        result += f" (weights used {_percent(summary['weights_used'])})"
    return result


def retention_result(work_dir: str | os.PathLike) -> str:
    """``kept / new``: task 1's accuracy after task 2, and task 2's, in percent."""
    matrix = read_run_summary(work_dir)['accuracy_matrix']
    return f'{_percent(matrix[-1][0])} / {_percent(matrix[-1][1])}'


def last_val_accuracy(work_dir: str | os.PathLike) -> float:
    """The last ``accuracy/top1`` that a run's validation logged (mmengine's ``scalars.json``)."""
    paths = sorted(Path(work_dir).glob('*/vis_data/scalars.json'))
    values = [record['accuracy/top1'] for path in paths
              for record in map(json.loads, path.read_text().splitlines())
              if 'accuracy/top1' in record]
    if not values:
        raise FileNotFoundError(f'{work_dir}: no validation accuracy in */vis_data/scalars.json; '
                                'did the run finish its validation?')
    return float(values[-1])


def soup_results(work_dir: str | os.PathLike) -> list[tuple[str, str]]:
    """(method, ``held-out / test``) for the best ingredient and the greedy soup of a soups
    work dir: ``individual.jsonl``, ``greedy/greedy_soup.json`` and the test metrics
    ``test/best_ingredient.json`` and ``test/greedy_soup.json``."""
    folder = Path(work_dir)
    records = read_records(folder / 'individual.jsonl')
    if not records:
        raise FileNotFoundError(f'{folder / "individual.jsonl"}: no ingredient scores')
    best = max(records, key=lambda record: record['score'])
    greedy = read_json(folder / 'greedy' / 'greedy_soup.json', 'greedy soup record',
                       expected=dict)

    def test(name: str) -> str:
        metrics = read_json(folder / 'test' / f'{name}.json', 'test metrics', expected=dict)
        return f"{metrics['accuracy/top1']:.2f}"

    return [(f'best of {len(records)} ingredients', f"{best['score']:.2f} / "
             f"{test('best_ingredient')}"),
            (f"greedy soup (kept {len(greedy['accepted'])})",
             f"{greedy['final_score']:.2f} / {test('greedy_soup')}")]


def dery_results(work_dir: str | os.PathLike) -> list[tuple[str, str]]:
    """(network, val top-1) for a DeRy pipeline's work dir: the best zoo model within the
    reassembly's parameter budget, the rank-1 reassembled network fine-tuned end to end, and the
    same architecture trained from scratch."""
    folder = Path(work_dir)
    summary = read_json(folder / 'reassembly' / 'summary.json', 'reassembly summary',
                        expected=dict)
    sizes = read_json(folder / 'sizes.json', 'zoo sizes', expected=dict)
    budget = summary['budgets'].get('max_params')
    within = [name for name, size in sizes.items() if budget is None or size['params'] <= budget]
    if not within:
        raise ValueError(f'{folder / "sizes.json"}: no zoo model fits the budget of {budget} '
                         'parameters')
    zoo = {name: last_val_accuracy(folder / name) for name in within}
    best = max(zoo, key=zoo.get)
    chain = ' + '.join(f'{model}[{start}:{end}]'
                       for model, start, end in summary['solutions'][0]['blocks'])
    return [(f'best zoo model within {budget:,.0f} params ({best})', f'{zoo[best]:.2f}'),
            (f'reassembled {chain}, fine-tuned', f"{last_val_accuracy(folder / 'ft_full'):.2f}"),
            ('same architecture from scratch', f"{last_val_accuracy(folder / 'scratch'):.2f}")]


def format_demo_table(rows: Sequence[DemoRow]) -> str:
    """A Markdown table, rows grouped by kind in the order continual, transfer, reuse."""
    ordered = sorted(rows, key=lambda row: KINDS.index(row.kind))
    header = ('kind', 'setting', 'method', 'metric', 'result')
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    lines += [f'| {row.kind} | {row.setting} | {row.method} | {row.metric} | {row.result} |'
              for row in ordered]
    return '\n'.join(lines)


def demo_table(work_root: str | os.PathLike) -> str:
    """``make demo``'s table from its jobs' work dirs (``tools/demo.py`` names them)."""
    root = Path(work_root)
    class_il = 'Split-Digits, 5 tasks, class-IL'
    task_il = 'Split-Digits, 5 tasks, task-IL'
    acc = 'ACC / forgetting (%)'
    transfer = 'digits, then pixel-permuted digits (test split)'
    rows = [DemoRow('continual', class_il, method, acc, continual_result(root / name))
            for name, method in (('finetune', 'fine-tuning (lower bound)'),
                                 ('joint', 'joint training (upper bound)'),
                                 ('er', 'experience replay, 200 samples'))]
    rows.append(DemoRow('continual', class_il + ', online (batch 1, one pass)',
                        'Memory Head on the pixels', acc, continual_result(root / 'memory-head')))
    rows += [DemoRow('continual', task_il, method, acc, continual_result(root / name))
             for name, method in (('finetune-task-il', 'fine-tuning'),
                                  ('packnet-task-il', 'PackNet'), ('cpg-task-il', 'CPG'))]
    rows += [DemoRow('transfer', transfer, method, 'task 1 kept / task 2 new (%)',
                     retention_result(root / f'retention-{name}'))
             for name, method in (('ce', 'fine-tuning (CE)'), ('kd', 'KD, frozen reference'),
                                  ('masked-kd', 'masked KD'))]
    rows += [DemoRow('reuse', 'model soups: a model trained on the digits 0-4, fine-tuned on 100 '
                     'images of all ten', method, 'held-out / test (%)', result)
             for method, result in soup_results(root / 'soups')]
    rows += [DemoRow('reuse', 'DeRy: the 5-model digits zoo, quick setting', method,
                     'val top-1 (%)', result)
             for method, result in dery_results(root / 'dery')]
    return format_demo_table(rows)
