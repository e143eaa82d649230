"""Shared fixtures: configs of the repository and unique Runner names."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from mmengine.config import Config

import mm_cl_addon  # noqa: F401  (registration and compat fixes, as in every run)

REPO = Path(__file__).resolve().parents[1]
FINETUNE_CONFIG = REPO / 'configs' / 'continual' / 'finetune_cnn_split-digits.py'


def small_digits_config(work_dir: Path, tasks=((0, 1), (2, 3)), epochs_per_task: int = 1,
                        widths=(32, 64)) -> Config:
    """The fine-tuning config cut down to a few classes, epochs and channels, for fast tests."""
    cfg = Config.fromfile(str(FINETUNE_CONFIG))
    tasks = [list(task) for task in tasks]
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.tasks = tasks
    cfg.model.backbone.widths = list(widths)
    cfg.model.head.in_channels = widths[-1]
    cfg.train_cfg.epochs_per_task = epochs_per_task
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True)]
    # the loop's tests count on SGD's step size and momentum buffers, not the baseline's
    # tuned optimizer
    cfg.optim_wrapper.optimizer = dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'test_{uuid.uuid4().hex[:12]}'
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=50)
    cfg.visualizer = dict(type='UniversalVisualizer', name=cfg.experiment_name,
                          vis_backends=[dict(type='LocalVisBackend')])
    cfg.vis_backends = None
    return cfg


@pytest.fixture
def digits_cfg(tmp_path):
    return small_digits_config(tmp_path / 'work')
