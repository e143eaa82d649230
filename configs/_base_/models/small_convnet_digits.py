# A small CNN for 8x8 digits: two conv stages (32, 64), global pooling, linear head.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='SmallConvNet', in_channels=1, widths=(32, 64)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
)
