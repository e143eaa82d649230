# The shared initial model of the soup: SmallConvNet pre-trained on rotated digits
# (three fixed random rotations of every training image, none upright).
_base_ = [
    '../_base_/models/small_convnet_digits.py',
    'mmpretrain::_base_/default_runtime.py',
]
custom_imports = dict(imports=['mm_cl_addon'], allow_failed_imports=False)

data_preprocessor = dict(num_classes=10, mean=[78.0], std=[96.0], to_rgb=False)
rotated = dict(type='DigitsDataset', split='train', seed=0,
               domains=dict(kind='rotation', num_domains=4, seed=1),
               pipeline=[dict(type='PackInputs')])
train_dataloader = dict(
    batch_size=64, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'), dataset=rotated)
val_dataloader = dict(
    batch_size=256, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'), dataset=dict(rotated, split='val'))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=8, by_epoch=True,
                        convert_to_iter_based=True)]
train_cfg = dict(by_epoch=True, max_epochs=8, val_interval=8)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(logger=dict(type='LoggerHook', interval=50),
                     checkpoint=dict(type='CheckpointHook', interval=8))
randomness = dict(seed=0)
