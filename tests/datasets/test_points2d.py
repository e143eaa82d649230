"""MODES/MOONS streams: sizes, ratios, orders, seeds, the npz file and Points2DDataset."""
from __future__ import annotations

import re
from functools import cache

import numpy as np
import pytest
import torch
from mmengine.dataset import default_collate
from mmpretrain.registry import DATASETS

from mm_cl_addon.continual import TaskSplitDataset
from mm_cl_addon.datasets import Points2DDataset
from mm_cl_addon.datasets.points2d import (
    ORDERS,
    SPLITS,
    generate_pool,
    load_stream,
    make_stream,
    save_stream,
)
from mm_cl_addon.models.backbones.flatten import Flatten

# Points per class and split (train: half of 2 * 1000, val and test: a quarter each), from
# the class ratios 0.2/0.4/0.1/0.3 (MODES) and 0.4/0.1/0.3/0.2 (MOONS).
PER_CLASS = {'modes': {'train': [200, 400, 100, 300], 'test': [100, 200, 50, 150]},
             'moons': {'train': [400, 100, 300, 200], 'test': [200, 50, 150, 100]}}


def halves(counts: list[int]) -> list[int]:
    return [count // 2 for count in counts]


def expected_segment_sizes(dataset: str, order: str, split: str) -> list[int]:
    """The documented segment sizes, val being the first half of the val stream."""
    classes = PER_CLASS[dataset]['train' if split == 'train' else 'test']
    if order == 'iid':
        return [sum(classes) // 2] if split == 'val' else [sum(classes)]
    if order == 'ci':
        return classes[:2] if split == 'val' else classes
    per_mode = halves(classes)
    return per_mode if split == 'val' else per_mode * 2


@cache
def stream(dataset: str, order: str, seed: int = 0):
    return make_stream(dataset, order, seed)


@pytest.mark.parametrize('dataset', ['modes', 'moons'])
@pytest.mark.parametrize('order', ORDERS)
def test_segments_are_contiguous_with_the_documented_sizes(dataset, order):
    for split in SPLITS:
        part = stream(dataset, order)[split]
        assert np.all(np.diff(part.segment) >= 0), split
        sizes = np.bincount(part.segment).tolist()
        assert sizes == expected_segment_sizes(dataset, order, split), (split, sizes)


@pytest.mark.parametrize('dataset', ['modes', 'moons'])
def test_class_ratios_and_two_equal_modes_per_class(dataset):
    streams = stream(dataset, 'cdi')
    for split, total in (('train', 1000), ('test', 500)):
        part = streams[split]
        assert np.bincount(part.y).tolist() == PER_CLASS[dataset][split]
        assert len(part) == total
        for label in range(4):
            per_mode = np.bincount(part.mode[part.y == label], minlength=2)
            assert per_mode[0] == per_mode[1] == PER_CLASS[dataset][split][label] // 2


@pytest.mark.parametrize('dataset', ['modes', 'moons'])
def test_pool_is_scaled_to_the_unit_square_and_splits_are_disjoint(dataset):
    x, _, _ = generate_pool(dataset)
    assert x.shape == (2000, 2)
    np.testing.assert_array_equal(x.min(axis=0), [-1, -1])
    np.testing.assert_array_equal(x.max(axis=0), [1, 1])
    streams = stream(dataset, 'iid')
    seen = [set(map(tuple, streams[split].x)) for split in SPLITS]
    assert sum(map(len, seen)) == 1000 + 250 + 500
    assert not (seen[0] & seen[1] or seen[0] & seen[2] or seen[1] & seen[2])


# First two train points, labels and last test point of the authors' published files
# (sailab-code/memory_head, ocdi/d2d/generated_datasets/*.npz): seed 0 reproduces them.
PUBLISHED = {
    ('modes', 'iid'): ([[-0.892337121757293, 0.726660821938262],
                        [-0.17775139958749986, 0.4311533096082172]], [0, 1],
                       [-0.1251440473965001, 0.2534337748932687], 1),
    ('moons', 'iid'): ([[-0.18454427250766714, 0.30531089477836537],
                        [0.5235794632425126, 0.6038437465372146]], [0, 0],
                       [0.3842624384498097, 0.9444597395529677], 0),
    ('modes', 'cdid'): ([[-0.7994324023076129, -0.5733294924715228],
                         [-0.7986138682031128, -0.526374345521343]], [0, 0],
                        [-0.5767892479027239, 0.08090247814911922], 3),
    ('moons', 'cdid'): ([[-0.34735806164307703, -0.09915812978405325],
                         [-0.344514427733042, 0.04229232614530898]], [0, 0],
                        [1.0, -0.4571915381121079], 3),
}


@pytest.mark.parametrize('key', list(PUBLISHED))
def test_seed_0_reproduces_the_published_streams(key):
    first_train, first_labels, last_test, last_label = PUBLISHED[key]
    streams = stream(*key)
    np.testing.assert_allclose(streams['train'].x[:2], first_train, rtol=0, atol=1e-15)
    assert streams['train'].y[:2].tolist() == first_labels
    np.testing.assert_allclose(streams['test'].x[-1], last_test, rtol=0, atol=1e-15)
    assert streams['test'].y[-1] == last_label


@pytest.mark.parametrize('dataset', ['modes', 'moons'])
def test_same_seed_same_stream_other_seed_other_points(dataset):
    again = make_stream(dataset, 'cdid', seed=3)
    for split in SPLITS:
        for key in ('x', 'y', 'mode', 'segment'):
            np.testing.assert_array_equal(getattr(again[split], key),
                                          getattr(stream(dataset, 'cdid', 3)[split], key))
    other = stream(dataset, 'cdid', 0)['train']
    assert not np.allclose(again['train'].x, other.x)
    assert np.bincount(again['train'].segment).tolist() == np.bincount(other.segment).tolist()


@pytest.mark.parametrize('dataset', ['modes', 'moons'])
def test_ci_streams_one_class_after_the_other_with_both_modes_mixed(dataset):
    for split in SPLITS:
        part = stream(dataset, 'ci')[split]
        assert np.all(np.diff(part.y) >= 0)
        np.testing.assert_array_equal(part.segment, part.y)
    train = stream(dataset, 'ci')['train']
    first = train.mode[train.y == 0]
    assert 0 < first[: len(first) // 2].sum() < len(first) // 2  # modes interleaved in a class


@pytest.mark.parametrize('dataset', ['modes', 'moons'])
def test_cdi_streams_mode_0_of_every_class_then_mode_1(dataset):
    for split in SPLITS:
        part = stream(dataset, 'cdi')[split]
        np.testing.assert_array_equal(part.segment, part.mode * 4 + part.y)
    assert set(stream(dataset, 'cdi')['val'].mode.tolist()) == {0}


@pytest.mark.parametrize('dataset', ['modes', 'moons'])
def test_cdid_keeps_the_cdi_segments_and_drifts_left_to_right_within_each(dataset):
    for split in SPLITS:
        drift, plain = stream(dataset, 'cdid')[split], stream(dataset, 'cdi')[split]
        np.testing.assert_array_equal(drift.segment, plain.segment)
        np.testing.assert_array_equal(drift.segment, drift.mode * 4 + drift.y)
        for segment in np.unique(drift.segment):
            inside = drift.x[drift.segment == segment]
            assert np.all(np.diff(inside[:, 0]) >= 0), (split, segment)
            same_segment = plain.x[plain.segment == segment]
            assert sorted(map(tuple, inside)) == sorted(map(tuple, same_segment))
        assert not np.array_equal(drift.x, plain.x)


def test_iid_is_one_mixed_segment():
    train = stream('modes', 'iid')['train']
    assert set(train.segment.tolist()) == {0}
    assert np.any(np.diff(train.y) < 0) and np.any(np.diff(train.mode) != 0)
    assert set(stream('modes', 'iid')['val'].y.tolist()) == {0, 1, 2, 3}


@pytest.fixture(scope='module')
def cdid_file(tmp_path_factory):
    path = tmp_path_factory.mktemp('points2d') / 'moons_cdid.npz'
    save_stream(path, 'moons', 'cdid', 0, stream('moons', 'cdid'))
    return path


def test_npz_round_trip_keeps_every_array(cdid_file):
    meta, loaded = load_stream(cdid_file)
    assert meta == dict(dataset='moons', order='cdid', seed=0)
    for split in SPLITS:
        for key in ('x', 'y', 'mode', 'segment'):
            np.testing.assert_array_equal(getattr(loaded[split], key),
                                          getattr(stream('moons', 'cdid')[split], key))


@pytest.mark.parametrize('split', SPLITS)
def test_dataset_gives_points_labels_and_segments_in_stream_order(cdid_file, split):
    dataset = Points2DDataset(str(cdid_file), split=split)
    expected = stream('moons', 'cdid')[split]
    assert len(dataset) == len(expected)
    for index in (0, len(dataset) - 1):
        info = dataset.get_data_info(index)
        assert info['img'].shape == (1, 1, 2) and info['img'].dtype == np.float32
        np.testing.assert_allclose(info['img'].reshape(2), expected.x[index], rtol=1e-6)
        assert info['gt_label'] == expected.y[index]
        assert info['domain_id'] == expected.segment[index]
        assert info['mode_id'] == expected.mode[index]
        assert info['img_path'] == f'moons_cdid/{split}/{index}'


def test_pipeline_batch_reaches_flatten_as_b_by_2(cdid_file):
    dataset = DATASETS.build(dict(
        type='Points2DDataset', data_file=cdid_file.name, data_root=str(cdid_file.parent),
        split='test', pipeline=[dict(type='PackInputs', meta_keys=('domain_id', 'mode_id'))]))
    items = [dataset[i] for i in range(4)]
    assert tuple(items[0]['inputs'].shape) == (2, 1, 1)
    assert items[0]['data_samples'].domain_id == 0
    batch = default_collate(items)
    assert tuple(batch['inputs'].shape) == (4, 2, 1, 1)
    (flat,) = Flatten()(batch['inputs'])
    expected = torch.from_numpy(stream('moons', 'cdid')['test'].x[:4]).float()
    torch.testing.assert_close(flat, expected)


@pytest.mark.parametrize('order,num_tasks', [('cdid', 8), ('ci', 4)])
def test_task_split_class_domain_gives_one_task_per_segment_in_order(tmp_path, order,
                                                                     num_tasks):
    path = tmp_path / f'modes_{order}.npz'
    save_stream(path, 'modes', order, 0, stream('modes', order))
    split = TaskSplitDataset(Points2DDataset(str(path), split='train'), tasks=1,
                             scenario='class-domain')
    segments = stream('modes', order)['train'].segment
    assert split.num_tasks == num_tasks
    for task in range(num_tasks):
        np.testing.assert_array_equal(split.task_indices[task], np.flatnonzero(segments == task))


def test_missing_file_names_the_file_and_the_command_that_writes_it(tmp_path):
    missing = tmp_path / 'nope.npz'
    with pytest.raises(FileNotFoundError, match=re.escape(
            f'2D stream file {missing} does not exist; write it with python tools/data/'
            f'gen_2d_datasets.py --out-dir {tmp_path}')):
        Points2DDataset(str(missing))


def test_unreadable_file_names_the_file(tmp_path):
    bad = tmp_path / 'garbage.npz'
    bad.write_text('not a zip')
    with pytest.raises(ValueError, match='garbage.npz: is not a .npz archive'):
        load_stream(bad)


def test_pickled_objects_are_refused(tmp_path):
    # the authors' files keep their parameters as a pickled dict; this loader never unpickles
    path = tmp_path / 'pickled.npz'
    np.savez(path, dataset=np.array({'name': 'bi-moons'}, dtype=object))
    with pytest.raises(ValueError, match='pickled.npz'):
        load_stream(path)


def rewrite(path, source, **changes):
    """A copy of ``source`` with keys replaced (value) or removed (None)."""
    with np.load(source) as data:
        arrays = {key: data[key] for key in data.files}
    for key, value in changes.items():
        if value is None:
            del arrays[key]
        else:
            arrays[key] = value
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize('changes,error,pattern', [
    (dict(y_val=None), KeyError, "broken.npz: missing key 'y_val'"),
    (dict(order=None), KeyError, "broken.npz: missing key 'order'"),
    (dict(x_train=np.zeros((1000, 3))), ValueError, 'broken.npz: key x_train must be'),
    (dict(segment_test=np.zeros(7, np.int64)), ValueError, 'broken.npz: key segment_test'),
    (dict(y_train=np.full(1000, 4)), ValueError, 'broken.npz: key y_train has labels'),
    (dict(order=np.str_('zigzag')), ValueError, "broken.npz: key order .* 'zigzag'"),
    (dict(seed=np.arange(3)), ValueError, 'broken.npz: key seed must be a single value'),
    (dict(dataset=np.str_('spirals')), ValueError, "broken.npz: key dataset .* 'spirals'"),
])
def test_bad_keys_are_named_with_the_file(tmp_path, cdid_file, changes, error, pattern):
    path = rewrite(tmp_path / 'broken.npz', cdid_file, **changes)
    with pytest.raises(error, match=pattern):
        Points2DDataset(str(path), split='train')


@pytest.mark.parametrize('call,pattern', [
    (lambda: make_stream('spirals', 'ci'), 'dataset must be one of'),
    (lambda: make_stream('modes', 'random'), 'order must be one of'),
    (lambda: make_stream('modes', 'ci', seed=-1), 'seed must be an int'),
    (lambda: make_stream('modes', 'ci', seed=True), 'seed must be an int'),
    (lambda: make_stream('modes', 'ci', seed=2**32), 'seed must be an int'),
    (lambda: Points2DDataset('unused.npz', split='all', lazy_init=True), 'split must be one of'),
])
def test_bad_arguments_are_named(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
