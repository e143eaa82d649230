# DeRy digits zoo: a plain CNN without residuals or stem (our SmallConvNet: three stages of 3x3
# conv, ReLU, BatchNorm, 2x2 max-pool, widths 16-64, 8x8 -> 1x1), the zoo's third family,
# trained as an mmpretrain ImageClassifier: its checkpoint's backbone.* keys are what the zoo
# manifest's mm_cl_addon entry loads (the head's keys are ignored).
_base_ = ['./_base_digits.py']

model = dict(
    type='ImageClassifier',
    backbone=dict(type='SmallConvNet', in_channels=1, widths=[16, 32, 64]),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
