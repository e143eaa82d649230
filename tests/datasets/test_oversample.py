"""ClassOversampleDataset: exact extra copies, their own augmentation, no leak from val/test."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from mm_cl_addon.datasets import ClassOversampleDataset, DigitsDataset

PACK = [dict(type='PackInputs')]
FLIP_AND_PACK = [dict(type='RandomFlip', prob=1.0, direction='horizontal'), *PACK]
CLASSES = [3, 7]
TIMES = 2


@pytest.fixture(scope='module')
def train() -> DigitsDataset:
    return DigitsDataset(split='train', pipeline=PACK)


@pytest.fixture(scope='module')
def oversampled(train) -> ClassOversampleDataset:
    return ClassOversampleDataset(train, classes=CLASSES, times=TIMES,
                                  extra_pipeline=FLIP_AND_PACK)


def ids(dataset) -> list[str]:
    return [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))]


def test_each_sample_of_the_chosen_classes_gets_exactly_times_extra_copies(train, oversampled):
    labels = {info['img_path']: info['gt_label']
              for info in map(train.get_data_info, range(len(train)))}
    chosen = sum(label in CLASSES for label in labels.values())
    assert chosen > 0 and len(oversampled) == len(train) + TIMES * chosen
    counts = Counter(ids(oversampled))
    assert counts.keys() == labels.keys()
    for key, count in counts.items():
        assert count == (1 + TIMES if labels[key] in CLASSES else 1), key
    assert ids(oversampled)[:len(train)] == ids(train)


def test_extra_copies_go_through_the_extra_pipeline(train, oversampled):
    for index in range(len(oversampled)):
        item = oversampled[index]
        image = item['inputs'][0].numpy()
        original = oversampled.get_data_info(index)['img']
        if index < len(train):
            assert np.array_equal(image, original)
        else:
            assert np.array_equal(image, np.fliplr(original)), index
            assert int(item['data_samples'].gt_label.item()) in CLASSES


def test_without_extra_pipeline_the_copies_use_the_wrapped_pipeline(train):
    dataset = ClassOversampleDataset(
        dict(type='DigitsDataset', split='train', pipeline=PACK), classes=[0])
    last = dataset[-1]
    assert np.array_equal(last['inputs'][0].numpy(), dataset.get_data_info(-1)['img'])
    assert dataset.metainfo == train.metainfo


def test_every_id_comes_from_the_train_split_and_none_from_val_or_test(train, oversampled):
    oversampled_ids = set(ids(oversampled))
    assert oversampled_ids == set(ids(train))
    for split in ('val', 'test'):
        assert oversampled_ids.isdisjoint(ids(DigitsDataset(split=split))), split


@pytest.mark.parametrize('classes', [[3, 10], [-1], []])
def test_unknown_classes_are_errors(train, classes):
    with pytest.raises(ValueError, match='ClassOversampleDataset: class'):
        ClassOversampleDataset(train, classes=classes)


@pytest.mark.parametrize('times', [0, -2, 1.5, True])
def test_times_must_be_at_least_one(train, times):
    with pytest.raises(ValueError, match=f'times={times!r}'):
        ClassOversampleDataset(train, classes=[3], times=times)


def test_an_empty_extra_pipeline_is_an_error(train):
    with pytest.raises(ValueError, match='extra_pipeline is empty'):
        ClassOversampleDataset(train, classes=[3], extra_pipeline=[])


def test_a_misspelled_argument_fails():
    from mmpretrain.registry import DATASETS

    with pytest.raises(TypeError, match='extra_pipline'):
        DATASETS.build(dict(type='ClassOversampleDataset', classes=[3], extra_pipline=PACK,
                            dataset=dict(type='DigitsDataset', split='train')))
