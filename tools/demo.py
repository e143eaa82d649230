"""`make demo`: every method in its own setting on the embedded digits, then one table of results.

usage: python tools/demo.py [--work-dir work_dirs/demo] [--jobs 2]

Each job trains afresh into WORK_DIR/NAME (an old one is removed first), its output in
WORK_DIR/NAME.log; the jobs run ``--jobs`` at a time, and the table at the end reads only what
they wrote (mm_cl_addon.results.demo_table). Every run is seeded, one thread per process.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tool_args import OneLineParser  # standard library only: bad command lines fail fast

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / 'configs'
RETENTION = 'configs/masked_kd/retention/{}_cnn_permuted-digits.py'
# Soups: pre-trained on the digits 0-4, ingredients fine-tuned on 100 images of all ten
# (docs/soups.md, "A harder target").
SOUP_PRETRAIN = 'configs/soups/pretrain_cnn_half-digits.py'
SOUP_INGREDIENT = 'configs/soups/finetune_cnn_digits_few-shot.py'
# The DeRy pipeline's quick setting: shorter zoo training and fine-tuning, features of 256
# samples, 5 partition trials (docs/dery_walkthrough.md has the full one).
DERY_QUICK = dict(ZOO_ITERS='150', FT_ITERS='150', NUM_SAMPLES='256', TRIAL='5')


def train(config: str, *options: str) -> list[str]:
    return [sys.executable, 'tools/train.py', config, *options]


def continual_job(config: str) -> Callable[[Path, Callable], None]:
    return lambda work, run: run(train(config, '--work-dir', str(work)))


def retention_job(variant: str) -> Callable[[Path, Callable], None]:
    """Fine-tune from upright to permuted digits; the accuracy matrix on the test split."""
    return lambda work, run: run(train(RETENTION.format(variant), '--work-dir', str(work),
                                       '--cfg-options',
                                       'val_dataloader.dataset.dataset.split=test'))


def soups_job(work: Path, run: Callable) -> None:
    """The soups flow's first steps (``tools/soups/run_flow.sh`` has them all): pre-train,
    fine-tune the 8 ingredients, score them on held-out data, cook the greedy soup, and test it
    and the best ingredient."""
    from mm_cl_addon.soups.individual import read_records

    pretrain = work / 'pretrain'
    run(train(SOUP_PRETRAIN, '--work-dir', str(pretrain)))
    run(['bash', 'tools/soups/train_ingredients.sh', str(work / 'ingredients'), SOUP_INGREDIENT,
         f'load_from={pretrain}/epoch_8.pth'])
    individual = work / 'individual.jsonl'
    run([sys.executable, 'tools/soups/eval_individual.py', SOUP_INGREDIENT,
         str(work / 'ingredients' / '*' / 'epoch_*.pth'), '--out', str(individual)])
    run([sys.executable, 'tools/soups/soup.py', SOUP_INGREDIENT, '--recipe', 'greedy',
         '--individual', str(individual), '--out-dir', str(work / 'greedy')])
    best = max(read_records(individual), key=lambda record: record['score'])['checkpoint']
    for name, checkpoint in (('best_ingredient', best),
                             ('greedy_soup', str(work / 'greedy' / 'greedy_soup.pth'))):
        run([sys.executable, 'tools/test.py', SOUP_INGREDIENT, checkpoint, '--work-dir',
             str(work / 'test'), '--out', str(work / 'test' / f'{name}.json')])


def dery_job(work: Path, run: Callable) -> None:
    run(['bash', 'tools/dery/run_digits_pipeline.sh', str(work)], **DERY_QUICK)


# name -> job, the longest first so that two workers finish together
JOBS: dict[str, Callable[[Path, Callable], None]] = {
    'dery': dery_job,
    'soups': soups_job,
    'cpg-task-il': continual_job('configs/pickaback/cpg_cnn_split-digits.py'),
    'packnet-task-il': continual_job('configs/pickaback/packnet_cnn_split-digits.py'),
    'memory-head': continual_job('configs/memory_head/mh_pixels_split-digits.py'),
    'er': continual_job('configs/memory_head/er_cnn_split-digits.py'),
    'joint': continual_job('configs/continual/joint_cnn_split-digits.py'),
    'finetune': continual_job('configs/continual/finetune_cnn_split-digits.py'),
    'finetune-task-il': continual_job('configs/continual/finetune_cnn_split-digits_task-il.py'),
    'retention-ce': retention_job('ce'),
    'retention-masked-kd': retention_job('masked-kd'),
    'retention-kd': retention_job('kd'),
}


def run_job(name: str, work_root: Path) -> None:
    """One job into ``work_root/name``, every step's output appended to ``work_root/name.log``;
    a failed step raises ``ChildProcessError`` with the end of that log."""
    work, log = work_root / name, work_root / f'{name}.log'
    shutil.rmtree(work, ignore_errors=True)
    log.unlink(missing_ok=True)

    def run(command: list[str], **env: str) -> None:
        with log.open('a') as out:
            done = subprocess.run(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                  env=dict(os.environ, **env))
        if done.returncode != 0:
            tail = ''.join(log.read_text().splitlines(keepends=True)[-30:])
            raise ChildProcessError(f'demo job {name!r} failed (exit {done.returncode}) at '
                                    f'{" ".join(command[:3])}; the end of {log}:\n{tail}')

    print(f'training {name} (log: {log})', flush=True)
    start = time.perf_counter()
    JOBS[name](work, run)
    print(f'finished {name} in {time.perf_counter() - start:.0f} s', flush=True)


def run_demo(work_root: Path, jobs: int = 2) -> str:
    """Every job, ``jobs`` at a time; the results table."""
    work_root.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(lambda name: run_job(name, work_root), JOBS))
    from mm_cl_addon.results.demo_table import demo_table

    return demo_table(work_root)


def main() -> None:
    parser = OneLineParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', type=Path, default=REPO / 'work_dirs' / 'demo')
    parser.add_argument('--jobs', type=int, default=2, help='jobs run at the same time')
    args = parser.parse_args()
    if args.jobs < 1:
        parser.error(f'--jobs must be >= 1, got {args.jobs}')
    from mm_cl_addon.engine.tool_main import run_tool

    def demo() -> None:
        print(run_demo(args.work_dir, args.jobs))
        print(f'per-run reports and accuracy-matrix heatmaps: {args.work_dir}/<job>/')
    run_tool(demo, prog='demo.py')


if __name__ == '__main__':
    main()
