# lp: a linear classifier on the two coordinates (Linear(2, 4), PyTorch's default init).
model = dict(
    type='ImageClassifier',
    backbone=dict(type='Flatten'),
    head=dict(type='LinearClsHead', num_classes=4, in_channels=2, init_cfg=None,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
)
