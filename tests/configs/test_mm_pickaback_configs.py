"""MM-Pick-a-back's configs on CUB, Oxford-102 and COCO fixtures in the releases' formats.

Every config builds its three loaders' data sets with the documented class groups (the first
six groups of the data set's base: three image tasks, then three text tasks), and a short
PackNet run per data set keeps an image task intact through a text task.
"""
import tempfile
import uuid
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.registry import DATASETS

import tests.datasets.caption_fixtures as caption_fixtures
from mm_cl_addon.engine.hooks.packnet_hook import PackNetHook
from tests.datasets.caption_fixtures import write_cub, write_oxford102
from tests.engine.hooks.task_logits import TaskLogitsProbe

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
SUITES = ('cub', 'oxford102', 'coco')
STEPS = ('baseline', 'cpg_backbone', 'cpg_target', 'packnet')
ROOT_VARIABLE = dict(cub='CUB_ROOT', oxford102='OXFORD102_ROOT', coco='COCO_ROOT')
DATASET_TYPE = dict(cub='CUBCaptions', oxford102='Oxford102Captions', coco='COCOCaptions')
# What docs/caption_datasets.md and the configs' comments say the first tasks are.
FIRST_GROUP_NAMES = dict(
    cub=['001.Bird_A', '002.Bird_B', '004.Bird_D', '009.Bird_I', '010.Bird_J'],
    oxford102=['class_00051', 'class_00072', 'class_00082', 'class_00060'],
    coco=['banana', 'carrot', 'broccoli', 'donut'])
HOOK = dict(baseline=None, cpg_backbone='CPGHook', cpg_target='CPGHook', packnet='PackNetHook')


@pytest.fixture
def short_dir():
    """A folder with a short path for the fixtures: mmengine formats the config with yapf at
    start-up and in every checkpoint, which takes seconds once a data root is longer than about
    50 characters (pytest's tmp_path is)."""
    with tempfile.TemporaryDirectory(prefix='mm') as folder:
        yield Path(folder)


def documented_groups(suite):
    groups = Config.fromfile(str(CONFIGS / f'_base_/datasets/{suite}_captions.py')).task_groups
    return [list(group) for group in groups[:6]]


def write_fixture(suite, root, groups=None):
    """A fixture in the release's format whose classes cover ``groups`` (class indices)."""
    labels = sorted({label for group in groups for label in group})
    if suite == 'cub':  # class ids 1..K: enough classes for the largest index
        write_cub(root, num_classes=labels[-1] + 1, images_per_class=3, test_per_class=1,
                  captions_per_image=2, size=8)
    elif suite == 'oxford102':
        write_oxford102(root, classes=tuple(label + 1 for label in labels),
                        per_split=(1, 1, 1), captions_per_image=2, size=8)
    else:  # the official 80 categories, so that indices are the real ones (bicycle = 0)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(caption_fixtures, 'COCO_FIXTURE_CATEGORIES',
                          caption_fixtures.COCO_CATEGORIES)
            caption_fixtures.write_coco(root, {'train2017': 2, 'val2017': 1}, unannotated=0,
                                        captions_per_image=2, size=8)


def load(suite, step, root, monkeypatch, image_size=8):
    for variable, value in ((ROOT_VARIABLE[suite], str(root)), ('MM_IMAGE_SIZE', str(image_size)),
                            ('MM_DEPTH', '1'), ('MM_VAL_RATIO', '0.5'), ('MM_NUM_WORKERS', '0'),
                            ('MM_TENSORBOARD', '0')):
        monkeypatch.setenv(variable, value)
    return Config.fromfile(str(CONFIGS / f'mm_pickaback/{step}_perceiver_{suite}.py'))


@pytest.mark.parametrize('suite', SUITES)
def test_every_config_builds_the_documented_tasks(suite, short_dir, monkeypatch):
    init_default_scope('mmpretrain')  # ConcatDataset builds its members in the current scope
    groups = documented_groups(suite)
    write_fixture(suite, short_dir / suite, groups)
    for step in STEPS:
        cfg = load(suite, step, short_dir / suite, monkeypatch)
        assert cfg.model.type == 'MultiModalClassifier'
        assert cfg.model.head.task_classes == groups
        hooks = [hook['type'] for hook in cfg.get('custom_hooks', [])]
        assert hooks == ([HOOK[step]] if HOOK[step] else [])
        assert cfg.visualizer.vis_backends == [dict(type='LocalVisBackend')]
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            assert cfg[loader].num_workers == 0
            split = DATASETS.build(cfg[loader].dataset)
            assert split.num_tasks == 6
            assert split.task_classes == groups
            if step != 'baseline':
                continue  # the same loaders as the baseline's (checked above by their tasks)
            names = split.metainfo['classes']
            assert [names[c] for c in groups[0]] == FIRST_GROUP_NAMES[suite]
            for task_id, classes in enumerate(groups):
                subset = split.task_subset(task_id)
                assert len(subset) > 0, (loader, task_id)
                modality = 'image' if task_id < 3 else 'text'
                inputs = {'image'} if modality == 'image' else {'text', 'text_length'}
                for index in range(len(subset)):
                    info = subset.get_data_info(index)
                    assert info['modality'] == modality and info['gt_label'] in classes
                sample = subset[0]
                assert set(sample['inputs']) == inputs
                assert sample['data_samples'].task_id == task_id
                if modality == 'image':
                    assert tuple(sample['inputs']['image'].shape) == (3, 8, 8)


def tiny_run(cfg, tasks, work_dir):
    """``cfg`` restricted to ``tasks``, with a small Perceiver IO and one epoch per task."""
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.tasks = tasks
        cfg[loader].batch_size = 4
    cfg.model.backbone.update(num_latents=8, latent_dim=32, latent_heads=2, cross_dim_head=8,
                              latent_dim_head=8)
    cfg.model.head.update(task_classes=[task[0] for task in tasks], in_channels=32)
    cfg.train_cfg.epochs_per_task = 1
    cfg.param_scheduler = []
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'mm_{uuid.uuid4().hex[:8]}'
    cfg.visualizer.name = cfg.experiment_name
    return Runner.from_cfg(cfg)


@pytest.mark.parametrize('suite', SUITES)
def test_packnet_keeps_the_image_task_bit_identical_through_a_text_task(suite, short_dir,
                                                                       tmp_path, monkeypatch):
    groups = documented_groups(suite)
    tasks = [[groups[0], [0]], [groups[3], [1]]]  # an image task, then a text task
    write_fixture(suite, short_dir / suite, [groups[0], groups[3]])
    runner = tiny_run(load(suite, 'packnet', short_dir / suite, monkeypatch),
                      tasks, tmp_path / 'work')
    packnet = next(h for h in runner.hooks if isinstance(h, PackNetHook))
    probe = TaskLogitsProbe(packnet)
    runner.register_hook(probe)
    runner.train()
    probe.assert_unchanged(len(tasks))  # the image task, bit for bit, after the text task
    last = runner.train_loop.dataloader  # the text task's loader: text inputs only
    assert set(next(iter(last))['inputs']) == {'text', 'text_length'}
    kv = packnet.modules['backbone.perceiver.cross_attend_block.cross_attn.fn.to_kv.linears.text']
    assert (kv.packnet_owner == 2).any()  # the text task owns weights of its own projection
