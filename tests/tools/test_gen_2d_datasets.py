"""tools/data/gen_2d_datasets.py: the files it writes load back as the library's streams."""
from __future__ import annotations

import sys

import numpy as np
import pytest

from mm_cl_addon.datasets import Points2DDataset
from mm_cl_addon.datasets.points2d import ORDERS, SPLITS, load_stream, make_stream

from ..e2e.helpers import REPO, load_tool, run_tool

TOOL = REPO / 'tools' / 'data' / 'gen_2d_datasets.py'
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


@pytest.fixture(scope='module')
def tool():
    return load_tool(TOOL)


def test_command_line_writes_one_stream_with_its_seed(tmp_path):
    result = run_tool(sys.executable, str(TOOL), '--out-dir', str(tmp_path), '--dataset',
                      'moons', '--order', 'cdid', '--seed', '3', timeout=120)
    assert f'wrote {tmp_path}/moons_cdid.npz (train 1000, val 250, test 500)' in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ['moons_cdid.npz', 'moons_cdid.png']
    meta, streams = load_stream(tmp_path / 'moons_cdid.npz')
    assert meta == dict(dataset='moons', order='cdid', seed=3)
    expected = make_stream('moons', 'cdid', seed=3)
    for split in SPLITS:
        np.testing.assert_array_equal(streams[split].x, expected[split].x)
        np.testing.assert_array_equal(streams[split].segment, expected[split].segment)
    assert (tmp_path / 'moons_cdid.png').read_bytes()[:8] == PNG_SIGNATURE


def test_all_orders_are_written_and_loadable_by_the_dataset(tool, tmp_path, capsys):
    written = tool.main(['--out-dir', str(tmp_path), '--dataset', 'modes'])
    names = {f'modes_{o}.{ext}' for o in ORDERS for ext in ('npz', 'png')}
    assert {path.name for path in written} == names
    assert {path.name for path in tmp_path.iterdir()} == names  # no temporary files left
    assert capsys.readouterr().out.count('wrote ') == len(ORDERS)
    for order in ORDERS:
        path = tmp_path / f'modes_{order}.npz'
        meta, _ = load_stream(path)
        assert meta == dict(dataset='modes', order=order, seed=0)
        assert len(Points2DDataset(str(path), split='test')) == 500
        png = (tmp_path / f'modes_{order}.png').read_bytes()
        assert png[:8] == PNG_SIGNATURE and len(png) > 10_000


def test_bad_seed_is_refused_by_the_parser(tool, tmp_path, capsys):
    with pytest.raises(SystemExit):
        tool.main(['--out-dir', str(tmp_path), '--seed', '-1'])
    assert 'seed must be an int' in capsys.readouterr().err
    assert not tmp_path.exists() or not any(tmp_path.iterdir())
