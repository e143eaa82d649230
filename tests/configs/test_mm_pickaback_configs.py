"""MM-Pick-a-back on a CUB fixture: PackNet keeps an image task intact through a text task."""
import uuid
from pathlib import Path

from mmengine.config import Config
from mmengine.runner import Runner

from mm_cl_addon.engine.hooks.packnet_hook import PackNetHook
from tests.datasets.caption_fixtures import write_cub
from tests.engine.hooks.task_logits import TaskLogitsProbe

CONFIG = Path(__file__).resolve().parents[2] / 'configs/mm_pickaback/packnet_perceiver_cub.py'
TASKS = [[[0, 1], [0]], [[2, 3], [1]]]  # an image task, then a text task


def test_packnet_keeps_the_image_task_bit_identical_through_a_text_task(tmp_path):
    write_cub(tmp_path / 'cub', num_classes=4, images_per_class=6, test_per_class=2, size=16)
    cfg = Config.fromfile(str(CONFIG))
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        split = cfg[loader].dataset
        split.tasks = TASKS
        for dataset in split.dataset.datasets:
            dataset.data_root = str(tmp_path / 'cub')
            dataset.val_ratio = 0.25
            for step in dataset.pipeline:
                if step['type'] == 'Resize':
                    step['scale'] = (16, 16)
        cfg[loader].batch_size = 4
        cfg[loader].num_workers = 0
    cfg.model.backbone.update(image_size=(16, 16), depth=1, num_latents=8, latent_dim=32,
                              latent_heads=2, cross_dim_head=8, latent_dim_head=8)
    cfg.model.head.update(task_classes=[task[0] for task in TASKS], in_channels=32)
    cfg.train_cfg.epochs_per_task = 1
    cfg.param_scheduler = []
    cfg.work_dir = str(tmp_path / 'work')
    cfg.experiment_name = f'mm_{uuid.uuid4().hex[:8]}'
    cfg.visualizer = dict(type='UniversalVisualizer', name=cfg.experiment_name,
                          vis_backends=[dict(type='LocalVisBackend')])
    runner = Runner.from_cfg(cfg)
    packnet = next(h for h in runner.hooks if isinstance(h, PackNetHook))
    probe = TaskLogitsProbe(packnet)
    runner.register_hook(probe)
    runner.train()
    probe.assert_unchanged(len(TASKS))  # the image task, bit for bit, after the text task
    first = runner.train_loop.dataloader  # the text task's loader: text inputs only
    assert set(next(iter(first))['inputs']) == {'text', 'text_length'}
    kv = packnet.modules['backbone.perceiver.cross_attend_block.cross_attn.fn.to_kv.linears.text']
    assert (kv.packnet_owner == 2).any()  # the text task owns weights of its own projection
