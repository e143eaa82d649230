"""DigitsDataset: splits, ids, pipelines and domain variants."""
from __future__ import annotations

import re

import numpy as np
import pytest
from mmpretrain.registry import DATASETS

from mm_cl_addon.datasets import DigitsDataset

NUM_DIGITS = 1797
SPLIT_RATIOS = {'train': 0.6, 'val': 0.2, 'test': 0.2}


def ids(dataset: DigitsDataset) -> list[str]:
    return [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))]


def labels(dataset: DigitsDataset) -> np.ndarray:
    return np.array([dataset.get_data_info(i)['gt_label'] for i in range(len(dataset))])


@pytest.fixture(scope='module')
def splits() -> dict[str, DigitsDataset]:
    return {split: DigitsDataset(split=split) for split in ('train', 'val', 'test', 'all')}


def test_splits_are_disjoint_and_cover_everything(splits):
    parts = [set(ids(splits[name])) for name in SPLIT_RATIOS]
    assert sum(len(part) for part in parts) == NUM_DIGITS
    assert set.union(*parts) == set(ids(splits['all']))
    assert len(set.union(*parts)) == NUM_DIGITS


def test_split_sizes_follow_the_ratios(splits):
    # Held-out splits round up (ceil(0.2 * 1797) = 360); train takes the remaining 1077.
    assert [len(splits[name]) for name in SPLIT_RATIOS] == [1077, 360, 360]


def test_splits_are_stratified(splits):
    class_counts = np.bincount(labels(splits['all']), minlength=10)
    for name, ratio in SPLIT_RATIOS.items():
        counts = np.bincount(labels(splits[name]), minlength=10)
        assert np.all(np.abs(counts - ratio * class_counts) <= 1), name


def test_seed_decides_the_split(splits):
    assert ids(DigitsDataset(split='test', seed=0)) == ids(splits['test'])
    assert ids(DigitsDataset(split='test', seed=1)) != ids(splits['test'])


def test_data_info_fields_and_stable_ids(splits):
    info = splits['all'].get_data_info(5)
    assert info['img_path'] == 'digits/5'
    assert info['img'].shape == (8, 8) and info['img'].dtype == np.uint8
    assert info['img'].max() == 255 and info['domain_id'] == 0
    assert isinstance(info['gt_label'], int)
    assert splits['all'].metainfo['classes'] == tuple(str(d) for d in range(10))
    by_id = {i['img_path']: i for i in map(splits['all'].get_data_info, range(NUM_DIGITS))}
    train_info = splits['train'].get_data_info(0)
    np.testing.assert_array_equal(train_info['img'], by_id[train_info['img_path']]['img'])


def test_values_are_scaled_from_0_16_with_rounding(splits):
    from sklearn.datasets import load_digits

    raw = load_digits().images[7]
    np.testing.assert_array_equal(splits['all'].get_data_info(7)['img'],
                                  np.rint(raw * 255 / 16).astype(np.uint8))


def test_standard_pipeline_from_the_registry():
    dataset = DATASETS.build(dict(
        type='DigitsDataset', split='val',
        pipeline=[dict(type='Resize', scale=16), dict(type='PackInputs')]))
    sample = dataset[0]
    assert tuple(sample['inputs'].shape) == (1, 16, 16)
    assert sample['data_samples'].img_path == dataset.get_data_info(0)['img_path']
    assert int(sample['data_samples'].gt_label) == dataset.get_data_info(0)['gt_label']


def test_rotation_domain_zero_is_identity(splits):
    dataset = DigitsDataset(split='all', domains=dict(kind='rotation', num_domains=3, seed=4))
    assert len(dataset) == 3 * NUM_DIGITS
    first = dataset.get_data_info(10)
    assert first['img_path'] == 'digits/10@d0' and first['domain_id'] == 0
    np.testing.assert_array_equal(first['img'], splits['all'].get_data_info(10)['img'])
    rotated = dataset.get_data_info(NUM_DIGITS + 10)
    assert rotated['img_path'] == 'digits/10@d1' and rotated['domain_id'] == 1
    assert rotated['img'].shape == (8, 8) and rotated['img'].dtype == np.uint8
    assert rotated['gt_label'] == first['gt_label']
    assert not np.array_equal(rotated['img'], first['img'])


def test_permutation_domains_permute_pixels_reproducibly():
    cfg = dict(kind='permutation', num_domains=3, seed=7)
    dataset = DigitsDataset(split='val', domains=cfg)
    size = len(dataset) // 3
    for index in (0, size - 1):
        images = [dataset.get_data_info(index + d * size)['img'] for d in range(3)]
        for image in images[1:]:
            np.testing.assert_array_equal(np.sort(image, axis=None), np.sort(images[0], axis=None))
    again = DigitsDataset(split='val', domains=cfg)
    other = DigitsDataset(split='val', domains=dict(cfg, seed=8))
    last = len(dataset) - 1
    np.testing.assert_array_equal(again.get_data_info(last)['img'],
                                  dataset.get_data_info(last)['img'])
    assert not all(np.array_equal(other.get_data_info(i)['img'], dataset.get_data_info(i)['img'])
                   for i in range(size, 2 * size))


@pytest.mark.parametrize('kwargs, named', [
    (dict(split='training'), 'split'),
    (dict(val_ratio=1.5), 'val_ratio'),
    (dict(test_ratio=-0.1), 'test_ratio'),
    (dict(val_ratio=0.5, test_ratio=0.5), 'val_ratio + test_ratio'),
    (dict(seed=-1), 'seed'),
    (dict(domains=dict(kind='blur', num_domains=2)), 'domains.kind'),
    (dict(domains=dict(kind='rotation', num_domains=0)), 'domains.num_domains'),
])
def test_bad_arguments_are_named(kwargs, named):
    with pytest.raises(ValueError, match=re.escape(named)):
        DigitsDataset(lazy_init=True, **kwargs)


def test_bad_domain_keys_are_named():
    with pytest.raises(KeyError, match='angle'):
        DigitsDataset(domains=dict(kind='rotation', num_domains=2, angle=3))
    with pytest.raises(KeyError, match='num_domains'):
        DigitsDataset(domains=dict(kind='rotation'))


def test_zero_val_ratio_moves_val_into_train():
    assert len(DigitsDataset(split='train', val_ratio=0.0)) + 360 == NUM_DIGITS
    with pytest.raises(ValueError, match='val_ratio'):
        DigitsDataset(split='val', val_ratio=0.0)
