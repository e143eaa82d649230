"""Every command-line tool answers --help and a bad command line at once: it parses before it
imports torch, mmengine or mmpretrain, and its errors are one line.

Seconds on a busy machine say little, so the tests check what makes the answer fast: ``python
-X importtime`` lists no heavy module (train.py and test.py: test_tool_args.py).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mm_cl_addon.datasets import ns_imagenet, points2d
from mm_cl_addon.models.backbones import perceiver_io
from mm_cl_addon.reassembly import PROXIES, SIM_FUNCS, features

from ..e2e.helpers import REPO

HEAVY = ('torch', 'mmengine', 'mmpretrain')
TOOLS = [
    'continual/compare.py', 'data/gen_2d_datasets.py', 'dery/compute_sim.py',
    'dery/count_inout_size.py', 'dery/get_rep.py', 'dery/partition.py',
    'dery/zeroshot_reassembly.py', 'memory_head/cache_features.py',
    'memory_head/results_table.py', 'pickaback/find_backbone.py',
    'pickaback/select_pruning_ratio.py', 'pickaback/transfer_kv.py', 'soups/eval_individual.py',
    'soups/hard_vote.py', 'soups/predict.py', 'soups/score_predictions.py', 'soups/soup.py',
    'soups/tune.py', 'soups/wise_ft.py', 'reproduce.py', 'select_hparams.py',
]
# The package's names that a tool spells out, to list them as choices before the package loads.
CHOICES = {
    'data/gen_2d_datasets.py': [(*points2d.DATASET_NAMES, 'all'), (*points2d.ORDERS, 'all')],
    'dery/compute_sim.py': [sorted(SIM_FUNCS)],
    'dery/get_rep.py': [features.METHODS],
    'dery/zeroshot_reassembly.py': [sorted(PROXIES)],
    'memory_head/cache_features.py': [ns_imagenet.SPLITS, ns_imagenet.LAYOUTS],
    'pickaback/transfer_kv.py': [perceiver_io.MODALITIES],
}


def run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *argv], cwd=REPO, capture_output=True, text=True,
                          env=dict(os.environ, OMP_NUM_THREADS='1'), timeout=60)


@pytest.mark.parametrize('tool', TOOLS)
def test_help_imports_no_heavy_module(tool):
    done = run('-X', 'importtime', f'tools/{tool}', '--help')
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f'usage: {Path(tool).name} ')
    assert [line for line in done.stderr.splitlines() if any(name in line for name in HEAVY)] == []
    for choices in CHOICES.get(tool, []):
        assert '{' + ','.join(choices) + '}' in done.stdout


@pytest.mark.parametrize('tool', TOOLS)
def test_an_unknown_flag_is_one_line(tool):
    done = run(f'tools/{tool}', '--no-such-flag')
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith(f'{Path(tool).name}: error: ')
    assert 'Traceback' not in done.stderr


def test_checks_after_parsing_are_one_line_too():
    done = run('tools/pickaback/find_backbone.py', 'target.py', 'target.pth', '--candidate', 'a',
               'a.py', 'a.pth', 'first', '--out-dir', 'out')
    assert (done.returncode, done.stderr) == (2, (
        "find_backbone.py: error: --candidate a: TASK must be an owner id, got 'first' "
        '(see --help)\n'))
