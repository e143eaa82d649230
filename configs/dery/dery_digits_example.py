# DeRy on the embedded 8x8 digits: the first stage of a SmallConvNet, then the second block of a
# tiny timm ViT, joined by a cnn->vit stitch (4x4 map -> 16 tokens, Linear 16 -> 32, a learnable
# class token). The ViT part ends with its model's final norm; DeRy returns its class token.
_base_ = ['mmpretrain::_base_/default_runtime.py']

custom_imports = dict(imports=['mm_cl_addon'], allow_failed_imports=False)

zoo = '{{ fileDirname }}/digits_zoo.yaml'  # --cfg-options model.backbone.zoo=<manifest>
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='DeRy',
        zoo=zoo,
        blocks=[['cnn', 0, 1], ['vit', 1, 2]],
        stem='source',
        # The example zoo has no trained weights, so nothing is frozen; set True with a zoo of
        # trained models, as the paper's frozen-block setting.
        freeze_blocks=False,
        input_size=(1, 8, 8)),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=32,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
)

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

max_iters = 600
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_iters, by_epoch=False,
                        eta_min=1e-5)]
train_cfg = dict(by_epoch=False, max_iters=max_iters, val_interval=200)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=200, max_keep_ckpts=1))
randomness = dict(seed=0, deterministic=False)
