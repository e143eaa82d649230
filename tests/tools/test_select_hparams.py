"""tools/select_hparams.py: two SGD step sizes of lp on MODES-CDI, chosen on the val stream."""
from __future__ import annotations

import json

import numpy as np
import pytest

from mm_cl_addon.datasets.points2d import make_stream, save_stream

from ..e2e.helpers import REPO, load_tool, write_config

TOOL = REPO / 'tools' / 'select_hparams.py'
CONFIG = REPO / 'configs' / 'memory_head' / '2d' / 'lp_modes-cdi.py'
SCORE = 'online_stream_metrics.json:splits.val.current_accuracy'


@pytest.fixture(scope='module')
def tool():
    return load_tool(TOOL)


def test_two_step_sizes_choose_the_best_val_score_then_resume(tool, tmp_path, monkeypatch,
                                                             capsys):
    save_stream(tmp_path / 'data' / 'modes_cdi.npz', 'modes', 'cdi', 0,
                make_stream('modes', 'cdi'))
    monkeypatch.setenv('POINTS2D_ROOT', str(tmp_path / 'data'))
    config = write_config(tmp_path / 'lp_select.py', CONFIG, (
        # _delete_: replace, not extend, the grid that the config inherits
        "selection = dict(_delete_=True, grid={'optim_wrapper.optimizer.lr': [0.01, 1.0]}, "
        f'score={SCORE!r}, seeds=[5])\n'))
    work_dir = tmp_path / 'select'
    args = [str(config), '--work-dir', str(work_dir), '--jobs', '1', '--cfg-options',
            'train_cfg.epochs_per_task=None', 'train_cfg.iters_per_task=20']
    result = tool.main(args)
    out = capsys.readouterr().out
    assert 'training 2 of 2 runs with 1 job(s)' in out
    assert f'selection: {work_dir / "selection.json"}' in out
    written = json.loads((work_dir / 'selection.json').read_text())
    assert written == json.loads(json.dumps(result))
    files = [work_dir / f'point0{index}' / 'seed5' / 'online_stream_metrics.json'
             for index in range(2)]
    scores = [json.loads(path.read_text())['splits']['val']['current_accuracy'] for path in files]
    assert [entry['scores'] for entry in written['points']] == [[score] for score in scores]
    assert written['chosen']['index'] == int(np.argmax(scores))  # the first of equal scores
    assert written['chosen']['options'] == {
        'optim_wrapper.optimizer.lr': [0.01, 1.0][written['chosen']['index']]}
    assert (written['score'], written['seeds']) == (SCORE, [5])

    stamps = [path.stat().st_mtime_ns for path in files]
    again = tool.main(args)
    assert again['points'] == result['points'] and again['chosen'] == result['chosen']
    assert 'training 0 of 2 runs with 1 job(s)' in capsys.readouterr().out
    assert [path.stat().st_mtime_ns for path in files] == stamps
