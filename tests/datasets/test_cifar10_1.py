"""CIFAR10_1: reads the official .npy files, packs like CIFAR-10, and names bad files."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from mmpretrain.datasets.categories import CIFAR10_CATEGORIES
from mmpretrain.registry import DATASETS

import mm_cl_addon  # noqa: F401  (registers CIFAR10_1)

NUM = 20
PACK = [dict(type='PackInputs')]


def write_fixture(root: Path, version: str = 'v6', images: np.ndarray | None = None,
                  labels: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    if images is None:
        images = rng.integers(0, 256, size=(NUM, 32, 32, 3), dtype=np.uint8)
    if labels is None:
        labels = (np.arange(NUM) % 10).astype(np.int64)
    np.save(root / f'cifar10.1_{version}_data.npy', images)
    np.save(root / f'cifar10.1_{version}_labels.npy', labels)
    return images, labels


def build(root: Path, **overrides):
    return DATASETS.build(dict(type='CIFAR10_1', data_root=str(root), **overrides))


def test_loads_through_the_registry_and_packs(tmp_path):
    images, labels = write_fixture(tmp_path)
    dataset = build(tmp_path, pipeline=PACK)
    assert len(dataset) == NUM
    assert dataset.metainfo['classes'] == CIFAR10_CATEGORIES
    for i in (0, 7, NUM - 1):
        packed = dataset[i]
        assert packed['inputs'].shape == (3, 32, 32)
        np.testing.assert_array_equal(packed['inputs'].permute(1, 2, 0).numpy(), images[i])
        sample = packed['data_samples']
        assert sample.gt_label.item() == labels[i]
        assert sample.img_path == f'cifar10.1_v6/{i}'


def test_data_info_matches_mmpretrain_cifar(tmp_path):
    images, _ = write_fixture(tmp_path, version='v4')
    info = build(tmp_path, version='v4').get_data_info(3)
    assert info['img'].dtype == np.uint8 and info['img'].shape == (32, 32, 3)
    np.testing.assert_array_equal(info['img'], images[3])
    assert info['gt_label'] == 3 and isinstance(info['gt_label'], int)
    assert info['img_path'] == 'cifar10.1_v4/3'


def test_missing_file_names_the_expected_path(tmp_path):
    write_fixture(tmp_path, version='v4')
    expected = tmp_path / 'cifar10.1_v6_data.npy'
    with pytest.raises(FileNotFoundError, match=re.escape(str(expected))):
        build(tmp_path)


def test_rejects_unknown_version(tmp_path):
    with pytest.raises(ValueError, match="'v5'"):
        build(tmp_path, version='v5')


@pytest.mark.parametrize('images, labels, bad_file', [
    (np.zeros((NUM, 32, 32, 3), np.float32), None, 'data.npy'),
    (np.zeros((NUM, 32, 32), np.uint8), None, 'data.npy'),
    (None, np.zeros(NUM, np.float64), 'labels.npy'),
    (None, np.zeros((NUM, 1), np.int64), 'labels.npy'),
    (None, np.zeros(NUM - 1, np.int64), 'labels.npy'),
    (None, np.full(NUM, 10, np.int64), 'labels.npy'),
    (None, np.full(NUM, -1, np.int64), 'labels.npy'),
])
def test_rejects_malformed_files(tmp_path, images, labels, bad_file):
    write_fixture(tmp_path, images=images, labels=labels)
    with pytest.raises(ValueError, match=f'cifar10.1_v6_{bad_file}'):
        build(tmp_path)


def test_truncated_empty_or_pickled_files_name_the_file(tmp_path):
    write_fixture(tmp_path)
    data = tmp_path / 'cifar10.1_v6_data.npy'
    data.write_bytes(data.read_bytes()[:1000])
    with pytest.raises(ValueError, match=r'CIFAR-10.1 images .*cifar10\.1_v6_data\.npy: is not '
                                         r'a readable \.npy array'):
        build(tmp_path)
    data.write_bytes(b'')
    with pytest.raises(ValueError, match=r'cifar10\.1_v6_data\.npy: is empty \(0 bytes\)'):
        build(tmp_path)
    write_fixture(tmp_path, labels=np.array([0] * NUM, dtype=object))
    with pytest.raises(ValueError, match=r'CIFAR-10.1 labels .*cifar10\.1_v6_labels\.npy: '
                                         'refused: it holds Python objects'):
        build(tmp_path)
