"""ns-ImageNet: the mini-ImageNet layouts, the cached noise domains, the 300-distribution-style
stream (here 4 classes x 3 domains = 12), the feature files and NSImageNetDataset."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from mm_cl_addon.continual import TaskSplitDataset
from mm_cl_addon.datasets import NSImageNetDataset
from mm_cl_addon.datasets.ns_imagenet import (
    DOMAINS,
    SPLITS,
    add_noise,
    cache_noise_domains,
    feature_file,
    load_features,
    noise_folder,
    read_mini_imagenet,
    save_features,
    split_ranges,
    stream_images,
)

from .ns_imagenet_fixtures import PER_CLASS, WNIDS, write_mini_imagenet

NUM_CLASSES = len(WNIDS)
PER_SPLIT = {'train': 7, 'val': 1, 'test': 2}  # of the 10 images of each class


@pytest.fixture(scope='module')
def mini_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('mini') / 'mini-imagenet'
    ids = write_mini_imagenet(root)
    return root, ids


def test_csv_layout_reads_every_class_in_split_file_order(mini_root):
    root, ids = mini_root
    mini = read_mini_imagenet(root)
    assert mini.layout == 'csv'
    assert mini.classes == WNIDS
    assert [[image_id for image_id, _ in images] for images in mini.images] == ids
    assert all(path.is_file() for images in mini.images for _, path in images)


def test_folder_layout_gives_the_same_classes(tmp_path):
    ids = write_mini_imagenet(tmp_path / 'folders', layout='folders')
    mini = read_mini_imagenet(tmp_path / 'folders')
    assert mini.layout == 'folders' and mini.classes == WNIDS
    assert [[image_id for image_id, _ in images] for images in mini.images] == ids


def test_the_per_class_cut_is_70_10_20_as_the_reference():
    assert [len(r) for r in split_ranges(600).values()] == [420, 60, 120]
    assert [len(r) for r in split_ranges(PER_CLASS).values()] == [7, 1, 2]
    assert split_ranges(10)['test'] == range(8, 10)


def test_domains_are_the_references_gaussian_levels():
    assert [d.name for d in DOMAINS] == ['clean', 'gaussian-0.25x0.1', 'gaussian-0.5x0.2']
    assert [d.std for d in DOMAINS] == pytest.approx([0.0, 0.025, 0.1])


def test_noise_is_deterministic_per_image_and_grows_with_the_domain():
    pixels = np.full((32, 32, 3), 128, np.uint8)
    once = add_noise(pixels, 1, seed=0, image_id='images/a.jpg')
    np.testing.assert_array_equal(once, add_noise(pixels, 1, 0, 'images/a.jpg'))
    assert not np.array_equal(once, add_noise(pixels, 1, 0, 'images/b.jpg'))
    assert not np.array_equal(once, add_noise(pixels, 1, 1, 'images/a.jpg'))
    assert add_noise(pixels, 0, 0, 'images/a.jpg') is pixels
    spread = [np.std(add_noise(pixels, d, 0, 'images/a.jpg') / 255.0) for d in (1, 2)]
    assert spread == pytest.approx([0.025, 0.1], rel=0.15)


def test_noise_domains_are_cached_once_and_a_new_seed_redraws_them(mini_root, tmp_path):
    root, _ = mini_root
    mini = read_mini_imagenet(root)
    total = NUM_CLASSES * PER_CLASS * (len(DOMAINS) - 1)
    assert cache_noise_domains(mini, tmp_path, seed=0, progress=False) == dict(
        written=total, reused=0)
    png = noise_folder(tmp_path, 2, 0) / 'images' / f'{WNIDS[0]}00000001.png'
    first = np.asarray(Image.open(png))
    stamp = png.stat().st_mtime_ns
    assert cache_noise_domains(mini, tmp_path, seed=0, progress=False) == dict(
        written=0, reused=total)
    assert png.stat().st_mtime_ns == stamp
    assert not list(tmp_path.rglob('*.tmp'))
    clean = np.asarray(Image.open(mini.images[0][0][1]).convert('RGB'))
    np.testing.assert_array_equal(first, add_noise(clean, 2, 0, mini.images[0][0][0]))
    assert cache_noise_domains(mini, tmp_path, seed=7, progress=False)['written'] == total
    other = np.asarray(Image.open(noise_folder(tmp_path, 2, 7) / png.relative_to(
        noise_folder(tmp_path, 2, 0))))
    assert not np.array_equal(first, other)


def test_stream_images_are_domain_major_then_class_then_file_order(mini_root, tmp_path):
    root, ids = mini_root
    mini = read_mini_imagenet(root)
    for split in SPLITS:
        images = stream_images(mini, split, tmp_path, seed=3)
        per_cell = PER_SPLIT[split]
        assert len(images) == len(DOMAINS) * NUM_CLASSES * per_cell
        cells = [(i.domain, i.label) for i in images]
        assert cells == [(d, c) for d in range(3) for c in range(NUM_CLASSES)
                         for _ in range(per_cell)]
        first = split_ranges(PER_CLASS)[split][0]
        assert images[0].image_id == ids[0][first] and images[0].path.suffix == '.jpg'
        noisy = images[NUM_CLASSES * per_cell]
        assert noisy.domain == 1 and noisy.path == (
            noise_folder(tmp_path, 1, 3) / ids[0][first]).with_suffix('.png')


def _fake_features(mini, split, tmp_path, dim=5):
    images = stream_images(mini, split, tmp_path / 'noise')
    features = np.array([[i.label, i.domain, k, 0, 1] for k, i in enumerate(images)],
                        np.float32)[:, :dim]
    save_features(feature_file(tmp_path / 'features', split), features,
                  [i.label for i in images], [i.domain for i in images],
                  [i.image_id for i in images], mini.classes, dict(split=split))
    return features


@pytest.fixture
def feature_dir(mini_root, tmp_path):
    mini = read_mini_imagenet(mini_root[0])
    for split in SPLITS:
        _fake_features(mini, split, tmp_path)
    return tmp_path / 'features'


def test_dataset_streams_classes_x_domains_distributions(feature_dir):
    num_distributions = NUM_CLASSES * len(DOMAINS)
    for split in ('train', 'test'):
        dataset = NSImageNetDataset(str(feature_dir), split=split, pipeline=[])
        infos = [dataset.get_data_info(i) for i in range(len(dataset))]
        segments = [info['domain_id'] for info in infos]
        assert segments == sorted(segments)
        assert np.bincount(segments).tolist() == [PER_SPLIT[split]] * num_distributions
        for info in infos:
            assert info['domain_id'] == NUM_CLASSES * info['noise_domain'] + info['gt_label']
            assert info['img'].shape == (1, 1, 5) and info['img'].dtype == np.float32
            assert info['img'][0, 0, 0] == info['gt_label']  # the features travel with labels
        assert infos[0]['img_path'].startswith('clean/images/')
        assert dataset.metainfo['classes'] == WNIDS
        split_tasks = TaskSplitDataset(dataset, tasks=1, scenario='class-domain')
        assert split_tasks.num_tasks == num_distributions


def test_validation_keeps_the_first_half_of_its_distributions(feature_dir):
    val = NSImageNetDataset(str(feature_dir), split='val')
    segments = [val.get_data_info(i)['domain_id'] for i in range(len(val))]
    assert segments == list(range(NUM_CLASSES * len(DOMAINS) // 2))  # 1 image per cell
    assert len(NSImageNetDataset(str(feature_dir), split='val', cut_val=False)) == 12


def test_dataset_reads_relative_to_data_root_and_packs_a_flat_vector(feature_dir):
    dataset = NSImageNetDataset('features', data_root=str(feature_dir.parent), split='test',
                                pipeline=[dict(type='PackInputs')])
    assert dataset[0]['inputs'].shape == (5, 1, 1)


def test_missing_or_malformed_files_name_the_file(mini_root, feature_dir, tmp_path):
    with pytest.raises(FileNotFoundError, match=r'nowhere/train\.npz'):
        NSImageNetDataset(str(tmp_path / 'nowhere'), split='train')
    broken = tmp_path / 'broken'
    broken.mkdir()
    (broken / 'train.npz').write_bytes(b'not a zip')
    with pytest.raises(ValueError, match=r'broken/train\.npz: is not a \.npz archive'):
        load_features(broken / 'train.npz')
    np.savez(broken / 'val.npz', features=np.zeros((2, 3), np.float32))
    with pytest.raises(KeyError, match=r"val\.npz: missing keys \['labels'"):
        load_features(broken / 'val.npz')
    data = dict(np.load(feature_dir / 'test.npz'))
    data['labels'] = data['labels'][:-1]
    np.savez(broken / 'test.npz', **data)
    with pytest.raises(ValueError, match=r'test\.npz: key labels must be'):
        load_features(broken / 'test.npz')


def test_missing_split_files_and_images_name_them(tmp_path):
    root = tmp_path / 'mini'
    write_mini_imagenet(root)
    (root / 'images' / f'{WNIDS[3]}00000002.jpg').unlink()
    with pytest.raises(FileNotFoundError, match=rf'{WNIDS[3]}00000002\.jpg \(listed on line 3 '
                                                r'of .*test\.csv\)'):
        read_mini_imagenet(root)
    (root / 'val.csv').unlink()
    with pytest.raises(FileNotFoundError, match=r'val\.csv does not exist'):
        read_mini_imagenet(root, layout='csv')
    (root / 'val.csv').write_text('name,wnid\n')
    with pytest.raises(ValueError, match=r'val\.csv: line 1 must be the header'):
        read_mini_imagenet(root)
    (root / 'val.csv').write_text('')
    with pytest.raises(ValueError, match=r'mini-ImageNet split file .*val\.csv: is empty'):
        read_mini_imagenet(root)
    (root / 'val.csv').write_bytes(b'filename,label\n\xff\xfe.jpg,n01\n')
    with pytest.raises(ValueError, match=r'val\.csv: is not UTF-8 text'):
        read_mini_imagenet(root)
    (root / 'val.csv').write_text('filename,label\n"' + 'x' * 200_000 + '",n01\n')
    with pytest.raises(ValueError, match=r'val\.csv: is not valid CSV \(field larger'):
        read_mini_imagenet(root)
    with pytest.raises(FileNotFoundError, match=r'nothing.* is not a folder'):
        read_mini_imagenet(tmp_path / 'nothing')
