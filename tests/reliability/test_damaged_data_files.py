"""Every reader of JSON, JSONL, CSV, YAML, .npy, .npz and safetensors names a damaged file."""
from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save as safetensors_bytes

from mm_cl_addon.datasets.points2d import make_stream, save_stream

from .helpers import REPO, error_line, run_in_process

pytestmark = pytest.mark.e2e
SOUP_CONFIG = str(REPO / 'configs' / 'soups' / 'finetune_cnn_digits.py')
MLP_MODES = str(REPO / 'configs' / 'memory_head' / '2d' / 'mlp_modes-cdi.py')
FAULT = r'(is empty \(0 bytes\)|is not valid JSON|is not valid YAML|is not a \.np[yz]|is not a ' \
        r'readable|truncated|line \d+|not UTF-8|has no|lacks|expected|header)'
DAMAGES = ('empty', 'cut-in-half', 'cut-last-byte', 'binary')


def _damage(whole: bytes, kind: str) -> bytes:
    return {'empty': b'', 'cut-in-half': whole[:len(whole) // 2], 'cut-at-10': whole[:10],
            'cut-last-byte': whole[:-1], 'binary': b'\x00\xff\x13garbage'}[kind]


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _stream_bytes(tmp_path: Path) -> bytes:
    path = tmp_path / 'whole.npz'
    save_stream(path, 'modes', 'cdi', 0, make_stream('modes', 'cdi', 0))
    return path.read_bytes()


def _sim_dir(tmp_path: Path) -> Path:
    folder = tmp_path / 'sim'
    folder.mkdir(exist_ok=True)
    (folder / 'index.json').write_text(json.dumps(dict(
        sim_func='cka', num_nodes=dict(a=2, b=2), blocks={}, pairs=[['a', 'b']])))
    (folder / 'a__b.npy').write_bytes(_npy_bytes(np.eye(2)))
    return folder


# name -> (file name, whole content, argv given the damaged file and a scratch folder[,
# damages when not DAMAGES])
READERS = {
    'accuracy report (compare)': (
        'continual_accuracy.json',
        lambda tmp: json.dumps(dict(accuracy_matrix=[[0.0, 0.0], [1.0, 0.0], [0.9, 1.0]],
                                    average_accuracy=0.95)).encode(),
        lambda path, tmp: ('continual/compare.py', f'run={path.parent}')),
    'pruning-ratio record': (
        'record.json',
        lambda tmp: json.dumps(dict(task=1, records=[[0.5, 97.0], [0.7, 95.0]])).encode(),
        lambda path, tmp: ('pickaback/select_pruning_ratio.py', str(path), '--goal', '96')),
    'baseline metrics': (
        'metrics.json', lambda tmp: json.dumps({'accuracy/top1': 97.0}).encode(),
        lambda path, tmp: ('pickaback/select_pruning_ratio.py', str(path), '--baseline',
                           str(path))),
    'individual scores (soup)': (  # no final newline: the cut falls inside the record
        'individual.jsonl', lambda tmp: b'{"checkpoint": "a.pth", "score": 90.0}',
        lambda path, tmp: ('soups/soup.py', SOUP_CONFIG, '--recipe', 'uniform', '--individual',
                           str(path), '--out-dir', str(tmp / 'soup'))),
    'predictions (hard_vote)': (
        'predictions.csv', lambda tmp: b'id,pred_label,confidence\na,1,0.9\nb,2,0.8\n',
        lambda path, tmp: ('soups/hard_vote.py', str(path), str(path), '--out',
                           str(tmp / 'votes.csv')),
        # a CSV cut at a line end is a shorter CSV: only cuts inside the header are detectable
        ('empty', 'cut-at-10', 'binary')),
    'similarity index (partition)': (
        'index.json',
        lambda tmp: (_sim_dir(tmp) / 'index.json').read_bytes(),
        lambda path, tmp: ('dery/partition.py', str(_sim_with(tmp, 'index.json', path)),
                           '--out', str(tmp / 'p.json'), '--K', '2')),
    'similarity table (partition)': (
        'a__b.npy', lambda tmp: _npy_bytes(np.eye(2)),
        lambda path, tmp: ('dery/partition.py', str(_sim_with(tmp, 'a__b.npy', path)),
                           '--out', str(tmp / 'p.json'), '--K', '2')),
    'partition (zeroshot_reassembly)': (
        'partition.json', lambda tmp: b'{"K": 2, "blocks": []}',
        lambda path, tmp: ('dery/zeroshot_reassembly.py', '--partition', str(path), '--sizes',
                           str(path), '--zoo', str(path), '--data-config', SOUP_CONFIG,
                           '--base-config', SOUP_CONFIG, '--num-classes', '10', '--out-dir',
                           str(tmp / 'r'))),
    'zoo manifest (count_inout_size)': (
        'zoo.json', lambda tmp: b'{"models": [{"name": "a", "arch": "resnet18", "library": '
                                b'"timm"}]}',
        lambda path, tmp: ('dery/count_inout_size.py', str(path), SOUP_CONFIG, '--out',
                           str(tmp / 's.json'))),
    'features (compute_sim)': (
        'a.safetensors',
        lambda tmp: safetensors_bytes({'feat/1': torch.ones(4, 3)}, metadata={'meta': '{}'}),
        lambda path, tmp: ('dery/compute_sim.py', str(path.parent), '--out-dir',
                           str(tmp / 'sim-out'))),
    '2D stream (train)': (
        'modes_cdi.npz', _stream_bytes,
        lambda path, tmp: ('train.py', MLP_MODES, '--work-dir', str(tmp / 'w'), '--cfg-options',
                           f'train_dataloader.dataset.dataset.data_root={path.parent}')),
}


def _sim_with(tmp: Path, name: str, damaged: Path) -> Path:
    folder = _sim_dir(tmp)
    shutil.copy(damaged, folder / name)
    return folder


@pytest.mark.parametrize('reader', list(READERS))
def test_each_reader_names_each_damaged_file(reader, tmp_path):
    file_name, whole, argv, *damages = READERS[reader]
    content = whole(tmp_path)
    for damage in (damages[0] if damages else DAMAGES):
        folder = tmp_path / damage
        folder.mkdir()
        path = folder / file_name
        path.write_bytes(_damage(content, damage))
        code, stderr = run_in_process(*argv(path, folder))
        assert code == 1, (damage, stderr[-2000:])
        line = error_line(stderr)
        assert file_name in line and re.search(FAULT, line), (damage, line)
