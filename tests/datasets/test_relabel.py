"""RelabelDataset: corrections reach the packed labels, are reported, and fail loudly."""
from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.datasets import load_digits

from mm_cl_addon.datasets import DigitsDataset, RelabelDataset, load_relabel_file
from mm_cl_addon.datasets import relabel as relabel_module

PACK = [dict(type='PackInputs')]
TRAIN_CFG = dict(type='DigitsDataset', split='train', pipeline=PACK)


@pytest.fixture(scope='module')
def train() -> DigitsDataset:
    return DigitsDataset(split='train', pipeline=PACK)


@pytest.fixture(scope='module')
def corrections(train) -> dict[str, int]:
    """Three train samples moved to the next class."""
    infos = [train.get_data_info(i) for i in (0, 10, 500)]
    return {info['img_path']: (info['gt_label'] + 1) % 10 for info in infos}


@pytest.fixture
def logged(monkeypatch) -> list[str]:
    messages: list[str] = []
    monkeypatch.setattr(relabel_module, 'print_log',
                        lambda message, logger: messages.append(message))
    return messages


def write_json(path, content) -> str:
    path.write_text(json.dumps(content))
    return str(path)


def write_csv(path, labels: dict[str, int]) -> str:
    path.write_text('id,label\n' + ''.join(f'{key},{value}\n' for key, value in labels.items()))
    return str(path)


def packed_labels(dataset) -> dict[str, int]:
    labels = {}
    for index in range(len(dataset)):
        sample = dataset[index]['data_samples']
        labels[sample.img_path] = int(sample.gt_label.item())
    return labels


@pytest.mark.parametrize('writer', [write_json, write_csv])
def test_only_the_listed_samples_change_in_the_packed_labels(tmp_path, train, corrections,
                                                              logged, writer):
    relabel_file = writer(tmp_path / 'fix', corrections)
    dataset = RelabelDataset(TRAIN_CFG, relabel_file)
    before, after = packed_labels(train), packed_labels(dataset)
    assert before.keys() == after.keys() and len(after) == len(train)
    changed = {key for key in after if after[key] != before[key]}
    assert changed == set(corrections)
    assert all(after[key] == label for key, label in corrections.items())
    assert sorted(dataset.changes) == sorted(
        (key, before[key], label) for key, label in corrections.items())
    assert len(logged) == 1 and 'changed 3 labels' in logged[0] and relabel_file in logged[0]
    assert dataset.metainfo == train.metainfo


def test_data_info_is_a_corrected_copy(tmp_path, train, corrections, logged):
    dataset = RelabelDataset(train, write_json(tmp_path / 'fix.json', corrections))
    key, label = next(iter(corrections.items()))
    index = next(i for i in range(len(train)) if train.get_data_info(i)['img_path'] == key)
    assert dataset.get_data_info(index)['gt_label'] == label
    assert dataset.get_data_info(index - len(dataset))['gt_label'] == label
    assert train.get_data_info(index)['gt_label'] != label


def test_an_entry_that_already_holds_its_label_is_not_a_change(tmp_path, train, logged):
    info = train.get_data_info(3)
    dataset = RelabelDataset(train, write_json(tmp_path / 'same.json',
                                               {info['img_path']: info['gt_label']}))
    assert dataset.changes == []
    assert 'changed 0 labels' in logged[0] and '1 samples already had' in logged[0]


def test_relabeling_the_train_split_leaves_val_untouched(tmp_path, train, corrections, logged):
    RelabelDataset(TRAIN_CFG, write_json(tmp_path / 'fix.json', corrections))
    val = DigitsDataset(split='val', pipeline=PACK)
    truth = load_digits().target
    for key, label in packed_labels(val).items():
        assert label == truth[int(key.split('/')[1])]


def test_ids_of_other_splits_or_typos_are_errors(tmp_path, train, corrections):
    val_ids = [DigitsDataset(split='val').get_data_info(i)['img_path'] for i in range(6)]
    relabel_file = write_json(tmp_path / 'bad_ids.json',
                              {**corrections, **dict.fromkeys(val_ids, 1), 'digit/0': 1})
    with pytest.raises(KeyError, match='bad_ids.json: 7 ids are not in') as error:
        RelabelDataset(train, relabel_file)
    assert sum(key in str(error.value) for key in [*val_ids, 'digit/0']) == 5


@pytest.mark.parametrize('label', [10, -1, True, '3', 2.0])
def test_a_label_outside_the_classes_is_an_error(tmp_path, train, label):
    key = train.get_data_info(0)['img_path']
    with pytest.raises(ValueError, match=f'labels.json: the label of {key!r}'):
        RelabelDataset(train, write_json(tmp_path / 'labels.json', {key: label}))


@pytest.mark.parametrize('text', ['not a relabel file', 'id;label\ndigits/0;1\n', '',
                                  '[["digits/0", 1]]'])
def test_a_file_neither_json_object_nor_id_label_csv_is_an_error(tmp_path, text):
    path = tmp_path / 'broken.txt'
    path.write_text(text)
    with pytest.raises(ValueError, match='broken.txt'):
        load_relabel_file(path)


@pytest.mark.parametrize('content, fault', [
    (b'', r'is empty \(0 bytes\)'),
    (b'\x80\x04\x95 a pickle', 'is not UTF-8 text'),
    (b'id,label\n"' + b'x' * 200_000 + b'",1\n', r'is not valid JSON or CSV \(field larger'),
])
def test_an_empty_binary_or_unreadable_file_names_the_file(tmp_path, content, fault):
    path = tmp_path / 'broken.csv'
    path.write_bytes(content)
    with pytest.raises(ValueError, match=f'relabel file .*broken\\.csv: {fault}'):
        load_relabel_file(path)


def test_csv_errors_name_the_line_and_duplicates_are_refused(tmp_path):
    path = tmp_path / 'fix.csv'
    path.write_text('id,label\ndigits/0,1\ndigits/1,one\n')
    with pytest.raises(ValueError, match='fix.csv, line 3'):
        load_relabel_file(path)
    path.write_text('id,label\ndigits/0,1\ndigits/0,2\n')
    with pytest.raises(ValueError, match="'digits/0' is listed more than once"):
        load_relabel_file(path)
    path.write_text('{"digits/0": 1, "digits/0": 2}')
    with pytest.raises(ValueError, match="'digits/0' is listed more than once"):
        load_relabel_file(path)


def test_a_missing_file_is_an_error(tmp_path, train):
    with pytest.raises(FileNotFoundError, match='nowhere.json'):
        RelabelDataset(train, str(tmp_path / 'nowhere.json'))


def test_a_wrapped_data_set_without_a_pipeline_is_an_error(tmp_path):
    class NoPipeline:
        metainfo = {'classes': ('a', 'b')}

        def __len__(self) -> int:
            return 1

        def get_data_info(self, index: int) -> dict:
            return {'img_path': 'x', 'gt_label': np.int64(0)}

    with pytest.raises(ValueError, match='NoPipeline has no callable `pipeline`'):
        RelabelDataset(NoPipeline(), write_json(tmp_path / 'fix.json', {'x': 1}))
