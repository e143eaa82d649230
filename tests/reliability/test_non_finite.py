"""NaN and Inf stop a run at the first bad loss or weight, or are refused with the input file."""
from __future__ import annotations

import re

import numpy as np
import pytest

from mm_cl_addon.datasets.points2d import make_stream, save_stream

from .helpers import REPO, error_line, run_in_process, tiny_config

pytestmark = pytest.mark.e2e
MLP_MODES = REPO / 'configs' / 'memory_head' / '2d' / 'mlp_modes-cdi.py'

# (case, --cfg-options) that make the loss or the weights non-finite in the first task
DIVERGING = [
    # SGD: its step grows with the gradient (Adam's, the baseline's tuned optimizer, does not)
    ('huge learning rate', ['optim_wrapper.optimizer.type=SGD',
                            'optim_wrapper.optimizer.momentum=0.9',
                            'optim_wrapper.optimizer.lr=1e12']),
    ('NaN loss weight', ['model.head.loss.loss_weight=nan']),
    ('Inf loss weight', ['model.head.loss.loss_weight=inf']),
    ('zero std in the preprocessor', ['data_preprocessor.std=[0.0]']),
    ('NaN mean in the preprocessor', ['data_preprocessor.mean=[nan]']),
]


@pytest.mark.parametrize('case, options', DIVERGING, ids=[c[0] for c in DIVERGING])
def test_divergence_stops_training_and_writes_nothing_non_finite(tmp_path, case, options):
    work_dir = tmp_path / 'work'
    code, stderr = run_in_process('train.py', str(tiny_config(tmp_path)), '--work-dir',
                                  str(work_dir), '--cfg-options', *options)
    assert code == 1, stderr[-2000:]
    line = error_line(stderr)
    assert re.search(r"Training stopped at task 1/2, phase 'train', epoch 1, iteration \d+: "
                     r'non-finite loss \(loss=(nan|inf)', line), line
    assert 'no checkpoint was written' in line
    assert not list(work_dir.glob('*.pth')) and not (work_dir / 'continual_accuracy.json').exists()


@pytest.mark.parametrize('bad', [np.nan, np.inf])
def test_non_finite_points_in_a_stream_file_are_refused_with_the_file(tmp_path, bad):
    streams = make_stream('modes', 'cdi', seed=0)
    streams['train'].x[17, 1] = bad
    data_file = tmp_path / 'modes_cdi.npz'
    save_stream(data_file, 'modes', 'cdi', 0, streams)
    code, stderr = run_in_process('train.py', str(MLP_MODES), '--work-dir', str(tmp_path / 'w'),
                                  '--cfg-options', f'train_dataloader.dataset.dataset.data_root='
                                                   f'{tmp_path}')
    assert code == 1
    line = error_line(stderr)
    assert f'{data_file}: key x_train holds NaN or Inf (first at point 17)' in line, line
