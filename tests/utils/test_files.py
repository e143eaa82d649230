"""The safe readers: every fault names the file, and nothing in a file is ever executed."""
from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from mm_cl_addon.utils.files import (
    InputFileError,
    open_safetensors,
    read_csv_rows,
    read_json,
    read_jsonl,
    read_npy,
    read_npz,
    read_structured,
    read_yaml,
)
from tests.payloads import CreatesMarker


def _truncations(data: bytes) -> list[int]:
    return [1, len(data) // 3, len(data) // 2, len(data) - 1]


def test_missing_file_names_it_and_the_hint(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'zoo manifest .*nothere\.json does not exist; '
                                                'write it with tools/x.py'):
        read_json(tmp_path / 'nothere.json', 'zoo manifest', hint='write it with tools/x.py')


@pytest.mark.parametrize('reader', [read_json, read_yaml, read_npy, read_npz, read_jsonl,
                                    read_csv_rows])
def test_empty_file_is_named_as_empty(tmp_path, reader):
    empty = tmp_path / 'empty'
    empty.touch()
    with pytest.raises(InputFileError, match=r'thing .*/empty: is empty \(0 bytes\)'):
        reader(empty, 'thing')


def test_a_folder_is_not_a_file(tmp_path):
    with pytest.raises(InputFileError, match='is a folder'):
        read_json(tmp_path, 'thing')


def test_truncated_json_names_file_and_position(tmp_path):
    text = json.dumps({'models': [{'name': 'a', 'arch': 'b'}]})
    for cut in _truncations(text.encode()):
        path = tmp_path / f'cut{cut}.json'
        path.write_text(text[:cut])
        with pytest.raises(InputFileError, match=rf'cut{cut}\.json: is not valid JSON \(line 1'):
            read_json(path, 'manifest')


def test_json_of_the_wrong_shape_is_named(tmp_path):
    path = tmp_path / 'a.json'
    path.write_text('[1, 2]')
    with pytest.raises(InputFileError, match=r'a\.json: expected a mapping at the top level, '
                                             'got a list'):
        read_json(path, 'record', expected=dict)


def test_non_utf8_text_is_named(tmp_path):
    path = tmp_path / 'a.json'
    path.write_bytes(b'{"a": "\xff"}')
    with pytest.raises(InputFileError, match=r'a\.json: is not UTF-8 text \(byte 7'):
        read_json(path, 'record')


def test_jsonl_names_the_bad_line(tmp_path):
    path = tmp_path / 'scores.jsonl'
    path.write_text('{"a": 1}\n\n[2]\n')
    with pytest.raises(InputFileError, match='line 3 is a list, expected a JSON object'):
        read_jsonl(path, 'scores')
    path.write_text('{"a": 1}\n{"a": ')
    with pytest.raises(InputFileError, match=r'line 2 is not valid JSON .*truncated\?'):
        read_jsonl(path, 'scores')
    path.write_text('{"a": 1}\n\n{"b": 2}\n')
    assert read_jsonl(path, 'scores') == [{'a': 1}, {'b': 2}]


@pytest.mark.parametrize('tag', ['!!python/object/apply:os.mknod', '!!python/object/new:os.mknod',
                                 '!!python/name:os.system'])
def test_yaml_python_tags_are_refused_and_never_run(tmp_path, tag):
    marker = tmp_path / 'ran'
    path = tmp_path / 'zoo.yaml'
    path.write_text(f'models:\n  - {tag} ["{marker}"]\n')
    with pytest.raises(InputFileError, match=r"zoo\.yaml: refused: .*python.*only plain YAML"):
        read_yaml(path, 'zoo manifest')
    assert not marker.exists()


def test_plain_yaml_reads(tmp_path):
    path = tmp_path / 'zoo.yml'
    path.write_text('models:\n  - {name: a, depth: 3}\n')
    assert read_structured(path, 'zoo manifest', dict) == {'models': [{'name': 'a', 'depth': 3}]}


def test_broken_yaml_names_the_line(tmp_path):
    path = tmp_path / 'zoo.yaml'
    path.write_text('models:\n  - {name: a\n')
    with pytest.raises(InputFileError, match=r'zoo\.yaml: is not valid YAML \(.* at line 3\)'):
        read_yaml(path, 'zoo manifest')


def test_pickle_suffixes_are_refused_without_reading(tmp_path):
    marker = tmp_path / 'ran'
    path = tmp_path / 'sizes.pkl'
    path.write_bytes(pickle.dumps(CreatesMarker(str(marker))))
    with pytest.raises(InputFileError, match=r"sizes\.pkl: suffix '\.pkl' is not one of"):
        read_structured(path, '--sizes file')
    assert not marker.exists()


def test_object_arrays_are_refused_and_never_unpickled(tmp_path):
    marker = tmp_path / 'ran'
    payload = np.array([CreatesMarker(str(marker))], dtype=object)
    np.save(tmp_path / 'a.npy', payload, allow_pickle=True)
    np.savez(tmp_path / 'a.npz', x=payload)
    with pytest.raises(InputFileError, match=r'a\.npy: refused: it holds Python objects'):
        read_npy(tmp_path / 'a.npy', 'matrix')
    with pytest.raises(InputFileError, match=r'a\.npz: refused: it holds Python objects'):
        read_npz(tmp_path / 'a.npz', 'stream')
    assert not marker.exists()


def test_a_plain_pickle_is_not_taken_for_an_array(tmp_path):
    marker = tmp_path / 'ran'
    for name, reader in (('a.npy', read_npy), ('a.npz', read_npz)):
        (tmp_path / name).write_bytes(pickle.dumps(CreatesMarker(str(marker))))
        with pytest.raises(InputFileError, match=rf'{name}: is not a \.np[yz] (array|archive) '
                                                 r"\(it starts with b'\\x80"):
            reader(tmp_path / name, 'matrix')
    assert not marker.exists()


def test_truncated_arrays_are_named(tmp_path):
    np.save(tmp_path / 'whole.npy', np.arange(1000.0))
    np.savez(tmp_path / 'whole.npz', x=np.arange(1000.0))
    for name, reader in (('npy', read_npy), ('npz', read_npz)):
        data = (tmp_path / f'whole.{name}').read_bytes()
        for cut in _truncations(data)[1:]:
            path = tmp_path / f'cut{cut}.{name}'
            path.write_bytes(data[:cut])
            with pytest.raises(InputFileError, match=rf'cut{cut}\.{name}: is not'):
                reader(path, 'matrix')
    assert np.array_equal(read_npy(tmp_path / 'whole.npy', 'matrix'), np.arange(1000.0))
    assert np.array_equal(read_npz(tmp_path / 'whole.npz', 'm')['x'], np.arange(1000.0))


def test_truncated_safetensors_are_named(tmp_path):
    whole = tmp_path / 'whole.safetensors'
    save_file({'x': torch.ones(64, 64)}, str(whole), metadata={'meta': '{}'})
    data = whole.read_bytes()
    for cut in _truncations(data):
        path = tmp_path / f'cut{cut}.safetensors'
        path.write_bytes(data[:cut])
        with pytest.raises(InputFileError, match=rf'features .*cut{cut}\.safetensors: is not a '
                                                 'readable safetensors file'):
            with open_safetensors(path, 'features'):
                pass
    with open_safetensors(whole, 'features') as opened:
        assert opened.metadata() == {'meta': '{}'}
        assert torch.equal(opened.get_tensor('x'), torch.ones(64, 64))


def test_csv_rows(tmp_path):
    path = tmp_path / 'p.csv'
    path.write_text('id,label\na,1\nb,2\n')
    assert read_csv_rows(path, 'predictions') == [{'id': 'a', 'label': '1'},
                                                   {'id': 'b', 'label': '2'}]
