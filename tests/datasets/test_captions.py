"""Captioned CUB / Oxford-102 / COCO: splits, labels, captions, packing, task splits, errors."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import ConcatDataset, default_collate, pseudo_collate
from mmpretrain.registry import DATASETS, MODELS, TRANSFORMS
from scipy.io import savemat

import mm_cl_addon  # noqa: F401  (registers the data sets and transforms)
from mm_cl_addon.datasets.captions import decode_text, encode_text
from mm_cl_addon.datasets.captions.base import carve_out

from .caption_fixtures import (
    COCO_CATEGORIES,
    COCO_FIXTURE_CATEGORIES,
    write_coco,
    write_cub,
    write_oxford102,
)

REPO = Path(__file__).resolve().parents[2]
IMAGE_PIPELINE = [dict(type='LoadImageFromFile'), dict(type='PackMultiModalInputs')]
TEXT_PIPELINE = [dict(type='PackMultiModalInputs', max_bytes=64)]


@pytest.fixture(scope='module')
def cub(tmp_path_factory):
    return write_cub(tmp_path_factory.mktemp('cub'))


@pytest.fixture(scope='module')
def oxford(tmp_path_factory):
    return write_oxford102(tmp_path_factory.mktemp('oxford'))


@pytest.fixture(scope='module')
def coco(tmp_path_factory):
    root = tmp_path_factory.mktemp('coco')
    return root, write_coco(root)


def build(type_: str, root: Path, **kwargs):
    # serialize_data packs the list with a gc.collect() that costs ~0.5 s per build
    return DATASETS.build(dict(type=type_, data_root=str(root), serialize_data=False, **kwargs))


def infos(dataset) -> list[dict]:
    return [dataset.get_data_info(i) for i in range(len(dataset))]


# ----------------------------------------------------------------------------- CUB
def test_cub_splits_partition_the_official_sets(cub):
    official_train = {i for i, train in cub.is_train.items() if train}
    ids = {split: [info['image_id'] for info in infos(build('CUBCaptions', cub.root,
                                                            split=split, val_ratio=0.4))]
           for split in ('train', 'val', 'test')}
    assert set(ids['test']) == set(cub.is_train) - official_train
    assert set(ids['train']) | set(ids['val']) == official_train
    assert not set(ids['train']) & set(ids['val'])
    # 3 official training images per class, 0.4 * 3 = 1.2 -> 1 per class in val
    assert len(ids['val']) == 4 and len(ids['train']) == 8 and len(ids['test']) == 8
    assert ids['test'] == sorted(ids['test'])
    full = build('CUBCaptions', cub.root, split='train', val_ratio=0)
    assert {info['image_id'] for info in infos(full)} == official_train


def test_cub_val_carve_out_follows_the_seed(cub):
    def val_ids(seed):
        return [i['image_id'] for i in infos(build('CUBCaptions', cub.root, split='val',
                                                   val_ratio=0.4, split_seed=seed))]
    assert val_ids(3) == val_ids(3)
    assert any(val_ids(0) != val_ids(seed) for seed in range(1, 6))


def test_cub_labels_paths_and_classes(cub):
    dataset = build('CUBCaptions', cub.root, split='test')
    assert dataset.metainfo['classes'] == tuple(cub.class_names)
    for info in infos(dataset):
        image_id = info['image_id']
        assert info['gt_label'] == cub.labels[image_id]
        assert info['img_path'] == str(cub.root / 'images' / cub.paths[image_id])
        assert info['modality'] == 'image' and 'text' not in info


def test_cub_image_samples_load_and_pack(cub):
    dataset = build('CUBCaptions', cub.root, split='test', pipeline=IMAGE_PIPELINE)
    packed = dataset[0]
    assert set(packed['inputs']) == {'image'}
    assert packed['inputs']['image'].shape == (3, 16, 16)
    assert packed['inputs']['image'].dtype == torch.uint8
    assert packed['data_samples'].modality == 'image'
    assert packed['data_samples'].gt_label.item() == dataset.get_data_info(0)['gt_label']


def test_caption_sampling_is_fixed_by_the_seed(cub):
    def captions(seed):
        dataset = build('CUBCaptions', cub.root, split='test', modality='text',
                        caption_seed=seed)
        return [(i['image_id'], i['caption_index'], i['text']) for i in infos(dataset)]

    first = captions(7)
    assert first == captions(7)
    assert len(first) == 8  # one caption per test image
    for image_id, index, text in first:
        assert text == cub.captions[image_id][index]
    assert any(captions(7) != captions(seed) for seed in range(8, 12))


def test_a_caption_does_not_depend_on_the_split_composition(cub):
    def chosen(split, ratio):
        dataset = build('CUBCaptions', cub.root, split=split, val_ratio=ratio,
                        modality='text', caption_seed=1)
        return {i['image_id']: i['caption_index'] for i in infos(dataset)}

    full = chosen('train', 0)
    carved = {**chosen('train', 0.4), **chosen('val', 0.4)}
    assert carved == full


def test_all_captions_expand_one_sample_per_caption(cub):
    dataset = build('CUBCaptions', cub.root, split='test', modality='text', captions='all')
    data = infos(dataset)
    assert len(data) == 8 * 10
    first_id = data[0]['image_id']
    assert [i['text'] for i in data[:10]] == cub.captions[first_id]
    assert [i['caption_index'] for i in data[:10]] == list(range(10))
    assert all('img_path' not in i for i in data)


def test_paired_samples_have_image_and_caption(cub):
    dataset = build('CUBCaptions', cub.root, split='test', modality='paired',
                    captions='all', pipeline=[dict(type='LoadImageFromFile'),
                                              dict(type='PackMultiModalInputs', max_bytes=80)])
    assert len(dataset) == 80
    info = dataset.get_data_info(13)
    assert info['text'] == cub.captions[info['image_id']][info['caption_index']]
    packed = dataset[13]
    assert set(packed['inputs']) == {'image', 'text', 'text_length'}
    assert packed['inputs']['image'].shape == (3, 16, 16)
    assert decode_text(packed['inputs']['text'], packed['inputs']['text_length']) == info['text']
    assert packed['data_samples'].modality == 'paired'
    assert packed['data_samples'].text == info['text']


def test_cub_caption_folder_can_live_elsewhere(tmp_path):
    fixture = write_cub(tmp_path / 'cub', num_classes=2, images_per_class=2, test_per_class=1,
                        caption_dir='../cvpr2016_cub/text_c10')
    dataset = build('CUBCaptions', fixture.root, split='test', modality='text',
                    caption_dir='../cvpr2016_cub/text_c10')
    assert [i['text'] in fixture.captions[i['image_id']] for i in infos(dataset)] == [True] * 2


# ----------------------------------------------------------------------------- Oxford-102
def test_oxford_splits_follow_setid(oxford):
    for split in ('train', 'val', 'test'):
        data = infos(build('Oxford102Captions', oxford.root, split=split))
        assert [i['image_id'] for i in data] == sorted(oxford.splits[split])
        for info in data:
            assert info['gt_label'] == oxford.labels[info['image_id']]
            assert info['img_path'] == str(oxford.root / 'jpg' /
                                           f"image_{info['image_id']:05d}.jpg")
    assert {oxford.labels[i] for i in oxford.splits['train']} == {0, 4, 101}
    assert len(build('Oxford102Captions', oxford.root).metainfo['classes']) == 102


def test_oxford_captions_come_from_the_label_folder(oxford):
    dataset = build('Oxford102Captions', oxford.root, split='test', modality='paired',
                    captions='all', pipeline=IMAGE_PIPELINE)
    data = infos(dataset)
    assert len(data) == len(oxford.splits['test']) * 10
    for info in data:
        assert info['text'] == oxford.captions[info['image_id']][info['caption_index']]
    assert dataset[0]['inputs']['image'].shape == (3, 16, 16)


# ----------------------------------------------------------------------------- COCO
def test_coco_labels_use_the_lowest_annotation_id_and_contiguous_indices(coco):
    root, parts = coco
    dataset = build('COCOCaptions', root, split='test', exclude_person=False)
    assert dataset.metainfo['classes'] == ('person', 'bicycle', 'car', 'bird', 'dog')
    index = {category_id: i for i, (category_id, _) in
             enumerate(sorted(COCO_FIXTURE_CATEGORIES))}
    data = infos(dataset)
    truth = parts['val2017']
    assert [i['image_id'] for i in data] == sorted(truth.first_category)
    for info in data:
        assert info['gt_label'] == index[truth.first_category[info['image_id']]]
        assert info['img_path'] == str(root / 'val2017' / f"{info['image_id']:012d}.jpg")


def test_coco_exclude_person_drops_the_class_and_its_images(coco):
    root, parts = coco
    with_person = build('COCOCaptions', root, split='test', exclude_person=False)
    without = build('COCOCaptions', root, split='test')
    assert without.metainfo['classes'] == ('bicycle', 'car', 'bird', 'dog')
    assert len(with_person) == 10 and len(without) == 8  # 2 images per category
    person_images = {i for i, c in parts['val2017'].first_category.items() if c == 1}
    assert not person_images & {i['image_id'] for i in infos(without)}
    assert sorted({i['gt_label'] for i in infos(without)}) == [0, 1, 2, 3]


def test_coco_train_and_val_split_train2017(coco):
    root, parts = coco
    train = infos(build('COCOCaptions', root, split='train', val_ratio=0.2))
    val = infos(build('COCOCaptions', root, split='val', val_ratio=0.2))
    labelled = {i for i, c in parts['train2017'].first_category.items() if c != 1}
    assert {i['image_id'] for i in train} | {i['image_id'] for i in val} == labelled
    assert not {i['image_id'] for i in train} & {i['image_id'] for i in val}
    assert np.bincount([i['gt_label'] for i in val]).tolist() == [2, 2, 2, 2]
    assert not set(parts['train2017'].unannotated) & {i['image_id'] for i in train + val}


def test_coco_captions_in_annotation_id_order(coco):
    root, parts = coco
    dataset = build('COCOCaptions', root, split='test', modality='text', captions='all',
                    pipeline=TEXT_PIPELINE)
    data = infos(dataset)
    assert len(data) == 8 * 5
    for info in data:
        assert info['text'] == parts['val2017'].captions[info['image_id']][info['caption_index']]
    packed = dataset[0]
    assert set(packed['inputs']) == {'text', 'text_length'}
    assert packed['inputs']['text'].shape == (64,)
    assert packed['data_samples'].modality == 'text'


def test_carve_out_rounds_per_class():
    labels = [0] * 5 + [1] * 2 + [2]
    held = carve_out(labels, 0.25, seed=0)
    assert [held[:5].sum(), held[5:7].sum(), held[7:].sum()] == [1, 1, 0]
    np.testing.assert_array_equal(held, carve_out(labels, 0.25, seed=0))


# ----------------------------------------------------------------------------- packing
def test_encode_text_pads_and_truncates_on_character_boundaries():
    data, length = encode_text('héllo', 16)
    assert data.dtype == torch.uint8 and data.shape == (16,) and length.item() == 6
    assert decode_text(data, length) == 'héllo' and data[6:].sum() == 0
    data, length = encode_text('héllo', 2)  # 'h' + first byte of 'é': the half is dropped
    assert length.item() == 1 and decode_text(data, length) == 'h'


def test_pack_refuses_a_sample_without_its_modality():
    pack = TRANSFORMS.build(dict(type='PackMultiModalInputs'))
    with pytest.raises(KeyError, match="'img'"):
        pack(dict(text='a bird', modality='paired', gt_label=0))


def _batch(dataset, size):
    return [dataset[i] for i in range(size)]


def test_preprocessor_layout_after_default_collate(cub):
    preprocessor = MODELS.build(dict(type='MultiModalClsDataPreprocessor', mean=[0, 0, 0],
                                     std=[255, 255, 255]))
    paired = build('CUBCaptions', cub.root, split='test', modality='paired',
                   pipeline=IMAGE_PIPELINE)
    out = preprocessor(default_collate(_batch(paired, 4)))
    batch = out['inputs']
    assert set(batch) == {'image', 'text', 'text_length'}
    assert batch['image'].shape == (4, 3, 16, 16) and batch['image'].dtype == torch.float32
    assert batch['image'].max() <= 1
    assert batch['text'].shape == (4, 256) and batch['text'].dtype == torch.uint8
    assert batch['text_length'].shape == (4,) and batch['text_length'].dtype == torch.int64
    assert [s.gt_label.item() for s in out['data_samples']] == [
        paired.get_data_info(i)['gt_label'] for i in range(4)]

    text = build('CUBCaptions', cub.root, split='test', modality='text', pipeline=TEXT_PIPELINE)
    out = preprocessor(default_collate(_batch(text, 3)))
    assert set(out['inputs']) == {'text', 'text_length'}
    assert out['inputs']['text'].shape == (3, 64)
    assert out['data_samples'][0].gt_label.shape == (1,)


def test_preprocessor_layout_after_pseudo_collate(cub):
    preprocessor = MODELS.build(dict(type='MultiModalClsDataPreprocessor'))
    paired = build('CUBCaptions', cub.root, split='test', modality='paired',
                   pipeline=IMAGE_PIPELINE)
    out = preprocessor(pseudo_collate(_batch(paired, 2)))
    assert out['inputs']['image'].shape == (2, 3, 16, 16)
    assert out['inputs']['text'].shape == (2, 256)
    assert out['inputs']['text_length'].shape == (2,)
    with pytest.raises(KeyError, match="'image'"):
        preprocessor(dict(inputs=torch.zeros(2, 3, 16, 16), data_samples=None))


# ----------------------------------------------------------------------------- task splits
def test_task_split_over_caption_datasets(cub, coco):
    split = DATASETS.build(dict(
        type='TaskSplitDataset', tasks=[[0, 1], [2, 3]],
        dataset=dict(type='CUBCaptions', data_root=str(cub.root), split='test',
                     modality='text', captions='all', pipeline=TEXT_PIPELINE,
                     serialize_data=False)))
    assert split.num_tasks == 2 and len(split) == 80
    task = split.task_subset(1)
    assert len(task) == 40
    item = task[0]
    assert item['data_samples'].task_id == 1 and item['data_samples'].gt_label.item() in (2, 3)

    root, _ = coco
    coco_split = DATASETS.build(dict(
        type='TaskSplitDataset', tasks=[[0, 1], [2, 3]],
        dataset=dict(type='COCOCaptions', data_root=str(root), split='test',
                     serialize_data=False)))
    assert [len(coco_split.task_subset(t)) for t in range(2)] == [4, 4]


def test_image_then_text_tasks_by_domain(cub):
    """Image copies in domain 0 and text copies in domain 1 give image tasks, then text tasks."""
    common = dict(type='CUBCaptions', data_root=str(cub.root), split='test',
                  serialize_data=False)
    both = ConcatDataset([
        DATASETS.build(dict(common, modality='image', domain_id=0, pipeline=IMAGE_PIPELINE)),
        DATASETS.build(dict(common, modality='text', domain_id=1, pipeline=TEXT_PIPELINE))])
    split = DATASETS.build(dict(type='TaskSplitDataset', dataset=both, scenario='class-domain',
                                tasks=[[[0, 1], [0]], [[2, 3], [0]], [[0, 1], [1]],
                                       [[2, 3], [1]]]))
    assert [len(split.task_subset(t)) for t in range(4)] == [4, 4, 4, 4]
    assert split.task_subset(0)[0]['data_samples'].modality == 'image'
    assert split.task_subset(3)[0]['data_samples'].modality == 'text'


# ----------------------------------------------------------------------------- errors
def test_missing_cub_file_is_named(tmp_path):
    fixture = write_cub(tmp_path, num_classes=2, images_per_class=2, test_per_class=1)
    (fixture.root / 'train_test_split.txt').unlink()
    with pytest.raises(FileNotFoundError, match=re.escape(str(fixture.root /
                                                              'train_test_split.txt'))):
        build('CUBCaptions', fixture.root)


def test_malformed_cub_line_is_named(tmp_path):
    fixture = write_cub(tmp_path, num_classes=2, images_per_class=2, test_per_class=1)
    path = fixture.root / 'image_class_labels.txt'
    path.write_text(path.read_text() + 'five 1\n')
    with pytest.raises(ValueError, match=re.escape(f'{path}: line 5')):
        build('CUBCaptions', fixture.root)


def test_empty_or_binary_cub_file_is_named(tmp_path):
    fixture = write_cub(tmp_path, num_classes=2, images_per_class=2, test_per_class=1)
    path = fixture.root / 'classes.txt'
    path.write_bytes(b'1 \xff\xfe\n')
    with pytest.raises(ValueError, match=re.escape(f'CUB-200-2011 file {path}: is not UTF-8')):
        build('CUBCaptions', fixture.root)
    path.write_text('')
    with pytest.raises(ValueError, match=re.escape(f'{path}: is empty (0 bytes)')):
        build('CUBCaptions', fixture.root)
    path.write_text('\n\n')
    with pytest.raises(ValueError, match=re.escape(f'{path}: is empty; expected one "<id> ')):
        build('CUBCaptions', fixture.root)


def test_cub_files_that_disagree_are_named(tmp_path):
    fixture = write_cub(tmp_path, num_classes=2, images_per_class=2, test_per_class=1)
    path = fixture.root / 'train_test_split.txt'
    path.write_text(''.join(path.read_text().splitlines(keepends=True)[:-1]))
    with pytest.raises(ValueError, match=re.escape(f'{path}: has no line for image id 4')):
        build('CUBCaptions', fixture.root)


def test_missing_or_empty_caption_file_is_named(tmp_path):
    fixture = write_cub(tmp_path, num_classes=2, images_per_class=2, test_per_class=1)
    caption = fixture.root / 'text_c10' / fixture.paths[2].replace('.jpg', '.txt')
    caption.write_text('\n\n')
    with pytest.raises(ValueError, match=re.escape(f'{caption}: has no captions')):
        build('CUBCaptions', fixture.root, split='test', modality='text')
    caption.unlink()
    with pytest.raises(FileNotFoundError, match=re.escape(str(caption))):
        build('CUBCaptions', fixture.root, split='test', modality='text')
    caption.write_bytes(b'fine\n\xff\xfe broken\n')
    with pytest.raises(ValueError, match=re.escape(f'{caption}: line 2 is not valid UTF-8')):
        build('CUBCaptions', fixture.root, split='test', modality='text')
    # image samples never read captions
    assert len(build('CUBCaptions', fixture.root, split='test')) == 2


def test_oxford_mat_errors_name_file_and_key(tmp_path):
    fixture = write_oxford102(tmp_path, classes=(1, 2), per_split=(1, 1, 1))
    setid = fixture.root / 'setid.mat'
    savemat(setid, {'trnid': np.array([[1, 2]]), 'tstid': np.array([[3, 4]])})
    with pytest.raises(KeyError, match=re.escape(f"{setid}: has no key 'valid'")):
        build('Oxford102Captions', fixture.root, split='val')
    savemat(setid, {'trnid': np.array([[1, 99]])})
    with pytest.raises(ValueError, match=re.escape(f"{setid}: key 'trnid' has image numbers")):
        build('Oxford102Captions', fixture.root, split='train')
    labels = fixture.root / 'imagelabels.mat'
    savemat(labels, {'labels': np.array([[0, 1, 2]])})
    with pytest.raises(ValueError, match=re.escape(f"{labels}: key 'labels' must lie in")):
        build('Oxford102Captions', fixture.root)
    labels.write_bytes(b'not a mat file')
    with pytest.raises(ValueError, match=re.escape(f'{labels}: is not a readable')):
        build('Oxford102Captions', fixture.root)


def test_coco_json_errors_name_file_and_key(tmp_path):
    write_coco(tmp_path, images_per_category={'val2017': 1}, unannotated=0)
    path = tmp_path / 'annotations' / 'instances_val2017.json'
    path.write_text('{"images": [], "categories": []}')
    with pytest.raises(KeyError, match=re.escape(f"{path}: has no key 'annotations'")):
        build('COCOCaptions', tmp_path, split='test')
    path.write_text('{"images": [{"id": 1}], "categories": [], "annotations": []}')
    with pytest.raises(KeyError, match=re.escape(f"{path}: images[0] has no 'file_name'")):
        build('COCOCaptions', tmp_path, split='test')
    path.write_text('{not json')
    with pytest.raises(ValueError, match=re.escape(f'{path}: is not valid JSON')):
        build('COCOCaptions', tmp_path, split='test')
    path.write_text('{"images": [{"id": 1, "file_name": "a.jpg"}], "categ')
    with pytest.raises(ValueError, match=re.escape(f'COCO annotation file {path}: is not valid '
                                                   'JSON')):
        build('COCOCaptions', tmp_path, split='test')
    path.write_text('')
    with pytest.raises(ValueError, match=re.escape(f'{path}: is empty (0 bytes)')):
        build('COCOCaptions', tmp_path, split='test')
    path.write_text('[{"id": 1}]')
    with pytest.raises(ValueError, match=re.escape(f'{path}: expected a mapping at the top')):
        build('COCOCaptions', tmp_path, split='test')
    with pytest.raises(FileNotFoundError, match='instances_train2017.json'):
        build('COCOCaptions', tmp_path, split='train')


def test_bad_arguments_are_named(cub):
    with pytest.raises(ValueError, match='modality'):
        build('CUBCaptions', cub.root, modality='audio')
    with pytest.raises(ValueError, match='captions'):
        build('CUBCaptions', cub.root, captions='first')
    with pytest.raises(ValueError, match='val_ratio'):
        build('CUBCaptions', cub.root, split='val', val_ratio=0)


# ----------------------------------------------------------------------------- configs
def _groups(name: str) -> list[list[int]]:
    cfg = Config.fromfile(str(REPO / 'configs' / '_base_' / 'datasets' / f'{name}.py'))
    return cfg.train_dataloader.dataset.tasks


@pytest.mark.parametrize('name,size,num_classes', [('cub_captions', 5, 200),
                                                   ('oxford102_captions', 4, 102),
                                                   ('coco_captions', 4, 79)])
def test_config_task_groups(name, size, num_classes):
    groups = _groups(name)
    flat = [c for group in groups for c in group]
    assert all(len(group) == size for group in groups)
    assert len(set(flat)) == len(flat) and 0 <= min(flat) and max(flat) < num_classes


def test_coco_config_groups_name_the_intended_categories():
    names = [name for _, name in COCO_CATEGORIES if name != 'person']  # exclude_person=True
    groups = [[names[c] for c in group] for group in _groups('coco_captions')]
    assert groups[0] == ['banana', 'carrot', 'broccoli', 'donut']
    assert groups[-1] == ['book', 'vase', 'clock', 'teddy bear']


def test_config_pipelines_run_on_a_fixture(cub):
    cfg = Config.fromfile(str(REPO / 'configs' / '_base_' / 'datasets' / 'cub_captions.py'))
    for loader in ('train_dataloader', 'test_dataloader'):
        inner = dict(cfg[loader].dataset.dataset, data_root=str(cub.root), serialize_data=False)
        packed = DATASETS.build(inner)[0]
        assert packed['inputs']['image'].shape == (3, 224, 224)
    text = dict(cfg.train_dataloader.dataset.dataset, data_root=str(cub.root),
                modality='text', pipeline=cfg.text_pipeline, serialize_data=False)
    assert set(DATASETS.build(text)[0]['inputs']) == {'text', 'text_length'}
