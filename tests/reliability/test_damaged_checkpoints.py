"""Every checkpoint entry point names a damaged checkpoint and what is wrong with it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import CHECKPOINT_FAULT, damaged_checkpoints
from .helpers import REPO, error_line, run_in_process, tiny_config

pytestmark = pytest.mark.e2e
SOUP_CONFIG = REPO / 'configs' / 'soups' / 'finetune_cnn_digits.py'
DAMAGES = ['empty', 'cut-at-1', 'cut-at-100', 'cut-in-half', 'cut-before-end-record',
           'cut-last-byte', 'text', 'json', 'a-list']


def _entry_points(config: Path, out: Path) -> dict[str, callable]:
    """Each entry point as ``damaged checkpoint -> (tool, argv)``."""
    soup = str(SOUP_CONFIG)
    return {
        'train --resume': lambda ckpt: ('train.py', str(config), '--work-dir', str(out / 'r'),
                                        '--resume', str(ckpt)),
        'train load_from': lambda ckpt: ('train.py', str(config), '--work-dir', str(out / 'l'),
                                         '--cfg-options', f'load_from={ckpt}'),
        'test': lambda ckpt: ('test.py', str(config), str(ckpt), '--work-dir', str(out / 't')),
        'soups/eval_individual': lambda ckpt: ('soups/eval_individual.py', soup, str(ckpt),
                                               '--out', str(out / 'i.jsonl')),
        'soups/predict': lambda ckpt: ('soups/predict.py', soup, str(ckpt), '--out',
                                       str(out / 'p.csv')),
        'soups/wise_ft': lambda ckpt: ('soups/wise_ft.py', soup, '--initial', str(ckpt),
                                       '--fine-tuned', str(ckpt), '--out-dir', str(out / 'w')),
        'pickaback/transfer_kv': lambda ckpt: ('pickaback/transfer_kv.py', str(ckpt), str(ckpt),
                                               '--modality', 'image', '--out',
                                               str(out / 'kv.pth')),
    }


@pytest.fixture(scope='module')
def damaged(tiny_run, tmp_path_factory) -> dict[str, Path]:
    return damaged_checkpoints(tiny_run / 'epoch_4.pth', tmp_path_factory.mktemp('damaged'))


@pytest.mark.parametrize('entry', ['train --resume', 'train load_from', 'test',
                                   'soups/eval_individual', 'soups/predict', 'soups/wise_ft',
                                   'pickaback/transfer_kv'])
def test_each_entry_point_names_each_damage(entry, damaged, tmp_path):
    entry_point = _entry_points(tiny_config(tmp_path), tmp_path)[entry]
    for damage in DAMAGES:
        code, stderr = run_in_process(*entry_point(damaged[damage]))
        assert code == 1, (damage, stderr[-2000:])
        line = error_line(stderr)
        assert re.search(CHECKPOINT_FAULT.format(name=re.escape(f'{damage}.pth')), line), line
    assert not list(tmp_path.rglob('*.pth')) and not list(tmp_path.rglob('*.jsonl'))
