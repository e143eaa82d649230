# Shared data, schedule and runtime of the DeRy digits zoo (configs/dery/zoo/*.py) and of the
# reassembled networks that tools/dery/zeroshot_reassembly.py emits: the embedded 8x8 grayscale
# digits (mm_cl_addon's DigitsDataset, train/val/test splits of seed 0), AdamW, cosine schedule.
# Validation runs at the last iteration (and every val_interval), so a short
# --cfg-options train_cfg.max_iters=N still reports an accuracy (set param_scheduler.0.T_max=N
# with it, as run_digits_pipeline.sh does).
_base_ = ['mmpretrain::_base_/default_runtime.py']

custom_imports = dict(imports=['mm_cl_addon'], allow_failed_imports=False)

data_preprocessor = dict(num_classes=10, mean=[78.0], std=[96.0], to_rgb=False)
pipeline = [dict(type='PackInputs')]
loader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    collate_fn=dict(type='default_collate'),
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='DigitsDataset', split='train', seed=0, pipeline=pipeline))
train_dataloader = loader
val_dataloader = dict(
    loader, batch_size=128, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(loader['dataset'], split='val'))
test_dataloader = dict(val_dataloader, dataset=dict(loader['dataset'], split='test'))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator

max_iters = 300
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_iters, by_epoch=False, eta_min=1e-5)]
train_cfg = dict(by_epoch=False, max_iters=max_iters, val_interval=100000)
val_cfg = dict()
test_cfg = dict()

# One checkpoint, final.pth, at the last iteration whatever max_iters is, so the zoo manifest
# (configs/dery/zoo/zoo.yaml) can name it.
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=100000, save_last=True,
                    filename_tmpl='final.pth'))
randomness = dict(seed=0, deterministic=False)
