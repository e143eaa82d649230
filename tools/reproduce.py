"""Rerun a published table and check it against its page (or write it in).

Tables live in marked blocks of their pages (``<!-- NAME:begin -->``): the check runs the same
commands that produced them and compares every number in order, within ``--tolerance`` points.
Every run is seeded and each process uses one thread (the package's default), which makes the
runs bitwise reproducible on one machine; the tolerance (0.5 points) allows other CPUs'
rounding.

* ``demo``: ``make demo``'s jobs (``tools/demo.py``, two at a time) and its table against the
  README.
* ``soups``: ``tools/soups/run_flow.sh`` against ``docs/soups.md``; ``soups-few-shot``: the
  same flow with ingredients fine-tuned on 100 training images; ``soups-class-transfer``: that
  flow from a model pre-trained on the digits 0-4, once per seed.
* ``dery``: ``tools/dery/run_digits_pipeline.sh`` (default settings) against
  ``docs/dery_walkthrough.md``; ``dery-synflow``: the same with ``PROXY=synflow``.
* ``retention``: every config of ``configs/masked_kd/retention/`` over seeds 0, 1, 2 against
  ``docs/masked_kd.md``; ``retention-rotated``: the same with task 2 rotated, not permuted.
* ``memory-head-2d``: the 2D streams written afresh and ``tools/memory_head/results_table.py``
  (every 2D config, 3 seeds, retrained) against ``docs/memory_head_results.md``.

usage: python tools/reproduce.py TABLE [--write] [--tolerance 0.5]
           [--work-root DIR]
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from demo import run_demo  # standard library only until it runs
from tool_args import OneLineParser  # standard library only: bad command lines fail fast

REPO = Path(__file__).resolve().parents[1]
RETENTION = REPO / 'configs' / 'masked_kd' / 'retention'
RETENTION_VARIANTS = ('ce', 'kd', 'kd-ema', 'kd-anneal', 'kd-swa', 'kd-clsonly', 'masked-kd',
                      'masked-kd-clsonly')
SEEDS = (0, 1, 2)


def run(command: list[str], **env: str) -> str:
    """Run a command from the repository root, with ``env`` added to the environment; its
    stdout. A failed step raises ``ChildProcessError`` (an ``OSError``, so the tool reports it in
    one line) with the step's exit status and stderr tail."""
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True,
                          env=dict(os.environ, **env))
    if done.returncode != 0:
        raise ChildProcessError(f'{" ".join(command[:3])} failed (exit {done.returncode}): '
                                f'{done.stderr.strip()[-500:]}')
    return done.stdout


def train_all(runs: dict[Path, list[str]]) -> None:
    """``tools/train.py ARGS --work-dir DIR`` for every ``DIR: ARGS``, two at a time."""
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda item: run([sys.executable, 'tools/train.py', *item[1],
                                        '--work-dir', str(item[0])]), runs.items()))


def retention_table(work: Path, shift: tuple[str, ...] = ()) -> str:
    """Each masked-KD variant fine-tuned from upright digits to shifted ones (the configs'
    pixel permutation, or ``shift``'s overrides): what it keeps of task 1 and what it learns
    of task 2, on the test split, mean +- std over the seeds."""
    from statistics import mean, stdev

    from mm_cl_addon.continual.report import read_run_summary

    runs = {work / f'{variant}_seed{seed}': [
        str(RETENTION / f'{variant}_cnn_permuted-digits.py'), '--cfg-options',
        f'randomness.seed={seed}', 'val_dataloader.dataset.dataset.split=test', *shift]
        for variant in RETENTION_VARIANTS for seed in SEEDS}
    train_all(runs)

    def spread(values: list[float]) -> str:
        return f'{100 * mean(values):.2f} ± {100 * stdev(values):.2f}'

    rows = []
    for variant in RETENTION_VARIANTS:
        matrices = [read_run_summary(work / f'{variant}_seed{seed}')['accuracy_matrix']
                    for seed in SEEDS]
        before, kept, new = ([m[row][task] for m in matrices]
                             for row, task in ((-2, 0), (-1, 0), (-1, 1)))
        rows.append((variant, spread(before), spread(kept), spread(new),
                     spread([b - k for b, k in zip(before, kept)])))
    return markdown_table(('method', 'task 1 after task 1', 'task 1 after task 2 (kept)',
                           'task 2 (new)', 'forgetting of task 1'), rows)


