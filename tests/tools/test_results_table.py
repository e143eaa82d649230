"""tools/memory_head/results_table.py: trains a tiny setting, then re-reads it into a table."""
from __future__ import annotations

import importlib.util
import sys

import pytest

from mm_cl_addon.continual.online_report import RESULTS_FILE, mean_std
from mm_cl_addon.datasets.points2d import make_stream, save_stream

from ..e2e.helpers import REPO

TOOL = REPO / 'tools' / 'memory_head' / 'results_table.py'


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('results_table', TOOL)
    module = importlib.util.module_from_spec(spec)
    sys.modules['results_table'] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules['results_table']


def test_tiny_setting_trains_then_reads(tool, tmp_path, monkeypatch):
    save_stream(tmp_path / 'data' / 'moons_cdi.npz', 'moons', 'cdi', 0,
                make_stream('moons', 'cdi'))
    monkeypatch.setenv('POINTS2D_ROOT', str(tmp_path / 'data'))
    work_root, out = tmp_path / 'runs', tmp_path / 'table.md'
    args = ['--methods', 'lp', '--datasets', 'moons', '--seeds', '1', '2', '--jobs', '1',
            '--work-root', str(work_root), '--out', str(out), '--cfg-options',
            'train_cfg.epochs_per_task=None', 'train_cfg.iters_per_task=2']
    table = tool.main(args)
    lines = table.splitlines()
    assert lines[0] == '| method | MOONS-CDI ACC | MOONS-CDI forgetting |'
    assert lines[2].startswith('| lp | ') and lines[2].count('±') == 2
    assert out.read_text() == table + '\n'
    results = [work_root / 'lp' / 'moons-cdi' / f'seed{seed}' / RESULTS_FILE for seed in (1, 2)]
    stamps = [path.stat().st_mtime_ns for path in results]
    # a second call finds the results and only reads them
    assert tool.main(args) == table
    assert [path.stat().st_mtime_ns for path in results] == stamps


def test_read_only_names_the_missing_run(tool, tmp_path):
    with pytest.raises(FileNotFoundError, match='seed7'):
        tool.main(['--methods', 'mh', '--datasets', 'modes', '--seeds', '7', '--read-only',
                   '--work-root', str(tmp_path)])


def test_mean_std_is_the_population_std():
    assert mean_std([1.0, 3.0]) == (2.0, 1.0)
