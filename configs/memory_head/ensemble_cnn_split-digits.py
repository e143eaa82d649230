# An ensemble of 3 small CNNs, each trained on its own loss with its own optimizer, predicting
# by their mean class probabilities, fine-tuned on class-incremental Split-Digits (no replay):
# the Memory Head paper's ensemble competitor.
_base_ = ['./er_cnn_split-digits.py']

num_members = 3
member = dict(
    type='ImageClassifier',
    backbone=dict(type='SmallConvNet', in_channels=1, widths=(32, 64)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=64,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
)
model = dict(_delete_=True, type='EnsembleClassifier', members=[member] * num_members)
optim_wrapper = dict(constructor='EnsembleOptimWrapperConstructor')
custom_hooks = []