def rotated_retention_table(work: Path) -> str:
    """As :func:`retention_table`, task 2 a rotation of the digits (domain seed 2: 94 degrees,
    a quarter turn rather than the half turn of seed 1, which would swap 6 and 9)."""
    return retention_table(work, tuple(
        f'{loader}.dataset.dataset.domains.{key}={value}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
        for key, value in (('kind', 'rotation'), ('seed', 2))))


def markdown_table(header: tuple[str, ...], rows: list[tuple]) -> str:
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    return '\n'.join(lines + ['| ' + ' | '.join(map(str, row)) + ' |' for row in rows])


def soup_flow(work: Path, config: str, **env: str) -> dict:
    """Run the soups flow (``tools/soups/run_flow.sh``, ``config`` for the ingredients, ``env``
    for its settings) into ``work``; its held-out (val) and test accuracies by model."""
    from mmengine.config import Config
    from mmpretrain.registry import DATASETS

    from mm_cl_addon.soups import read_predictions
    from mm_cl_addon.soups.individual import read_records
    from mm_cl_addon.soups.predictions import labels_by_id, prediction_accuracy

    run(['bash', 'tools/soups/run_flow.sh', str(work)], CFG=config, **env)

    def read(path: str):
        return json.loads((work / path).read_text())

    def test_of(checkpoint: str) -> float:
        return read(f'test/{Path(checkpoint).stem}.json')['accuracy/top1']

    records = read_records(work / 'individual.jsonl')
    best = max(records, key=lambda record: record['score'])
    greedy = read('greedy/greedy_soup.json')
    labels = labels_by_id(DATASETS.build(Config.fromfile(REPO / config).test_dataloader.dataset))
    return dict(
        ingredients=len(records), best_name=Path(best['checkpoint']).parent.name,
        best=(best['score'], test_of(best['checkpoint'])),
        uniform=(read('uniform/uniform_soup.json')['held_out'], test_of('uniform_soup')),
        greedy=(greedy['final_score'], test_of('greedy_soup')), kept=len(greedy['accepted']),
        vote=prediction_accuracy(read_predictions(work / 'predictions/vote.csv'), labels),
        wise={row['alpha']: (row['held_out'], row['test']) for row in read('wise_ft/wise_ft.json')})


def soups_table(work: Path, config: str = 'configs/soups/finetune_cnn_digits.py') -> str:
    """The soups flow's held-out (val) and test accuracies, with ``config`` for the
    ingredients."""
    scores = soup_flow(work, config)
    alphas = (0, 0.5, 1)

    def pair(held_out_test: tuple[float, float]) -> tuple[str, str]:
        return tuple(f'{value:.2f}' for value in held_out_test)

    return markdown_table(('model', 'held-out', 'test'), [
        (f"best individual (ingredient {scores['best_name']})", *pair(scores['best'])),
        (f"uniform soup of {scores['ingredients']}", *pair(scores['uniform'])),
        (f"greedy soup (kept {scores['kept']} of {scores['ingredients']})",
         *pair(scores['greedy'])),
        ('hard vote of the 3 best ingredients', '–', f"{scores['vote']:.2f}"),
        ('WiSE-FT alpha 0 / 0.5 / 1 (pre-trained, mix, best individual)',
         ' / '.join(f"{scores['wise'][a][0]:.2f}" for a in alphas),
         ' / '.join(f"{scores['wise'][a][1]:.2f}" for a in alphas)),
    ])


def class_transfer_soups_table(work: Path) -> str:
    """The soups flow from a model pre-trained on the digits 0-4 to 100 images of all ten, once
    per pre-training seed: held-out and test accuracies, mean +- std over the seeds, and the
    greedy soup's gain over the best ingredient."""
    from statistics import mean, stdev

    runs = [soup_flow(work / f'seed{seed}', 'configs/soups/finetune_cnn_digits_few-shot.py',
                      PRETRAIN='configs/soups/pretrain_cnn_half-digits.py',
                      PRETRAIN_SEED=str(seed)) for seed in SEEDS]

    def spread(values: list[float]) -> str:
        return f'{mean(values):.2f} ± {stdev(values):.2f}'

    def row(name: str, key: str) -> tuple[str, str, str]:
        return name, *(spread([scores[key][i] for scores in runs]) for i in (0, 1))

    gains = [[scores['greedy'][i] - scores['best'][i] for scores in runs] for i in (0, 1)]
    kept = ' / '.join(str(scores['kept']) for scores in runs)
    return markdown_table(('model', 'held-out', 'test'), [
        row('best individual', 'best'), row('uniform soup of 8', 'uniform'),
        row(f'greedy soup (kept {kept} of 8)', 'greedy'),
        ('greedy soup minus best individual', spread(gains[0]), spread(gains[1])),
    ])


