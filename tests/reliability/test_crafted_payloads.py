"""Files crafted to run code are refused by every loader, and the code never runs."""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from mm_cl_addon.datasets.points2d import make_stream, save_stream
from tests.payloads import CreatesMarker

from .helpers import REPO, error_line, run_in_process, tiny_config

pytestmark = pytest.mark.e2e
SOUP_CONFIG = REPO / 'configs' / 'soups' / 'finetune_cnn_digits.py'
MLP_MODES = REPO / 'configs' / 'memory_head' / '2d' / 'mlp_modes-cdi.py'


@pytest.fixture
def marker(tmp_path) -> Path:
    path = tmp_path / 'payload-ran'
    yield path
    assert not path.exists(), 'the payload ran'


@pytest.fixture
def crafted_checkpoint(tmp_path, marker) -> Path:
    path = tmp_path / 'crafted.pth'
    torch.save({'state_dict': {}, 'meta': CreatesMarker(marker)}, path)
    return path


CHECKPOINT_ENTRY_POINTS = {
    'train --resume': lambda cfg, ckpt, out: ('train.py', cfg, '--work-dir', out, '--resume',
                                              ckpt),
    'train load_from': lambda cfg, ckpt, out: ('train.py', cfg, '--work-dir', out,
                                               '--cfg-options', f'load_from={ckpt}'),
    'test': lambda cfg, ckpt, out: ('test.py', cfg, ckpt, '--work-dir', out),
    'soups/eval_individual': lambda cfg, ckpt, out: ('soups/eval_individual.py',
                                                     str(SOUP_CONFIG), ckpt, '--out',
                                                     f'{out}/i.jsonl'),
    'soups/predict': lambda cfg, ckpt, out: ('soups/predict.py', str(SOUP_CONFIG), ckpt,
                                             '--out', f'{out}/p.csv'),
    'soups/wise_ft': lambda cfg, ckpt, out: ('soups/wise_ft.py', str(SOUP_CONFIG), '--initial',
                                             ckpt, '--fine-tuned', ckpt, '--out-dir', out),
    'pickaback/transfer_kv': lambda cfg, ckpt, out: ('pickaback/transfer_kv.py', ckpt, ckpt,
                                                     '--modality', 'image', '--out',
                                                     f'{out}/kv.pth'),
}


@pytest.mark.parametrize('entry', list(CHECKPOINT_ENTRY_POINTS))
def test_code_running_checkpoints_are_refused(entry, tmp_path, crafted_checkpoint):
    argv = CHECKPOINT_ENTRY_POINTS[entry](str(tiny_config(tmp_path)), str(crafted_checkpoint),
                                          str(tmp_path / 'out'))
    code, stderr = run_in_process(*argv)
    assert code == 1
    line = error_line(stderr)
    assert f'Refused to load checkpoint {crafted_checkpoint}: it needs io.open' in line, line


def _zoo_manifest(tmp_path: Path, marker: Path) -> Path:
    path = tmp_path / 'zoo.yaml'
    path.write_text(f'models:\n  - !!python/object/apply:os.mknod ["{marker}"]\n')
    return path


@pytest.mark.parametrize('tool', ['dery/count_inout_size.py', 'dery/get_rep.py'])
def test_a_code_running_zoo_manifest_is_refused(tool, tmp_path, marker):
    manifest = _zoo_manifest(tmp_path, marker)
    extra = ['--out', str(tmp_path / 's.json')] if 'count' in tool else ['--out-dir',
                                                                        str(tmp_path / 'f')]
    code, stderr = run_in_process(tool, str(manifest), str(tiny_config(tmp_path)), *extra)
    assert code == 1
    line = error_line(stderr)
    assert f'zoo manifest {manifest}: refused' in line, line


def test_a_pickled_sizes_file_is_refused(tmp_path, marker):
    sizes = tmp_path / 'sizes.pkl'
    sizes.write_bytes(pickle.dumps(CreatesMarker(marker)))
    sim_dir = tmp_path / 'sim'
    sim_dir.mkdir()
    (sim_dir / 'index.json').write_text('{"sim_func": "cka", "num_nodes": {"a": 2, "b": 2}, '
                                        '"blocks": {}, "pairs": [["a", "b"]]}')
    np.save(sim_dir / 'a__b.npy', np.eye(2))
    code, stderr = run_in_process('dery/partition.py', str(sim_dir), '--out',
                                  str(tmp_path / 'p.json'), '--K', '2', '--sizes', str(sizes))
    assert code == 1
    assert f'{sizes}: ' in error_line(stderr)


def test_a_pickled_similarity_table_is_refused(tmp_path, marker):
    sim_dir = tmp_path / 'sim'
    sim_dir.mkdir()
    (sim_dir / 'index.json').write_text('{"sim_func": "cka", "num_nodes": {"a": 1, "b": 1}, '
                                        '"blocks": {}, "pairs": [["a", "b"]]}')
    np.save(sim_dir / 'a__b.npy', np.array([[CreatesMarker(marker)]], dtype=object),
            allow_pickle=True)
    code, stderr = run_in_process('dery/partition.py', str(sim_dir), '--out',
                                  str(tmp_path / 'p.json'), '--K', '1')
    assert code == 1
    assert 'a__b.npy: refused: it holds Python objects' in error_line(stderr)


def test_a_stream_file_with_pickled_arrays_is_refused(tmp_path, marker):
    streams = make_stream('modes', 'cdi', seed=0)
    data_file = tmp_path / 'modes_cdi.npz'
    save_stream(data_file, 'modes', 'cdi', 0, streams)
    arrays = dict(np.load(data_file))
    arrays['y_train'] = np.array([CreatesMarker(marker)] * len(arrays['y_train']), dtype=object)
    np.savez(data_file, **arrays)
    code, stderr = run_in_process('train.py', str(MLP_MODES), '--work-dir', str(tmp_path / 'w'),
                                  '--cfg-options', f'train_dataloader.dataset.dataset.data_root='
                                                   f'{tmp_path}')
    assert code == 1
    assert f'{data_file}: refused: it holds Python objects' in error_line(stderr)