def dery_table(work: Path, proxy: str = 'naswot') -> str:
    """The DeRy walk-through's zoo, chosen chain and fine-tuned accuracies (val top-1), the
    chain ranked by ``proxy``."""
    output = run(['bash', 'tools/dery/run_digits_pipeline.sh', str(work)], PROXY=proxy)
    zoo = re.findall(r'^(\w+): val top-1 ([\d.]+)$', output, re.MULTILINE)
    final = dict(re.findall(r'^(reassembled, frozen blocks|reassembled, end to end|'
                            r'same architecture, scratch):\s+([\d.]+)$', output, re.MULTILINE))
    chosen = json.loads((work / 'reassembly/summary.json').read_text())['solutions'][0]
    chain = ' '.join(f'{model}[{start}:{end}]' for model, start, end in chosen['blocks'])
    rows = [(f'zoo `{name}`, 300 steps', accuracy) for name, accuracy in zoo]
    rows += [(f'rank 1 ({chain}, {chosen["network_params"]} params), {how}', final[key])
             for how, key in (('frozen blocks', 'reassembled, frozen blocks'),
                              ('fine-tuned end to end', 'reassembled, end to end'),
                              ('same architecture from scratch', 'same architecture, scratch'))]
    return markdown_table(('network', 'val top-1'), rows)


def synflow_dery_table(work: Path) -> str:
    return dery_table(work, 'synflow')


def few_shot_soups_table(work: Path) -> str:
    return soups_table(work, 'configs/soups/finetune_cnn_digits_few-shot.py')


def memory_head_2d_table(work: Path) -> str:
    """The 2D results table: fresh streams, every run retrained (no stale work dir is read)."""
    data, table = work / 'data', work / 'table.md'
    run([sys.executable, 'tools/data/gen_2d_datasets.py', '--out-dir', str(data), '--order',
         'cdi'])
    run([sys.executable, 'tools/memory_head/results_table.py', '--jobs', '2', '--force',
         '--work-root', str(work / 'runs'), '--out', str(table)], POINTS2D_ROOT=str(data))
    return table.read_text().strip()


TABLES: dict[str, tuple[Path, Callable[[Path], str]]] = {
    'demo': (REPO / 'README.md', run_demo),
    'soups': (REPO / 'docs' / 'soups.md', soups_table),
    'soups-few-shot': (REPO / 'docs' / 'soups.md', few_shot_soups_table),
    'soups-class-transfer': (REPO / 'docs' / 'soups.md', class_transfer_soups_table),
    'dery': (REPO / 'docs' / 'dery_walkthrough.md', dery_table),
    'dery-synflow': (REPO / 'docs' / 'dery_walkthrough.md', synflow_dery_table),
    'retention': (REPO / 'docs' / 'masked_kd.md', retention_table),
    'retention-rotated': (REPO / 'docs' / 'masked_kd.md', rotated_retention_table),
    'memory-head-2d': (REPO / 'docs' / 'memory_head_results.md', memory_head_2d_table),
}


def main() -> None:
    parser = OneLineParser(description=__doc__.splitlines()[0])
    parser.add_argument('table', choices=sorted(TABLES))
    parser.add_argument('--write', action='store_true', help='write the table into its page')
    parser.add_argument('--tolerance', type=float, default=0.5)
    parser.add_argument('--work-root', type=Path, default=REPO / 'work_dirs' / 'reproduce')
    args = parser.parse_args()
    from mm_cl_addon.engine.tool_main import run_tool
    from mm_cl_addon.utils import atomic_write_text
    from mm_cl_addon.utils.marked_blocks import numbers_differ, read_block, replace_block

    def reproduce() -> None:
        page, build = TABLES[args.table]
        measured = build(args.work_root / args.table)
        text = page.read_text()
        if args.write:
            atomic_write_text(page, replace_block(text, args.table, measured))
            print(f'wrote the {args.table} table into {page}')
            return
        differences = numbers_differ(read_block(text, args.table), measured, args.tolerance)
        if differences:
            raise ValueError(f'{page.name}, table {args.table!r} does not reproduce within '
                             f'{args.tolerance}: ' + '; '.join(differences[:5]))
        print(f'{page.name}, table {args.table!r}: reproduced within {args.tolerance}')
    run_tool(reproduce, prog='reproduce.py')


if __name__ == '__main__':
    main()
